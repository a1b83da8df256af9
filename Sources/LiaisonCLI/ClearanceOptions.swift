import ArgumentParser
import LiaisonCore

/// What a peer is cleared for, its organisation and inbound limits: shared by `peers import` and `peers add`.
struct ClearanceOptions: ParsableArguments {
    @Option(name: .customLong("max-tlp"), help: ArgumentHelp("Most sensitive TLP it may receive (default: GREEN for limited, AMBER+STRICT for partner, RED for trusted).", valueName: "level"))
    var maximumTLP: String?

    @Option(name: .long, help: ArgumentHelp("Classification clearance, a rung of the ladder (default: the lowest).", valueName: "label"))
    var clearance: String?

    @Option(name: .long, help: ArgumentHelp("Releasability communities it belongs to, e.g. NATO,EU.", valueName: "community,…"))
    var communities: [String] = []

    @Option(name: .long, help: ArgumentHelp("The organisation it belongs to; TLP:AMBER is forwarded only within this node's own.", valueName: "name"))
    var organisation: String?

    @Option(name: .customLong("max-package-bytes"), help: ArgumentHelp("Largest package accepted from it.", valueName: "bytes"))
    var maximumPackageBytes: Int64?

    @Option(name: .customLong("packages-per-minute"), help: ArgumentHelp("Packages accepted from it per minute; more are refused for now (it backs off).", valueName: "n"))
    var packagesPerMinute: Int64?

    @Option(name: .customLong("bytes-per-day"), help: ArgumentHelp("Bytes accepted from it per 24 hours.", valueName: "bytes"))
    var bytesPerDay: Int64?

    func validate() throws {
        do {
            if let maximumTLP { _ = try TrafficLightProtocol(parsing: maximumTLP) }
            if let organisation { _ = try OrganisationName.validate(organisation) }
        } catch let error as CoreError {
            throw ValidationError(error.message)
        }
        for value in [maximumPackageBytes, packagesPerMinute, bytesPerDay] where (value ?? 1) <= 0 {
            throw ValidationError("limits must be positive numbers")
        }
    }

    /// Applies the options to a new peer record, checking the clearance against the ladder.
    func apply(to peer: inout PeerRecord, ladder: [String]) throws {
        if let maximumTLP { peer.maximumTLP = try TrafficLightProtocol(parsing: maximumTLP) }
        if let clearance {
            let label = try Markings(tlp: .clear, classification: clearance).classification
            guard ladder.contains(label) else {
                throw CoreError(.invalidArgument, "\"\(label)\" is not on this node's classification ladder (\(ladder.joined(separator: " < ")))")
            }
            peer.clearance = label
        }
        peer.communities = try Markings(tlp: .clear, releasableTo: commaList(communities)).releasableTo
        peer.inboundLimits.maximumPackageBytes = maximumPackageBytes
        peer.inboundLimits.packagesPerMinute = packagesPerMinute
        peer.inboundLimits.bytesPerDay = bytesPerDay
        peer.organisation = try organisation.map(OrganisationName.validate)
    }
}
