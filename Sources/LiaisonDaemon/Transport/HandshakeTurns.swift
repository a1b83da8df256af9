import NIOConcurrencyHelpers

/// Handshakes this node starts, one at a time per peer, from connecting to reading
/// message 2. A responder accepts only a timestamp newer than the last it took
/// from us, so two handshakes in flight at once (a package sender and a witness
/// request, say) could reach it out of order: the older would be refused as a
/// replay and its dial back off. The turn covers the connection too, so a waiting
/// dial holds no silent connection at the peer (whose handshake deadline runs
/// from accept). Turns are taken in arrival order; each is bounded by the connect
/// and handshake timeouts.
final class HandshakeTurns: Sendable {
    /// Peers with a handshake under way, each with the handshakes waiting for it.
    private let waiting = NIOLockedValueBox([String: [CheckedContinuation<Void, Never>]]())

    /// One dial's turn with a peer; ``end()`` passes it on (more calls do nothing).
    final class Turn: Sendable {
        private let release: NIOLockedValueBox<(@Sendable () -> Void)?>

        fileprivate init(_ release: @escaping @Sendable () -> Void) { self.release = NIOLockedValueBox(release) }

        func end() {
            let release = self.release.withLockedValue { release in
                defer { release = nil }
                return release
            }
            release?()
        }
    }

    /// Waits until no other handshake with `peer` (the fingerprint that names it for
    /// life) is under way, and takes the turn.
    func begin(peer: String) async -> Turn {
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
        return Turn { [self] in pass(peer) }
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
