import ArgumentParser
import LiaisonControl
import LiaisonCore

extension PeersCommand {
    /// `liaison peers import-revocation FILE`: a partner's own revocation, handed over by other means.
    struct ImportRevocation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-revocation",
            abstract: "Honour a partner's revocation of its own key from its statement file (revocation.txt).",
            discussion: """
                The statement must be signed by the key it revokes. A peer in the keyring
                holding that key is then marked revoked, exactly as if it had sent the
                statement itself: its sessions end now and its handshakes and packages are
                refused. A key no peer here holds is recorded revoked, so that its card is
                refused if imported later. Audited. Partners that can reach this node get
                the statement on their own.
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The statement file the partner handed out.", valueName: "file")) var file: String

        func run() throws {
            var request = ControlRequest(.peersImportRevocation)
            let text = try readTextFile(file, limit: 4 * RevocationStatement.maximumByteCount)
            request.statement = text
            let client = try daemon.connect()
            // Whether it was revoked here already, by name, for what to say (one more request).
            let statement = try? RevocationStatement(text: text)
            let known = try? client.call(ControlRequest(.peersList), [PeerStatus].self)
            let status = try client.call(request, PeerStatus.self)
            if daemon.json { return try printJSON(status) }
            let already = known?.first { $0.name == status.name }?.revoked == true
            let why = statement.map { " on \(Timestamp.iso8601($0.revokedAt))\($0.reason.isEmpty ? "" : ", reason: \($0.reason)")" } ?? ""
            if status.trust == "unknown" {
                print("No peer here holds \(status.fingerprint), which revoked its own key\(why): it is recorded revoked, and a card with it is refused if anyone imports it.")
            } else if already {
                print("\(status.name) (\(status.fingerprint)) is already marked revoked here; nothing changed (its statement: revoked\(why)).")
            } else {
                print("\(status.name) (\(status.fingerprint)) revoked its own key\(why): it is marked revoked here; its sessions were ended.")
            }
        }
    }
}
