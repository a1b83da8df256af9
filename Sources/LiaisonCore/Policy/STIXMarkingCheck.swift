/// The markings a package is sealed with once its payload's STIX markings are
/// taken into account: used by `send` (in the daemon) and `package seal`.
public struct STIXMarkingCheck: Sendable {
    /// The markings to seal with (the operator's, or raised to the bundle's TLP).
    public let markings: Markings
    /// What the bundle claims; nil when the payload is not a STIX bundle.
    public let bundle: STIXMarkings?
    /// The decision: consistent or raised (a conflict is thrown instead).
    public let decision: STIXMarkingDecision

    /// Checks `payload` against `markings`. A payload labelled STIX
    /// (``STIXMarkings/isSTIX(contentType:)``) must be a bundle; any other payload is
    /// checked if it is one (a bundle sent as `application/json` or without a
    /// content type is still a bundle) and is otherwise consistent.
    ///
    /// For a STIX content type the payload must be a readable bundle (else
    /// ``CoreError/Code/invalidMarkings``, or ``CoreError/Code/invalidArgument``
    /// above ``STIXMarkings/maximumPayloadBytes``). When the bundle claims a stricter
    /// TLP than `markings`, the result is raised to it, or, with `strict`, a
    /// ``CoreError/Code/policyMarkingConflict`` is thrown that says what to do.
    public init(payload: UnsafeRawBufferPointer, contentType: String?, markings: Markings, strict: Bool) throws {
        let bundle = try STIXMarkings.read(payload, contentType: contentType)
        let decision = STIXMarkingDecision.decide(package: markings.tlp, bundle: bundle?.strictest, strict: strict)
        var result = markings
        switch decision {
        case .consistent: break
        case .raise(_, let to): result.tlp = to
        case .conflict(let package, let stricter):
            throw CoreError(.policyMarkingConflict,
                            "the STIX bundle is marked \(stricter), stricter than the package's \(package) (\(bundle?.summary ?? "")), "
                            + "and --strict-markings forbids raising it; send it with --tlp \(stricter.label) or stricter, "
                            + "or without --strict-markings to let the bundle's marking win")
        }
        self.markings = result
        self.bundle = bundle
        self.decision = decision
    }

    /// ``init(payload:contentType:markings:strict:)`` for an array.
    public init(payload: [UInt8], contentType: String?, markings: Markings, strict: Bool) throws {
        self = try payload.withUnsafeBytes { try STIXMarkingCheck(payload: $0, contentType: contentType, markings: markings, strict: strict) }
    }

    /// The level the operator gave, when the bundle raised it.
    public var raisedFrom: TrafficLightProtocol? {
        if case .raise(let from, _) = decision { return from }
        return nil
    }

    /// For the operator when the TLP was raised, e.g. `TLP raised from TLP:GREEN to
    /// TLP:AMBER: the STIX bundle is marked TLP:AMBER (…)`; nil otherwise.
    public var note: String? {
        guard case .raise(let from, let to) = decision else { return nil }
        return "TLP raised from \(from) to \(to): the STIX bundle is marked \(to) (\(bundle?.summary ?? "")); the stricter marking wins"
    }

    /// What the `package.sealed` audit entry keeps: the bundle's strictest TLP and,
    /// when raised, the level the operator gave.
    public var auditDetails: [String: String] {
        var details: [String: String] = [:]
        details["stix-tlp"] = bundle.map { $0.strictest?.label ?? "none" }
        details["tlp-raised-from"] = raisedFrom?.label
        return details
    }
}
