import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

@Suite("keys/peer-rotations.txt: appended to, never dropped, and the pace of a partner's rotations")
struct PeerRotationHistoryTests {
    private let now = Timestamp.now()
    /// A node home of its own for each test (removed with it).
    private let dir = TemporaryDirectory()
    private let home: NodeHome

    init() throws {
        try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: true)
        home = NodeHome(path: dir.path)
    }

    /// `name`, made from `seed`'s card and rotated to `next`'s keys with an overlap until `until`.
    private func rotatedPeer(_ name: String, seed: UInt64, next: UInt64, until: Int64) throws -> (PeerRecord, IdentityPublicKey) {
        let old = try F.secrets(seed: seed), new = try F.secrets(seed: next)
        let card = { (s: NodeSecrets) in try NodeCard(name: name, secrets: s, addresses: [], validFrom: now, validUntil: now + 86_400) }
        let peer = PeerRecord(name: name, card: try card(old), trust: .partner, added: now - 100)
        return (peer.rotated(to: try card(new), overlapUntil: until), old.identity.publicKey)
    }

    @Test("past its limit the file refuses a rotation (identity.rotation-refused) and keeps every line, byte for byte")
    func fullFileRefusesAndKeepsHistory() throws {
        let (alpha, alphaOld) = try rotatedPeer("alpha", seed: 1, next: 2, until: now - 10)
        let (charlie, charlieOld) = try rotatedPeer("charlie", seed: 3, next: 4, until: now + 60)
        // No file yet: room.
        try home.ensurePeerRotationRoom(peer: alpha, previous: alphaOld, until: now - 10)
        try home.recordPeerRotation(peer: alpha, previous: alphaOld, until: now - 10)
        try home.recordPeerRotation(peer: charlie, previous: charlieOld, until: now + 60)
        // Filled up to a few bytes short of the limit (lines that do not parse are skipped when read).
        let handle = try #require(FileHandle(forWritingAtPath: home.peerRotationsPath))
        let size = Int(try handle.seekToEnd())
        let filler = String(repeating: "x", count: 1023) + "\n"
        let room = NodeHome.peerRotationsByteLimit - size - 20
        try handle.write(contentsOf: Data(String(repeating: filler, count: room / filler.utf8.count).utf8))
        try handle.write(contentsOf: Data(String(repeating: "y", count: room % filler.utf8.count - 1).utf8 + [0x0A]))
        try handle.close()
        let before = try #require(FileManager.default.contents(atPath: home.peerRotationsPath))
        #expect(before.count == NodeHome.peerRotationsByteLimit - 20)

        let (bravo, bravoOld) = try rotatedPeer("bravo", seed: 5, next: 6, until: now + 60)
        // Asked before the rotation is audited: the same refusal, nothing written.
        #expect {
            try home.ensurePeerRotationRoom(peer: bravo, previous: bravoOld, until: now + 60)
        } throws: { error in
            (error as? CoreError)?.code == .rotationRefused && "\(error)".contains("never dropped")
        }
        #expect {
            try home.recordPeerRotation(peer: bravo, previous: bravoOld, until: now + 60)
        } throws: { error in
            (error as? CoreError)?.code == .rotationRefused && "\(error)".contains("never dropped")
        }
        #expect(FileManager.default.contents(atPath: home.peerRotationsPath) == before, "nothing written, nothing dropped")
        #expect(home.retiredPeerKeys().map(\.identity) == [alphaOld, charlieOld])
        #expect(home.peer(everHolding: alphaOld, in: try Keyring(peers: [alpha, charlie]))?.name == "alpha")
        #expect(home.senders(asOf: now - 20, keyring: try Keyring(peers: [alpha])).sender(withIdentity: alphaOld.rawRepresentation)?.name == "alpha")
    }

    @Test("room promised to other rotations under way counts: the file is shared by every peer")
    func reservedRoomCounts() throws {
        let (bravo, bravoOld) = try rotatedPeer("bravo", seed: 5, next: 6, until: now + 60)
        let needed = try home.ensurePeerRotationRoom(peer: bravo, previous: bravoOld, until: now + 60)
        #expect(needed > 100)
        try home.ensurePeerRotationRoom(peer: bravo, previous: bravoOld, until: now + 60, reserved: NodeHome.peerRotationsByteLimit - needed)
        #expect {
            try home.ensurePeerRotationRoom(peer: bravo, previous: bravoOld, until: now + 60, reserved: NodeHome.peerRotationsByteLimit - needed + 1)
        } throws: { error in
            (error as? CoreError)?.code == .rotationRefused
        }
    }

    @Test("lines are appended; a line a crash cut short stays apart, and the next one is whole")
    func appendAfterCutLine() throws {
        let (alpha, alphaOld) = try rotatedPeer("alpha", seed: 1, next: 2, until: now + 60)
        try home.recordPeerRotation(peer: alpha, previous: alphaOld, until: now + 60)
        let first = try String(contentsOfFile: home.peerRotationsPath, encoding: .utf8)
        let handle = try #require(FileHandle(forWritingAtPath: home.peerRotationsPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(first.prefix(30).utf8))   // a crash mid-line
        try handle.close()
        let (charlie, charlieOld) = try rotatedPeer("charlie", seed: 3, next: 4, until: now + 60)
        try home.recordPeerRotation(peer: charlie, previous: charlieOld, until: now + 60)
        let text = try String(contentsOfFile: home.peerRotationsPath, encoding: .utf8)
        #expect(text.hasPrefix(first) && text.hasSuffix("\n"))
        #expect(text.split(separator: "\n").count == 3)
        #expect(home.retiredPeerKeys().map(\.identity) == [alphaOld, charlieOld])
        var info = stat()
        #expect(stat(home.peerRotationsPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test("a peer's latest overlap end: its record's or its own latest line, not another peer's, nor a line naming its current key")
    func latestOverlapEnd() throws {
        let (alpha, alphaOld) = try rotatedPeer("alpha", seed: 1, next: 2, until: now - 500)
        var settled = alpha
        settled.previousKeys = nil
        settled.previousUntil = nil   // as a keyring load leaves it after the overlap
        #expect(home.latestRotationOverlapEnd(of: settled) == nil)
        #expect(home.latestRotationOverlapEnd(of: alpha) == now - 500)
        try home.recordPeerRotation(peer: alpha, previous: alphaOld, until: now - 500)
        #expect(home.latestRotationOverlapEnd(of: settled) == now - 500)
        // A rotation recorded but never taken (its keyring update failed) names the current key.
        try home.recordPeerRotation(peer: settled, previous: settled.keys.identity, until: now + 900)
        let (charlie, charlieOld) = try rotatedPeer("charlie", seed: 3, next: 4, until: now + 700)
        try home.recordPeerRotation(peer: charlie, previous: charlieOld, until: now + 700)
        #expect(home.latestRotationOverlapEnd(of: settled) == now - 500)
        #expect(home.latestRotationOverlapEnd(of: charlie) == now + 700)
    }

    @Test("the pace: any time for a first rotation; none while an overlap is open, nor until the interval after it has passed")
    func pace() {
        let pace = PeerRotationPace(intervalSeconds: 3600)
        let end = now
        let table: [(previousOverlapEnd: Int64?, at: Int64, refused: String?)] = [
            (nil, now, nil),
            (end, end - 1, "still open"),
            (end, end, "ended at"),
            (end, end + 3599, "ended at"),
            (end, end + 3600, nil),
            (Int64.max, now, "still open"),
        ]
        for row in table {
            let refusal = pace.refusal(previousOverlapEnd: row.previousOverlapEnd, now: row.at)
            if let expected = row.refused {
                #expect(refusal?.contains(expected) == true && refusal?.contains("peer-rotation-interval-seconds") == true, "\(row)")
            } else {
                #expect(refusal == nil, "\(row)")
            }
        }
        #expect(pace.nextRotation(afterOverlapEnding: end) == end + 3600)
        #expect(pace.nextRotation(afterOverlapEnding: Int64.max) == Int64.max, "saturates")
    }
}
