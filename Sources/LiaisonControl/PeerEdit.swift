import LiaisonCore

/// A peer's attributes as a request gives them (`peers add`, `peers import`,
/// `peers set`): each attribute given replaces the peer's; those not given stay as
/// they are (for a new peer: the defaults of its trust level).
public struct PeerEdit: Sendable {
    var maximumTLP: TrafficLightProtocol?
    var clearance: String?
    var communities: [String]?
    var organisation: String??
    var clearLimits = false
    var maximumPackageBytes: Int64?
    var packagesPerMinute: Int64?
    var bytesPerDay: Int64?
    var addresses: [String]?

    /// Reads and checks an edit: a TLP label, a rung of `ladder`, community names,
    /// an organisation name (empty removes it), positive limits, `host:port` addresses.
    public init(_ request: ControlRequest, ladder: [String]) throws {
        maximumTLP = try request.maximumTLP.map(TrafficLightProtocol.init(parsing:))
        if let label = request.classification {
            let rung = try Markings(tlp: .clear, classification: label).classification
            guard ladder.contains(rung) else {
                throw CoreError(.invalidArgument, "\"\(rung)\" is not on this node's classification ladder (\(ladder.joined(separator: " < ")))")
            }
            clearance = rung
        }
        communities = try request.releasableTo.map { try Markings(tlp: .clear, releasableTo: $0).releasableTo }
        if let name = request.organisation { organisation = name.isEmpty ? .some(nil) : try OrganisationName.validate(name) }
        clearLimits = request.clearLimits ?? false
        for value in [request.maximumPackageBytes, request.packagesPerMinute, request.bytesPerDay] where (value ?? 1) <= 0 {
            throw CoreError(.invalidArgument, "limits must be positive numbers (use --clear-limits to remove them)")
        }
        maximumPackageBytes = request.maximumPackageBytes
        packagesPerMinute = request.packagesPerMinute
        bytesPerDay = request.bytesPerDay
        if let given = request.addresses, !given.isEmpty {
            for address in given { try NetworkAddress.validate(address) }
            addresses = given
        }
    }

    /// `peer` with this edit made.
    public func applied(to peer: PeerRecord) -> PeerRecord {
        var edited = peer
        if let maximumTLP {
            edited.maximumTLP = maximumTLP
            edited.maximumTLPChosen = true
        }
        if let clearance { edited.clearance = clearance }
        if let communities { edited.communities = communities }
        if let organisation { edited.organisation = organisation }
        if clearLimits { edited.inboundLimits = InboundLimits() }
        if let maximumPackageBytes { edited.inboundLimits.maximumPackageBytes = maximumPackageBytes }
        if let packagesPerMinute { edited.inboundLimits.packagesPerMinute = packagesPerMinute }
        if let bytesPerDay { edited.inboundLimits.bytesPerDay = bytesPerDay }
        if let addresses { edited.addresses = addresses }
        return edited
    }

    /// What differs between `before` and `after`, as `attribute: "old → new"` (for the audit log).
    public static func changes(from before: PeerRecord, to after: PeerRecord) -> [String: String] {
        func text(_ value: Int64?) -> String { value.map(String.init) ?? "none" }
        var changes: [String: String] = [:]
        func note(_ key: String, _ old: String, _ new: String) { if old != new { changes[key] = "\(old) → \(new)" } }
        // Chosen or not is part of the maximum: choosing the value it already has (a
        // default, so that it stops following the trust) is a change, recorded and saved.
        func maximum(_ peer: PeerRecord) -> String { peer.maximumTLP.label + (peer.maximumTLPChosen ? "" : " (trust default)") }
        note("max-tlp", maximum(before), maximum(after))
        note("clearance", before.clearance ?? "lowest", after.clearance ?? "lowest")
        note("communities", before.communities.joined(separator: ","), after.communities.joined(separator: ","))
        note("organisation", before.organisation ?? "none", after.organisation ?? "none")
        note("max-package-bytes", text(before.inboundLimits.maximumPackageBytes), text(after.inboundLimits.maximumPackageBytes))
        note("packages-per-minute", text(before.inboundLimits.packagesPerMinute), text(after.inboundLimits.packagesPerMinute))
        note("bytes-per-day", text(before.inboundLimits.bytesPerDay), text(after.inboundLimits.bytesPerDay))
        note("addresses", before.addresses.joined(separator: ","), after.addresses.joined(separator: ","))
        return changes
    }
}
