import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A peer delivering a package it did not seal must not learn from the answer
/// whether this node was among its recipients, whether its sender is in this
/// node's keyring, or what this node calls it: every such refusal is the same
/// bytes on the wire. This node's log and audit trail keep the specific reason.
@Suite("Refusals that would disclose recipients or the keyring are identical on the wire")
struct UndisclosedRefusalTests {
    /// `payload` sealed by `sender` for `recipients` under package id `id`.
    private static func seal(_ payload: [UInt8], id: PackageID, by sender: IdentitySecretKey,
                             for recipients: [NodePublicKeys]) throws -> [UInt8] {
        var sealer = try PackageSealer(sender: sender, recipients: recipients.map(\.encryption), markings: try Markings(tlp: .green),
                                       created: Timestamp.now(), expires: nil, packageID: id)
        var input = MemorySource(payload)
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        return output.bytes
    }

    @Test("charlie delivering alpha's package not addressed to bravo, alpha's package addressed to bravo (pushed and streamed), an unknown node's and a revoked peer's: one answer, byte for byte; bravo's log and audit name each reason",
          .timeLimit(.minutes(2)))
    func oneAnswerForEveryCause() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie", "delta"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let charlie = try ProtocolClient.secrets(home: net.home("charlie"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let charlieKeys = try ProtocolClient.publicKeys(home: net.home("charlie"))
        let deltaKeys = try ProtocolClient.publicKeys(home: net.home("delta"))

