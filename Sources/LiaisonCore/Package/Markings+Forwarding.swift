extension Markings {
    /// The caveat that names where a forwarded package came from:
    /// `FWD/<ORIGIN SHORT FINGERPRINT>/<ORIGINAL PACKAGE ID>`, upper case, e.g.
    /// `FWD/HFIGX-VIHPN-PYXNJ/0123456789ABCDEF0123456789ABCDEF`. Caveats are labels
    /// (letters, digits and ` +-_/.`), so `/` separates the parts where `:` cannot.
    public static func forwardingCaveat(origin: NodeFingerprint, package: PackageID) -> String {
        "\(forwardedCaveatPrefix)\(origin.short.uppercased())/\(package.description.uppercased())"
    }

    /// The prefix of origin caveats; reserved for `liaison forward`.
    public static let forwardedCaveatPrefix = "FWD/"

    /// The short fingerprints (upper case) the origin caveats name: every node the
    /// package was forwarded from, earliest first.
    public var forwardingOrigins: [String] {
        caveats.compactMap { caveat in
            let parts = caveat.split(separator: "/", omittingEmptySubsequences: false)
            guard caveat.hasPrefix(Self.forwardedCaveatPrefix), parts.count == 3 else { return nil }
            return String(parts[1])
        }
    }

    /// How the policy decides a queued package with these markings as it leaves:
    /// `.forward` for one `liaison forward` sealed (an origin caveat names where it
    /// came from: TLP:AMBER then goes only within this node's organisation), `.send`
    /// otherwise. One rule for the sender and for what explains its decisions.
    public var leavingDirection: PolicyDirection { forwardingOrigins.isEmpty ? .send : .forward }

    /// Whether `peer` is named as an origin by these markings' `FWD/` caveats (by the
    /// fingerprint it has or the one that names it for life).
    public func namesAsOrigin(_ peer: PeerRecord) -> Bool {
        let origins = Set(forwardingOrigins)
        return origins.contains(peer.fingerprint.short.uppercased()) || origins.contains(peer.logFingerprint.short.uppercased())
    }

    /// These markings for a package forwarded from `origin`'s package `package`: the
    /// same TLP, classification, releasability and caveats, plus the caveat that names
    /// the origin (``forwardingCaveat(origin:package:)``). A package forwarded again
    /// keeps every earlier origin caveat, so the chain stays visible.
    public func forwarded(from origin: NodeFingerprint, package: PackageID) throws -> Markings {
        try Markings(tlp: tlp, classification: classification, releasableTo: releasableTo,
                     caveats: caveats + [Self.forwardingCaveat(origin: origin, package: package)])
    }
}
