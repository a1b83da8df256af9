import ArgumentParser
import LiaisonControl
import LiaisonCore

/// `liaison forward`: re-share a received package with more peers, where its
/// markings allow.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Re-share a received package with peers, only where its markings allow.",
        discussion: """
            The daemon verifies the package again and seals its content to the
            peers that may have it, as a new package signed by this node. The new
            package keeps the markings, content type and expiry, and adds the
            caveat FWD/<origin's short fingerprint>/<original package id>.

            TLP:RED and TLP:AMBER+STRICT are never forwarded; TLP:AMBER only to
            peers of this node's own organisation ([node] organisation and the
            peer's --organisation). Each peer must also pass every rule a send to
            it would. Withheld peers are listed with their rule and audited; if
            no peer may have it, nothing is queued (exit 65).

            Example:
              liaison forward 0123456789abcdef0123456789abcdef --to charlie,delta
            """)

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: ArgumentHelp("The received package's id, or its first 8 or more hex digits (see `liaison inbox list`).", valueName: "id"))
    var id: String

    @Option(name: .long, help: ArgumentHelp("Peers to forward it to, comma-separated or repeated.", valueName: "name,…"))
    var to: [String]

    @Option(name: .long, help: ArgumentHelp("The sender, by name or fingerprint, if packages from several peers carry this id (ids are random: one copied the other's).",
                                            valueName: "peer"))
    var from: String?
    @Flag(name: .long, help: "Forward it also to peers it was already forwarded to (otherwise refused, so that a repeated command queues nothing twice).")
    var again = false

    /// The recipients, split and trimmed.
    var recipients: [String] { commaList(to) }

    func validate() throws {
        if recipients.isEmpty { throw ValidationError("--to needs at least one peer: an empty recipient set is an error, never \"everyone\"") }
        try PackageIDArgument.validate(id)
    }

    func run() throws {
        var request = ControlRequest(.forward)
        request.id = id
        request.peer = from
        request.to = recipients
        request.again = again ? true : nil
        let receipt = try daemon.connect().call(request, SendReceipt.self)
        daemon.warnIfAnotherNode(receipt.node, did: "forwarded it")
        if daemon.json { return try printJSON(receipt) }
        print("Forwarded \(receipt.forwardedFrom ?? id) as package \(receipt.id) (\(ByteCount.format(receipt.size))) to \(receipt.recipients.joined(separator: ", "))")
        for w in receipt.withheld { print("  withheld: \(w.peer) — \(w.reason) [\(w.rule)]") }
        print("  markings: \(receipt.markings)")
        print("  expires:  \(receipt.expires ?? "never")")
        print(HomeInHints.here("Follow it with `liaison outbox list`; receipts appear in `liaison receipts`."))
    }
}
