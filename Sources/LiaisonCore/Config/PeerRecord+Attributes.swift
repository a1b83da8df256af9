extension PeerRecord {
    /// Every attribute the access policy and the dialler read, as the details of the
    /// `peer.added` audit entry: the peer as added can be rebuilt from the log,
    /// whether the daemon or an offline `peers import` added it.
    public var attributeDetails: [String: String] {
        var details = ["trust": trust.rawValue, "max-tlp": maximumTLP.label, "addresses": addresses.joined(separator: ",")]
        details["clearance"] = clearance
        details["communities"] = communities.isEmpty ? nil : communities.joined(separator: ",")
        details["organisation"] = organisation
        details["max-package-bytes"] = inboundLimits.maximumPackageBytes.map(String.init)
        details["packages-per-minute"] = inboundLimits.packagesPerMinute.map(String.init)
        details["bytes-per-day"] = inboundLimits.bytesPerDay.map(String.init)
        // Its audit log's name, when not its fingerprint (it rotated before or since it was added).
        details["audit-log"] = auditLogFingerprint == fingerprint ? nil : auditLogFingerprint.description
        return details
    }
}
