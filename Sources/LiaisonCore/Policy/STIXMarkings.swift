import Foundation

/// The TLP markings a STIX 2.1 bundle claims for itself: what its objects reference
/// in `object_marking_refs` and `granular_markings`, and the TLP marking-definition
/// objects it carries (docs/access-control.md, "STIX markings").
///
/// Only what the bundle says about TLP is kept; nothing of its content is, so the
/// findings and every message built from them are safe to log and audit.
public struct STIXMarkings: Sendable, Hashable {
    /// Where in the bundle a TLP marking was found.
    public enum Place: String, Sendable, Hashable {
        /// An object's `object_marking_refs` names a published TLP definition.
        case objectMarkingRefs = "object_marking_refs"
        /// An object's `granular_markings[].marking_ref` names a published TLP definition.
        case granularMarkings = "granular_markings"
        /// The bundle carries a TLP `marking-definition` object (referenced or not).
        case markingDefinition = "marking-definition object"
    }

    /// One TLP level found in one way, with how often.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// The level.
        public let tlp: TrafficLightProtocol
        /// Where it was found.
        public let place: Place
        /// The published identifier, when it is one (never a bundle's own identifier).
        public let standardID: String?
        /// How many times.
        public internal(set) var count: Int

        /// A finding (tests build the expected ones).
        public init(tlp: TrafficLightProtocol, place: Place, standardID: String?, count: Int = 1) {
            self.tlp = tlp
            self.place = place
            self.standardID = standardID
            self.count = count
        }

        /// E.g. `TLP:AMBER in object_marking_refs (TLP 1.0 marking-definition--f88d31f6-…) ×2`.
        public var description: String {
            var text = "\(tlp) in \(place.rawValue)"
            if let standardID, let edition = STIXTLPDefinitions.level(of: standardID)?.edition {
                text += " (\(edition.rawValue) \(standardID))"
            } else if place == .markingDefinition {
                text += " (defined in the bundle)"
            }
            return count > 1 ? text + " ×\(count)" : text
        }
    }

    /// Everything found, in a stable order (strictest first).
    public let findings: [Finding]

    /// The strictest TLP the bundle claims, or nil when it claims none.
    public var strictest: TrafficLightProtocol? { findings.map(\.tlp).max() }

    /// The findings for a message, e.g. `TLP:AMBER in object_marking_refs (…); TLP:GREEN in …`.
    public var summary: String {
        findings.isEmpty ? "no TLP markings" : findings.map(\.description).joined(separator: "; ")
    }

    /// Largest payload read as a bundle: it is parsed whole in memory.
    public static let maximumPayloadBytes = 64 << 20

    /// Largest payload *not* labelled STIX that is still read whole to see whether
    /// it is a bundle; a larger one is sealed unread (label it to have it checked).
    public static let maximumSniffedBytes = 8 << 20

    /// Whether a payload not labelled STIX that begins with `prefix` may be a
    /// bundle, i.e. is worth reading whole: its first byte after any whitespace
    /// (and a UTF-8 byte-order mark) opens a JSON object.
    public static func mayBeBundle<Bytes: Collection<UInt8>>(prefix: Bytes) -> Bool {
        var rest = prefix[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        return rest.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
    }

    /// Whether `contentType` is `application/stix+json`, with or without parameters
    /// such as `;version=2.1` (case-insensitive).
    public static func isSTIX(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/stix+json"
    }

    /// The error for a STIX payload of `count` bytes, too large to check (a reader
    /// that stops early passes the bytes it had when it stopped).
    public static func tooLarge(_ count: Int) -> CoreError {
        CoreError(.invalidArgument, "a STIX bundle is read whole to check its TLP markings, so it may be at most \(maximumPayloadBytes >> 20) MiB "
                  + "(\(maximumPayloadBytes) bytes; this one has \(count == maximumPayloadBytes + 1 ? "more" : "\(count)")); split it into smaller bundles")
    }

    /// Reads the TLP markings of `payload`.
    ///
    /// When `contentType` is STIX (``isSTIX(contentType:)``) the payload must be a
    /// STIX 2.1 bundle of at most ``maximumPayloadBytes``, whose marking properties
    /// are well formed: anything else is an error. For any other content type a
    /// payload that is not a JSON object of type `bundle` (or is larger) is simply
    /// not STIX: nil; one that is, but has malformed markings, is an error too.
    public static func read(_ payload: UnsafeRawBufferPointer, contentType: String?) throws -> STIXMarkings? {
        let declared = isSTIX(contentType: contentType)
        guard payload.count <= maximumPayloadBytes else {
            if declared { throw tooLarge(payload.count) }
            return nil
        }
        do {
            return try parse(payload)
        } catch where !declared && !isBundleObject(payload) {
            return nil   // not a bundle at all: not STIX
        }
    }

    /// ``read(_:contentType:)`` for an array.
    public static func read(_ payload: [UInt8], contentType: String?) throws -> STIXMarkings? {
        try payload.withUnsafeBytes { try read($0, contentType: contentType) }
    }

    static func notABundle(_ why: String) -> CoreError {
        CoreError(.invalidMarkings, "the payload is a STIX bundle (by its content type or its \"type\": \"bundle\") but \(why), so its TLP markings cannot be checked; "
                  + "send a well-formed STIX 2.1 bundle ({\"type\": \"bundle\", \"objects\": […]}) or give the payload's real --content-type")
    }

    /// Whether `payload` is a JSON object whose `type` is `bundle`: a bundle, however
    /// malformed its markings (which then must not pass unchecked).
    static func isBundleObject(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard let base = payload.baseAddress, !payload.isEmpty else { return false }
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: payload.count, deallocator: .none)
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["type"] as? String == "bundle"
    }

    /// Parses a bundle, or throws ``notABundle(_:)``.
    static func parse(_ payload: UnsafeRawBufferPointer) throws -> STIXMarkings {
        guard let base = payload.baseAddress, !payload.isEmpty else { throw notABundle("it is empty") }
        // No copy of the plaintext: the caller owns (and wipes) the bytes.
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: payload.count, deallocator: .none)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw notABundle("it is not valid JSON")
        }
        guard let bundle = json as? [String: Any], bundle["type"] as? String == "bundle" else {
            throw notABundle("it is not a STIX bundle (a JSON object whose \"type\" is \"bundle\")")
        }
        var collector = Collector()
        // A bundle has no markings of its own in STIX 2.1; any it carries count too.
        try collector.readReferences(of: bundle, index: nil)
        switch bundle["objects"] {
        case nil: break   // optional in STIX 2.1: an empty bundle
        case let objects as [Any]:
            for (index, element) in objects.enumerated() {
                guard let object = element as? [String: Any] else { throw notABundle("object \(index) of the bundle is not a JSON object") }
                try collector.readReferences(of: object, index: index)
                if object["type"] as? String == "marking-definition" {
                    try collector.readDefinition(object, index: index)
                }
            }
        default: throw notABundle("its \"objects\" is not an array")
        }
        return STIXMarkings(findings: collector.findings)
    }

    /// Findings in a stable order: strictest first.
    init(findings: [Finding]) {
        self.findings = findings.sorted {
            ($0.tlp, $0.place.rawValue, $0.standardID ?? "") > ($1.tlp, $1.place.rawValue, $1.standardID ?? "")
        }
    }
}
