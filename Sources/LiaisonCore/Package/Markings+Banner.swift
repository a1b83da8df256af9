import Foundation

extension Markings {
    /// The markings a banner (``banner``) shows, read back: what the store keeps of a
    /// package whose file is gone (`outbox prune`). TLP, classification and
    /// releasability come back exactly; caveats are split at spaces, so one caveat
    /// of several words comes back as several (no policy rule reads caveats when
    /// sending, so a decision is the same).
    public init(parsingBanner banner: String) throws {
        let parts = banner.components(separatedBy: " · ")
        guard parts.count >= 2, parts.count <= 4 else {
            throw CoreError(.invalidMarkings, "\"\(banner.prefix(80))\" is not a markings banner (TLP:LEVEL · CLASSIFICATION …)")
        }
        var rest = parts.dropFirst(2)
        var releasableTo: [String] = []
        if let first = rest.first, first.hasPrefix("REL TO ") {
            releasableTo = first.dropFirst("REL TO ".count).components(separatedBy: ", ")
            rest = rest.dropFirst()
        }
        guard rest.count <= 1 else {
            throw CoreError(.invalidMarkings, "\"\(banner.prefix(80))\" is not a markings banner (TLP:LEVEL · CLASSIFICATION …)")
        }
        let caveats = rest.first.map { $0.split(separator: " ").map(String.init) } ?? []
        try self.init(tlp: try TrafficLightProtocol(parsing: parts[0]), classification: parts[1], releasableTo: releasableTo, caveats: caveats)
    }
}