        // One package id for all, so that the answers can be compared whole.
        let id = try PackageID.random()
        let notAddressed = try Self.seal(Array("alpha to charlie and delta".utf8), id: id, by: alpha.identity, for: [charlieKeys, deltaKeys])
        let coRecipient = try Self.seal(Array("alpha to bravo and charlie".utf8), id: id, by: alpha.identity, for: [bravoKeys, charlieKeys])
        let unknown = try Self.seal(Array("a stranger to bravo".utf8), id: id, by: try IdentitySecretKey(), for: [bravoKeys])
        // Delta, revoked at bravo: its local name must not come back to charlie either.
        try net.expect(["peers", "revoke", "delta", "--yes", "--home", net.home("bravo")])
        let revoked = try Self.seal(Array("delta, revoked, to bravo".utf8), id: id,
                                    by: try ProtocolClient.secrets(home: net.home("delta")).identity, for: [bravoKeys])
        var rng = SeededBytes(seed: 7)
        let large = try Self.seal(rng.next(200_000), id: id, by: alpha.identity, for: [bravoKeys, charlieKeys])
        #expect(large.count > SessionMessage.maximumPushByteCount)

        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: charlie.transport, remote: bravoKeys.transport)
        var answers: [String: [UInt8]] = [:]
        for (what, bytes) in [("not addressed to bravo", notAddressed), ("sealed by alpha", coRecipient), ("sealed by an unknown node", unknown),
                                ("sealed by a revoked peer", revoked)] {
            try client.send(.push(packageID: id, expires: nil, bytes: bytes))
            answers[what] = try client.receive().encoded
        }
        try client.send(.offer(packageID: id, size: UInt64(large.count), expires: nil))
        guard case .accept(id, 0) = try client.receive() else {
            Issue.record("the large package's offer was not accepted")
            return
        }
        var offset = 0
        while offset < large.count {
            let end = min(offset + SessionMessage.maximumDataByteCount, large.count)
            try client.send(.data(Array(large[offset..<end])))
            offset = end
        }
        try client.send(.end(packageID: id, size: UInt64(large.count)))
        answers["sealed by alpha, streamed"] = try client.receive().encoded
        try client.send(.close(reason: .done))

        let expected = answers["not addressed to bravo"]!
        for (what, answer) in answers { #expect(answer == expected, "\(what): \(String(decoding: answer, as: UTF8.self))") }
        guard case .reject(id, .refused, let detail) = try SessionMessage(decoding: expected) else {
            Issue.record("the uniform answer is not a refusal")
            return
        }
        // Nothing in it names a check, a node or a key.
        for word in ["recipient", "unknown", "keyring", "alpha", "delta", "revoked", "another node"] { #expect(!detail.contains(word)) }
        #expect(try net.inbox("bravo").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: net.home("bravo") + "/spool").filter { $0.hasSuffix(".partial") }.isEmpty)

        // Bravo's own log and audit trail say which was which.
        let log = net.daemon("bravo").log
        #expect(log.contains("[package.not-a-recipient]"))
        #expect(log.contains("sealed by alpha ("))
        #expect(log.contains("which is in neither charlie's keys nor this node's keyring"))
        let reasons = try net.auditEvents("bravo").filter { $0.kind == .packageRejected && $0.package == id.description }.compactMap(\.reason)
        #expect(reasons.count == 5)
        #expect(reasons.filter { $0.contains("[package.not-a-recipient]") }.count == 1)
        #expect(reasons.filter { $0.contains("sealed by alpha") && $0.contains("[package.unknown-sender]") }.count == 2)
        #expect(reasons.filter { $0.contains("in neither charlie's keys nor this node's keyring") }.count == 1)
        #expect(reasons.filter { $0.contains("sealed by delta (") }.count == 1)
        #expect(net.daemon("bravo").stop() != nil)
    }

    /// Streams `package` to bravo as charlie under `id`, drops the connection after
    /// `cut` bytes, resumes once bravo has let go of it, and returns bravo's answer to `end`.
    private static func resumed(_ package: [UInt8], id: PackageID, cut: Int, net: DaemonNetwork) throws -> [UInt8]? {
        let charlie = try ProtocolClient.secrets(home: net.home("charlie"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        func send(_ range: Range<Int>, on client: inout ProtocolClient) throws {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let end = min(offset + SessionMessage.maximumDataByteCount, range.upperBound)
                try client.send(.data(Array(package[offset..<end])))
                offset = end
            }
        }
        do {
            var first = try ProtocolClient(port: net.ports["bravo"]!)
            try first.handshake(local: charlie.transport, remote: bravoKeys.transport)
            try first.send(.offer(packageID: id, size: UInt64(package.count), expires: nil))
            guard case .accept(id, 0) = try first.receive() else { return nil }
            try send(0..<cut, on: &first)
        }   // dropped mid-transfer
        for _ in 0..<100 {
            var again = try ProtocolClient(port: net.ports["bravo"]!)
            try again.handshake(local: charlie.transport, remote: bravoKeys.transport)
            try again.send(.offer(packageID: id, size: UInt64(package.count), expires: nil))
            if case .accept(id, let offset) = try again.receive(), offset > 0 {
                try send(Int(offset)..<package.count, on: &again)
                try again.send(.end(packageID: id, size: UInt64(package.count)))
                let answer = try again.receive().encoded
                try again.send(.close(reason: .done))
                return answer
            }
            usleep(100_000)
        }
        return nil
    }

    @Test("a resumed transfer of a package not addressed to bravo, or of alpha's addressed to it: one answer too (start over), and nothing kept",
          .timeLimit(.minutes(2)))
    func resumedTransfersAnsweredAlike() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie", "delta"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let charlieKeys = try ProtocolClient.publicKeys(home: net.home("charlie"))
        let deltaKeys = try ProtocolClient.publicKeys(home: net.home("delta"))
        let id = try PackageID.random()
        var rng = SeededBytes(seed: 11)
        let payload = rng.next(300_000)
        let coRecipient = try Self.seal(payload, id: id, by: alpha.identity, for: [bravoKeys, charlieKeys])
        let notAddressed = try Self.seal(payload, id: id, by: alpha.identity, for: [charlieKeys, deltaKeys])
        let first = try Self.resumed(coRecipient, id: id, cut: 150_000, net: net)
        let second = try Self.resumed(notAddressed, id: id, cut: 150_000, net: net)
        #expect(first != nil && first == second)
        if let first, case .reject(id, let reason, let detail) = try SessionMessage(decoding: first) {
            #expect(reason == .unavailable && detail.contains("send it again from the start"), "\(detail)")
        } else {
            Issue.record("the resumed transfer was not refused")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: net.home("bravo") + "/spool").filter { $0.hasSuffix(".partial") }.isEmpty)
    }

    @Test("charlie's own package still gets its receipt after the refusals; alpha's, delivered by alpha, too")
    func ownPackagesStillTaken() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("bravo").start()
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        for sender in ["charlie", "alpha"] {
            let secrets = try ProtocolClient.secrets(home: net.home(sender))
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: secrets.transport, remote: bravoKeys.transport)
            let id = try PackageID.random()
            let bytes = try Self.seal(Array("\(sender)'s own".utf8), id: id, by: secrets.identity, for: [bravoKeys])
            try client.send(.push(packageID: id, expires: nil, bytes: bytes))
            guard case .receipt(let receipt) = try client.receive() else {
                Issue.record("\(sender)'s own package was not taken")
                return
            }
            #expect(receipt.packageID == id)
            try client.send(.close(reason: .done))
        }
        #expect(try net.inbox("bravo").count == 2)
    }
}
