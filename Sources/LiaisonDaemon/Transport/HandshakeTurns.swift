import NIOConcurrencyHelpers

/// Handshakes this node starts, one at a time per peer, from drawing message 1's
/// timestamp to reading message 2. A responder accepts only a timestamp newer than
/// the last it took from us, so two handshakes in flight at once (a package sender
/// and a witness request, say) could reach it out of order: the older would be
/// refused as a replay and its dial back off. Turns are taken in arrival order;
/// each is bounded by the handshake timeout.
final class HandshakeTurns: Sendable {
    /// Peers with a handshake under way, each with the handshakes waiting for it.
    private let waiting = NIOLockedValueBox([String: [CheckedContinuation<Void, Never>]]())

    /// Runs `handshake` once no other handshake with `peer` is under way.
    func take<T>(peer: String, _ handshake: () async throws -> T) async throws -> T {
        await wait(for: peer)
        defer { pass(peer) }
        return try await handshake()
    }

    private func wait(for peer: String) async {
        await withCheckedContinuation { (turn: CheckedContinuation<Void, Never>) in
            let free = waiting.withLockedValue { waiting -> Bool in
                guard waiting[peer] != nil else {
                    waiting[peer] = []
                    return true
                }
                waiting[peer]!.append(turn)
                return false
            }
            if free { turn.resume() }
        }
    }

    /// Hands `peer`'s turn to the handshake that waited longest, or frees it.
    private func pass(_ peer: String) {
        let next = waiting.withLockedValue { waiting -> CheckedContinuation<Void, Never>? in
            guard let queue = waiting[peer], !queue.isEmpty else {
                waiting[peer] = nil
                return nil
            }
            waiting[peer] = Array(queue.dropFirst())
            return queue[0]
        }
        next?.resume()
    }
}
