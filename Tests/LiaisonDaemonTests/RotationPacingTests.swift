import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

@Suite("A partner's key rotations are paced, on real daemons", .serialized)
struct RotationPacingTests {
    private func card(_ secrets: NodeSecrets, now: Int64) throws -> NodeCard {
        try NodeCard(name: "alpha", secrets: secrets, addresses: [], validFrom: now, validUntil: now + 86_400)
    }

    /// Sends `statement` to bravo on a session made with `transport` and returns bravo's answer.
    private func announce(_ statement: RotationStatement, as transport: TransportSecretKey, in net: DaemonNetwork) throws -> SessionMessage {
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: transport, remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        try client.send(.rotation(statement.encoded))
        return try client.receive()
    }

    @Test("a rotation while the previous one's overlap is open, or within the interval after it, is refused, audited, and changes nothing",
          .timeLimit(.minutes(2)))
    func rotationTooSoonIsRefused() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let first = try keysAfterRotation(of: alpha), second = try keysAfterRotation(of: alpha), third = try keysAfterRotation(of: alpha)
        // The overlap is the peer's choice: here it ends two seconds after the rotation.
        let start = Timestamp.now()
        let taken = try RotationStatement(previous: alpha.identity, card: try card(first, now: start), rotatedAt: start, overlapUntil: start + 2)
        #expect(try announce(taken, as: alpha.transport, in: net) == .rotationAccepted)
        let keyringPath = net.home("bravo") + "/keyring.toml", rotationsPath = net.home("bravo") + "/keys/peer-rotations.txt"
        let keyring = try #require(FileManager.default.contents(atPath: keyringPath))
        let rotations = try #require(FileManager.default.contents(atPath: rotationsPath))

        // Signed by alpha's current key, on a session made with its current transport key: genuine, but too soon.
        let whileOpen = try RotationStatement(previous: first.identity, card: try card(second, now: start), rotatedAt: start, overlapUntil: start + 2)
        #expect(try announce(whileOpen, as: first.transport, in: net) == .close(reason: .protocolError))
        // Once the overlap has ended: still within peer-rotation-interval-seconds (an hour by default).
        #expect(eventually(timeoutSeconds: 10) { Timestamp.now() > start + 2 })
        let now = Timestamp.now()
        let afterIt = try RotationStatement(previous: first.identity, card: try card(third, now: now), rotatedAt: now, overlapUntil: now + 2)
        #expect(try announce(afterIt, as: first.transport, in: net) == .close(reason: .protocolError))

        #expect(FileManager.default.contents(atPath: keyringPath) == keyring, "the keyring is unchanged")
        #expect(FileManager.default.contents(atPath: rotationsPath) == rotations, "no retired key recorded")
        let shown = try net.expect(["peers", "show", "alpha", "--home", net.home("bravo"), "--json"]).stdout
        #expect(shown.contains(first.publicKeys.fingerprint.description) && !shown.contains(second.publicKeys.fingerprint.description))
        let events = try net.auditEvents("bravo").filter { $0.kind == .keyRotated }
        #expect(events.filter { $0.outcome == .ok }.count == 1)
        let refused = events.filter { $0.outcome == .denied }
        #expect(refused.count == 2 && refused.allSatisfy { $0.peerName == "alpha" && $0.reason?.hasPrefix("identity.rotation-refused") == true })
        #expect(refused.first?.reason?.contains("overlap is still open") == true, "\(refused.map(\.reason))")
        #expect(refused.last?.reason?.contains("peer-rotation-interval-seconds") == true, "\(refused.map(\.reason))")
        #expect(net.daemon("bravo").log.contains("refused a key rotation from alpha"))
    }

    @Test("a rotation the history file has no room for is refused before it is audited: no entry says it was taken",
          .timeLimit(.minutes(2)))
    func fullHistoryRefusesBeforeAuditing() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        // bravo's record of partners' retired keys, full to 20 bytes short of its limit.
        let rotationsPath = net.home("bravo") + "/keys/peer-rotations.txt"
        let filler = String(repeating: "x", count: 1023) + "\n"
        let short = NodeHome.peerRotationsByteLimit - 20
        let full = String(repeating: filler, count: short / filler.utf8.count) + String(repeating: "y", count: short % filler.utf8.count - 1) + "\n"
        #expect(FileManager.default.createFile(atPath: rotationsPath, contents: Data(full.utf8), attributes: [.posixPermissions: 0o600]))
        try net.daemon("bravo").start()
        let keyringPath = net.home("bravo") + "/keyring.toml"
        let keyring = try #require(FileManager.default.contents(atPath: keyringPath))

        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let now = Timestamp.now()
        let statement = try RotationStatement(previous: alpha.identity, card: try card(try keysAfterRotation(of: alpha), now: now),
                                              rotatedAt: now, overlapUntil: now + 3_600)
        #expect(try announce(statement, as: alpha.transport, in: net) == .close(reason: .protocolError))

        #expect(FileManager.default.contents(atPath: keyringPath) == keyring, "the keyring is unchanged")
        #expect(FileManager.default.contents(atPath: rotationsPath)?.count == short, "nothing written, nothing dropped")
        let events = try net.auditEvents("bravo").filter { $0.kind == .keyRotated }
        #expect(events.filter { $0.outcome != .denied }.isEmpty, "\(events.map { ($0.outcome, $0.reason) })")
        let refused = try #require(events.first { $0.outcome == .denied })
        #expect(refused.reason?.contains("never dropped") == true, "\(refused.reason ?? "")")
    }

    @Test("the same rotation told on two sessions at once is taken once and acknowledged on both: no refusal is recorded",
          .timeLimit(.minutes(2)))
    func sameRotationOnTwoSessions() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravoTransport = try ProtocolClient.publicKeys(home: net.home("bravo")).transport
        let now = Timestamp.now()
        let statement = try RotationStatement(previous: alpha.identity, card: try card(try keysAfterRotation(of: alpha), now: now),
                                              rotatedAt: now, overlapUntil: now + 3_600)
        // Both sessions open first, then the statement goes out on each back to back.
        var first = try ProtocolClient(port: net.ports["bravo"]!)
        try first.handshake(local: alpha.transport, remote: bravoTransport)
        var second = try ProtocolClient(port: net.ports["bravo"]!)
        try second.handshake(local: alpha.transport, remote: bravoTransport)
        try first.send(.rotation(statement.encoded))
        try second.send(.rotation(statement.encoded))
        #expect(try first.receive() == .rotationAccepted)
        #expect(try second.receive() == .rotationAccepted)

        let events = try net.auditEvents("bravo").filter { $0.kind == .keyRotated }
        #expect(events.count == 1 && events.first?.outcome == .ok, "\(events.map { ($0.outcome, $0.reason) })")
        let shown = try net.expect(["peers", "show", "alpha", "--home", net.home("bravo"), "--json"]).stdout
        #expect(shown.contains(statement.fingerprint.description), "\(shown)")
    }
}
