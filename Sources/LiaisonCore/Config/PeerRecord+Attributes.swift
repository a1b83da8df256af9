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
        // The log name its card proved, for a peer that rotated before it was added.
        details["log-name"] = logFingerprint == fingerprint ? nil : logFingerprint.description
        return details
    }
}
