import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonStore

extension PeersCommand {
    /// `liaison peers show NAME`: one peer and its effective policy.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one partner: trust, clearance, limits, session state and the effective policy per TLP level.",
            discussion: """
                Asks the running daemon; when liaisond is not running, reads the node's \
                keyring and store instead (the same report: the latest handshake is the \
                one the store recorded).
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The peer's name.", valueName: "name")) var name: String

        func run() throws {
            var request = ControlRequest(.peersShow)
            request.name = name
            let detail: PeerDetail
            var offline = false
            do {
                detail = try daemon.connect().call(request, PeerDetail.self)
            } catch let failure as ControlFailure where failure.code == "control.daemon-not-running" && daemon.socket == nil {
                let home = HomeOptions.resolve(daemon.home)
                if let starting = try PeersCommand.Import.runningDaemon(home, otherwise: "run peers show as the node's user, or in its group") {
                    detail = try starting.call(request, PeerDetail.self)
                } else {
                    detail = try Self.detailOnDisk(name, home: home)
                    offline = true
                }
            }
            if daemon.json { return try printJSON(detail) }
            if offline { print("(liaisond is not running: read from the node's keyring and store)") }
            let s = detail.status
            print("peer: \(s.name)\(s.revoked ? " (REVOKED)" : "")")
            print("  fingerprint: \(s.fingerprint)")
            if let logName = s.auditLogName {
                print("  audit log: liaison/\(logName) (named after its first keys; it witnesses under that name too)")
            }
            if let previous = s.previousFingerprint, let until = s.previousKeysUntil {
                print("  rotated from: \(previous) (previous keys accepted until \(until))")
            }
            print("  trust: \(s.trust)")
            // A maximum TLP above what its trust level lets through is said next to it.
            let sendable = detail.policy.last { $0.send == "allowed" }?.tlp
            let capped = sendable == nil ? " (nothing goes to it: it is \(s.revoked ? "revoked" : s.trust))"
                : sendable != detail.maximumTLP ? " (its trust level lets \(sendable!) at most through)" : ""
            let origin = detail.maximumTLPChosen == false ? " (its trust level's default, which follows set-trust)" : ""
            print("  cleared for: TLP up to \(detail.maximumTLP)\(origin)\(capped), classification up to \(detail.clearance), communities \(detail.communities.isEmpty ? "(none)" : detail.communities.joined(separator: ", "))")
            let limits = [detail.maximumPackageBytes.map { "max package \(ByteCount.format($0))" },
                          detail.packagesPerMinute.map { "\($0) packages/min" },
                          detail.bytesPerDay.map { "\(ByteCount.format($0))/day" }].compactMap { $0 }
            print("  inbound limits: \(limits.isEmpty ? "none" : limits.joined(separator: ", "))")
            print("  endpoint: \(s.addresses.isEmpty ? "(none)" : s.addresses.joined(separator: ", "))")
            print("  latest handshake: \(s.lastHandshake ?? "never")")
            print("  packages: \(s.queued) queued, \(s.delivered) delivered, \(s.failed) failed")
            Self.printPolicy(detail)
        }

        /// The report the daemon would give, from the keyring and `liaison.db` of a
        /// node whose daemon is not running.
        static func detailOnDisk(_ name: String, home: NodeHome) throws -> PeerDetail {
            let configuration = try home.loadConfiguration()
            guard let peer = try home.loadKeyring(configuration).peer(named: name) else {
                throw CoreError(.unknownPeer, "no peer named \(name); see `liaison peers list --home \(home.path)`")
            }
            // Read as it is: nothing created or migrated (the daemon does that when it starts).
            let path = home.path + "/" + NodeStore.fileName
            let stored = try NodeStore.peerSummary(path: path, peer: name, fingerprint: peer.fingerprint)
            // A peer that rotated its keys has a second row, under its lifelong fingerprint.
            let lineage = peer.logFingerprint == peer.fingerprint ? nil
                : try NodeStore.peerSummary(path: path, peer: name, fingerprint: peer.logFingerprint).state
            let state = PeerState.combining(stored.state, lineage), counts = stored.deliveries
            let status = PeerStatus(peer, lastHandshakeAt: state?.lastHandshakeAt, lastError: state?.lastError,
                                    bytesSent: state?.bytesSent ?? 0, bytesReceived: state?.bytesReceived ?? 0,
                                    queued: (counts[.queued] ?? 0) + (counts[.sending] ?? 0), delivered: counts[.delivered] ?? 0,
                                    failed: counts[.failed] ?? 0, now: Timestamp.now())
            return PeerDetail(peer, status: status, ladder: configuration.classifications)
        }

        static func printPolicy(_ detail: PeerDetail) {
            print("  effective policy (classifications up to \(detail.clearance)):")
            // "allowed" up to the clearance; "up to X" when only lower classifications are.
            func cell(_ verdict: String, _ upTo: String?) -> String {
                guard verdict == "allowed", let upTo, upTo != detail.clearance else { return verdict }
                return "up to \(upTo)"
            }
            let table = TextTable(headers: ["TLP", "SEND TO IT", "RULE", "ACCEPT FROM IT", "RULE"]).render(detail.policy.map {
                [$0.tlp, cell($0.send, $0.sendUpTo), $0.sendRule, cell($0.receive, $0.receiveUpTo), $0.receiveRule]
            })
            print(table.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        }
    }
}
