import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import Testing

/// A peer that rotated its keys has two rows of state (found in an operator's trial:
/// status said "latest handshake: never" for a partner that rotated and kept
/// dialling this node, its handshakes filed under its lifelong fingerprint).
@Suite("A rotated peer's state, from its two rows")
struct RotatedPeerStateTests {
    static func fingerprint() throws -> NodeFingerprint { NodeFingerprint(identity: try IdentitySecretKey().publicKey) }

    @Test("the newest handshake of either row, the current row's error alone, the traffic of both")
    func combining() throws {
        let current = PeerState(fingerprint: try Self.fingerprint(), lastHandshakeTimestamp: nil, lastHandshakeAt: nil,
                                lastError: nil, bytesSent: 10, bytesReceived: 20)
        let lineage = PeerState(fingerprint: try Self.fingerprint(), lastHandshakeTimestamp: 7, lastHandshakeAt: 1_800_000_000,
                                lastError: "old", bytesSent: 1, bytesReceived: 2)
        let both = try #require(PeerState.combining(current, lineage))
        #expect(both.fingerprint == current.fingerprint && both.lastHandshakeAt == 1_800_000_000)
        // The other row's error predates the rotation (found in review: it outlived later handshakes).
        #expect(both.lastError == nil && both.bytesSent == 11 && both.bytesReceived == 22)
        var failing = current
        failing.lastError = "new"
        failing.lastHandshakeAt = 1_900_000_000
        let newer = try #require(PeerState.combining(failing, lineage))
        #expect(newer.lastError == "new" && newer.lastHandshakeAt == 1_900_000_000)
        // One row (no rotation, or the same row twice): as it is.
        #expect(PeerState.combining(current, nil) == current && PeerState.combining(nil, lineage)?.lastError == nil
                && PeerState.combining(nil, lineage)?.lastHandshakeAt == lineage.lastHandshakeAt)
        #expect(PeerState.combining(current, current) == current)
    }
}
