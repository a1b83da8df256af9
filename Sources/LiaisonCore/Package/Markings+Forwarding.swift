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

    /// These markings for a package forwarded from `origin`'s package `package`: the
    /// same TLP, classification, releasability and caveats, plus the caveat that names
    /// the origin (``forwardingCaveat(origin:package:)``). A package forwarded again
    /// keeps every earlier origin caveat, so the chain stays visible.
    public func forwarded(from origin: NodeFingerprint, package: PackageID) throws -> Markings {
        try Markings(tlp: tlp, classification: classification, releasableTo: releasableTo,
                     caveats: caveats + [Self.forwardingCaveat(origin: origin, package: package)])
    }
}
