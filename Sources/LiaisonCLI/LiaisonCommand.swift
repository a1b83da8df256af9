import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// The `liaison` command: operators and auditors drive a node with it.
public struct LiaisonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "liaison",
        abstract: "Exchange signed, encrypted intelligence packages with partner nodes.",
        discussion: """
            Operator commands create the node, manage keys and peers, and seal and open
            packages. Every command takes --home (or LIAISON_HOME) to choose the node.

            `send`, `forward`, `outbox`, `inbox`, `receipts`, `status` and `peers add/remove` talk to
            the running daemon (liaisond) over its control socket.

            Exit codes: 0 success; 1 other failure; 64 usage error; 65 bad data (a
            package, card or file failed verification); 66 no such node, file, peer or
            package; 69 the daemon is not running; 75 try again later (the daemon is busy, or its disk
            is down to its reserve);
            77 permission problem (insecure key file, wrong passphrase, socket not permitted).
            """,
        version: "liaison 0.1.0 (libsodium \(Sodium.version))",
        subcommands: [InitCommand.self, KeysCommand.self, PeersCommand.self, SendCommand.self, OutboxCommand.self,
                      InboxCommand.self, ReceiptsCommand.self, StatusCommand.self, PolicyCommand.self, PackageCommand.self,
                      AuditCommand.self, ForwardCommand.self]
    )

    public init() {}

    /// Runs the command line, turning Liaison errors into a clear message and a
    /// documented exit code.
    public static func main(arguments: [String]? = nil) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as CoreError {
            FileHandle.standardError.write(Data("liaison: error: \(error.message) [\(error.code.rawValue)]\n".utf8))
            return ExitCode.for(error)
        } catch let error as ControlFailure {
            FileHandle.standardError.write(Data("liaison: error: \(error.message) [\(error.code)]\n".utf8))
            return ExitCode.for(error)
        } catch let error as AuditError {
            FileHandle.standardError.write(Data("liaison: error: \(error.message) [\(error.code.rawValue)]\n".utf8))
            return 65
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("liaison: error: \(error.message) [\(error.code.rawValue)]\n".utf8))
            return error.code == .cannotOpen || error.code == .notFound ? 66 : 1
        } catch let error as CryptoError {
            FileHandle.standardError.write(Data("liaison: error: \(error)\n".utf8))
            return 65
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code.rawValue == 0 {
                print(message)  // --help, --version
            } else if !message.isEmpty {
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
            return code.rawValue
        }
    }
}

/// Exit codes (sysexits.h style), documented in `--help`.
enum ExitCode {
    static func `for`(_ failure: ControlFailure) -> Int32 {
        switch failure.code {
        case "control.daemon-not-running", "control.unavailable", "control.connection-lost": 69
        case "control.busy": 75
        case "control.permission-denied", "control.forbidden": 77
        default: CoreError.Code(rawValue: failure.code).map { Self.for(CoreError($0, failure.message)) } ?? 1
        }
    }

    static func `for`(_ error: CoreError) -> Int32 {
        switch error.code {
        case .nodeMissing, .keyFileMissing, .unknownPeer, .unknownPackage: 66
        case .keyFileInsecurePermissions, .keyFileSymlink, .wrongPassphrase, .passphraseUnavailable: 77
        case .invalidArgument, .nodeExists, .peerExists, .invalidMarkings, .invalidRecipients: 64
        case .policyDenied: 65
        case .diskReserve: 75
        case .io: 1
        default: 65
        }
    }
}
