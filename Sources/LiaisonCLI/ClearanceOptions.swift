import Foundation
import ArgumentParser
import LiaisonControl
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
            if let organisation, !organisation.isEmpty { _ = try OrganisationName.validate(organisation) }
        } catch let error as CoreError {
            throw ValidationError(error.message)
        }
        for value in [maximumPackageBytes, packagesPerMinute, bytesPerDay] where (value ?? 1) <= 0 {
            throw ValidationError("limits must be positive numbers (peers set --clear-limits removes them)")
        }
    }

    /// Says on standard error when `--max-tlp` asks for more than a peer of `trust`
    /// is ever sent, so nobody believes a partner cleared for RED: the policy caps it.
    func warnIfCapped(_ name: String, trust: TrustLevel) {
        guard let maximumTLP, let asked = try? TrafficLightProtocol(parsing: maximumTLP) else { return }
        let note: String
        switch trust.tlpCeiling {
        case nil:
            note = "\(name) is blocked: nothing is sent to it, whatever --max-tlp says"
        case let ceiling? where asked > ceiling:
            let raise = trust == .partner ? "TLP:RED goes only to trusted peers" : "a limited peer gets TLP:CLEAR and TLP:GREEN only"
            note = "--max-tlp \(asked.label) is above what a \(trust) peer is sent (\(raise)): \(name) gets at most \(ceiling) until its trust is raised (`liaison peers set-trust \(name) LEVEL`)"
        default:
            return
        }
        FileHandle.standardError.write(Data(HomeInHints.here("note: \(note)\n").utf8))
    }

    /// Whether no option was given.
    var isEmpty: Bool {
        maximumTLP == nil && clearance == nil && communities.isEmpty && organisation == nil
            && maximumPackageBytes == nil && packagesPerMinute == nil && bytesPerDay == nil
    }

    /// The options in a request (`peers add`, `peers set`); the receiving end reads
    /// them with ``PeerEdit``. Communities not given are left out (`--communities ""`
    /// gives an empty list).
    func fill(_ request: inout ControlRequest) {
        request.maximumTLP = maximumTLP
        request.classification = clearance
        request.releasableTo = communities.isEmpty ? nil : commaList(communities)
        request.organisation = organisation
        request.maximumPackageBytes = maximumPackageBytes
        request.packagesPerMinute = packagesPerMinute
        request.bytesPerDay = bytesPerDay
    }

    /// Applies the options to a peer record (`peers import`, offline), as the daemon
    /// does for `peers add`: checked against the classification `ladder`.
    func apply(to peer: inout PeerRecord, ladder: [String]) throws {
        var request = ControlRequest(.peersAdd)
        fill(&request)
        peer = try PeerEdit(request, ladder: ladder).applied(to: peer)
    }
}
