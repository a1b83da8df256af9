import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Peer state: handshake replay guard, errors, traffic")
struct PeerStateTests {
    let now = StoreFixture.now

    @Test("a handshake timestamp is accepted only if strictly newer")
    func replayCheck() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let bob = try StoreFixture.fingerprint("bob"), carol = try StoreFixture.fingerprint("carol")
        #expect(try store.lastHandshakeTimestamp(fingerprint: bob) == nil)
        #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 1_000, at: now))
        #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 1_000, at: now + 1) == false)  // replay
        #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 999, at: now + 2) == false)    // older
        #expect(try store.lastHandshakeTimestamp(fingerprint: bob) == 1_000)
        #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 1_001, at: now + 3))
        #expect(try store.lastHandshakeTimestamp(fingerprint: bob) == 1_001)
        // Per peer.
        #expect(try await store.recordHandshake(fingerprint: carol, timestamp: 5, at: now))
        #expect(try await store.recordHandshake(fingerprint: carol, timestamp: UInt64(Int64.max), at: now))
        let error = await #expect(throws: StoreError.self) {
            try await store.recordHandshake(fingerprint: carol, timestamp: .max, at: now)
        }
        #expect(error?.code == .invalidArgument)
        #expect(try store.lastHandshakeTimestamp(fingerprint: carol) == UInt64(Int64.max))
        let states = try store.peerStates()
        #expect(states.first { $0.fingerprint == bob }?.lastHandshakeAt == now + 3)
    }

    @Test("concurrent handshakes with the same timestamp: exactly one wins")
    func replayRace() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let bob = try StoreFixture.fingerprint("bob")
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { try await store.recordHandshake(fingerprint: bob, timestamp: 42, at: 1) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test("errors are remembered until the next accepted handshake; traffic accumulates")
    func errorsAndTraffic() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let bob = try StoreFixture.fingerprint("bob")
        try await store.recordPeerError(fingerprint: bob, error: "handshake timed out")
        try await store.addTraffic(fingerprint: bob, sent: 100, received: 7)
        try await store.addTraffic(fingerprint: bob, sent: 50, received: 3)
        #expect(try store.peerStates() == [PeerState(fingerprint: bob, lastHandshakeTimestamp: nil, lastHandshakeAt: nil,
                                                     lastError: "handshake timed out", bytesSent: 150, bytesReceived: 10)])
        #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 9, at: now))
        #expect(try store.peerStates() == [PeerState(fingerprint: bob, lastHandshakeTimestamp: 9, lastHandshakeAt: now,
                                                     lastError: nil, bytesSent: 150, bytesReceived: 10)])
        // A handshake this node started: contact time and cleared error, the replay guard untouched.
        try await store.recordPeerError(fingerprint: bob, error: "connection reset")
        try await store.recordPeerContact(fingerprint: bob, at: now + 5)
        #expect(try store.peerStates() == [PeerState(fingerprint: bob, lastHandshakeTimestamp: 9, lastHandshakeAt: now + 5,
                                                     lastError: nil, bytesSent: 150, bytesReceived: 10)])
        let carol = try StoreFixture.fingerprint("carol")
        try await store.recordPeerContact(fingerprint: carol, at: now)
        #expect(try store.lastHandshakeTimestamp(fingerprint: carol) == nil)
        #expect(try await store.recordHandshake(fingerprint: carol, timestamp: 1, at: now + 1))
        // A refused (replayed) handshake changes nothing.
        try await store.recordPeerError(fingerprint: bob, error: "replayed handshake")
        #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 9, at: now + 1) == false)
        #expect(try store.peerStates().first { $0.fingerprint == bob }?.lastError == "replayed handshake")
        #expect(try store.peerStates().first { $0.fingerprint == bob }?.lastHandshakeAt == now + 5)
    }

    @Test("behind the store's back: moving a handshake timestamp back aborts")
    func rawBackwards() async throws {
        let fixture = try StoreFixture()
        let bob = try StoreFixture.fingerprint("bob")
        #expect(try await fixture.store.recordHandshake(fingerprint: bob, timestamp: 1_000, at: now))
        let raw = try fixture.rawConnection()
        for sql in ["UPDATE peer_state SET last_handshake_timestamp = 999",
                    "UPDATE peer_state SET last_handshake_timestamp = 1000",
                    "UPDATE peer_state SET bytes_sent = bytes_sent - 1"] {
            let error = #expect(throws: DatabaseError.self) { try raw.write { try $0.execute(sql: sql) } }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        }
        #expect(try fixture.store.lastHandshakeTimestamp(fingerprint: bob) == 1_000)
    }
}
