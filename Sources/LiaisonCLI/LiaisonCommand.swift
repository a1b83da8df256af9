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
            Operators create the node, manage its keys and partners, and send, receive \
            and forward packages; auditors query, prove, export and verify the node's \
            audit log. Every command takes --home after its name (`liaison status --home \
            DIR`; else $LIAISON_HOME, else ~/.liaison) to choose the node.

            Work offline, on the node's files: init, keys show/card, peers import/list, \
            package seal/open/inspect, policy check/explain, receipts check, audit verify \
            --bundle/--database, audit check-proof, audit match, backup check, and backup (with the \
            daemon running or not).

            Talk to the running daemon (liaisond) over its control socket (--socket): \
            send, forward, outbox, inbox, receipts (list, export), status; peers add/show/set/set-trust/\
            revoke/import-revocation/remove; keys rotate/revoke; audit query/checkpoint/\
            prove/witnessed/export, and verify of the live log. peers import hands the \
            card to the daemon when it runs.

            Exit codes: 0 success; 1 other failure; 64 usage error; 65 bad data (a \
            package, card, file or audit log failed verification) or a policy denial; \
            66 no such node, file, peer or package; 69 the daemon is not running; \
            75 try again later (the daemon is busy, starting or stopping, its disk is down to its reserve, or \
            its audit log cannot be written, or a key change must wait); 77 not permitted (insecure key file, wrong \
            passphrase, socket or node files not permitted, this node's key revoked); 78 the node's \
            configuration (liaison.toml) is malformed.
            """,
        version: "liaison \(LiaisonVersion.number) (libsodium \(Sodium.version))",
        subcommands: [InitCommand.self, KeysCommand.self, PeersCommand.self, SendCommand.self, OutboxCommand.self,
                      InboxCommand.self, ReceiptsCommand.self, StatusCommand.self, PolicyCommand.self, PackageCommand.self,
                      AuditCommand.self, ForwardCommand.self, BackupCommand.self]
    )

    public init() {}

    /// Runs the command line, turning Liaison errors into a clear message and a
    /// documented exit code.
    public static func main(arguments: [String]? = nil) async -> Int32 {
        // With --json, a Liaison error is one JSON line on stderr too, for scripts.
        let given = arguments ?? Array(CommandLine.arguments.dropFirst())
        let json = given.contains("--json")
        let home = HomeInHints.home(in: given)
        func fail(_ message: String, code: String, status: Int32) -> Int32 {
            let message = home.map { HomeInHints.adding($0, to: message) } ?? message
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if json, let line = try? encoder.encode(ErrorReport(error: .init(code: code, message: message, status: status))) {
                FileHandle.standardError.write(line + Data("\n".utf8))
            } else {
                // Messages may quote a file, a database or a peer: nothing in them reaches the terminal as a control.
                FileHandle.standardError.write(Data("liaison: error: \(message.printable) [\(code)]\n".utf8))
            }
            return status
        }
        if let problem = SubcommandSpelling.problem(in: given, root: Self.self) {
            FileHandle.standardError.write(Data("liaison: error: \(problem)\n".utf8))
            return 64
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as CoreError {
            return fail(error.message, code: error.code.rawValue, status: ExitCode.for(error))
        } catch let error as ControlFailure {
            return fail(error.message, code: error.code, status: ExitCode.for(error))
        } catch let error as AuditError {
            return fail(error.message, code: error.code.rawValue, status: ExitCode.for(error))
        } catch let error as StoreError {
            // Found wrong (a log that disagrees with itself or with a witness) is 65, as for verify.
            let status: Int32 = switch error.code {
            case .cannotOpen, .notFound: 66
            case .corrupt, .conflict: 65
            default: 1
            }
            return fail(error.message, code: error.code.rawValue, status: status)
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

/// What a failed command prints on stderr with `--json`:
/// `{"error":{"code":"node.missing","message":"…","status":66}}`.
struct ErrorReport: Encodable {
    let error: Detail

    struct Detail: Encodable {
        let code: String
        let message: String
        let status: Int32
    }
}

/// Exit codes (sysexits.h style), documented in `--help`.
enum ExitCode {
    static func `for`(_ failure: ControlFailure) -> Int32 {
        switch failure.code {
        case "control.daemon-not-running", "control.unavailable", "control.connection-lost": 69
        case "control.busy", "control.stopping", "control.not-ready": 75
        case "control.permission-denied", "control.forbidden": 77
        case "audit.not-witnessed": 66
        default: CoreError.Code(rawValue: failure.code).map { Self.for(CoreError($0, failure.message)) } ?? 1
        }
    }

    static func `for`(_ error: CoreError) -> Int32 {
        switch error.code {
        case .nodeMissing, .keyFileMissing, .unknownPeer, .unknownPackage, .inputUnreadable: 66
        case .keyFileInsecurePermissions, .keyFileSymlink, .wrongPassphrase, .passphraseUnavailable, .nodeRevoked, .permissionDenied: 77
        case .invalidArgument, .nodeExists, .peerExists, .invalidMarkings, .invalidRecipients: 64
        case .policyDenied: 65
        case .diskReserve, .auditUnavailable, .nodeRunning, .keyChangeNotNow: 75
        case .malformedConfig: 78
        case .io: 1
        default: 65
        }
    }

    /// 65 only when something was verified and found wrong: an auditor's alarm must not
    /// go off for a mistyped path or a full disk.
    static func `for`(_ error: AuditError) -> Int32 {
        switch error.code {
        case .bundleExists: 64
        case .bundleIO: 1
        default: 65
        }
    }
}
