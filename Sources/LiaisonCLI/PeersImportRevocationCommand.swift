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
                The statement must be signed by the identity key of a peer in the keyring;
                that peer is then marked revoked, exactly as if it had sent the statement
                itself: its sessions end now and its handshakes and packages are refused.
                Audited. Partners that can reach this node get the statement on their own.
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The statement file the partner handed out.", valueName: "file")) var file: String

        func run() throws {
            var request = ControlRequest(.peersImportRevocation)
            request.statement = try readTextFile(file, limit: 4 * RevocationStatement.maximumByteCount)
            let status = try daemon.connect().call(request, PeerStatus.self)
            if daemon.json { return try printJSON(status) }
            print("\(status.name) (\(status.fingerprint)) revoked its own key: it is marked revoked here; its sessions were ended.")
        }
    }
}
