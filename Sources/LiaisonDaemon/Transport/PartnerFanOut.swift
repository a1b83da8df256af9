import LiaisonCore
import LiaisonWire

/// Tells many partners the same thing (a revocation, a rotation) with a bound on
/// how many are dialled at once: a node with hundreds of partners must not open
/// hundreds of connections in one burst.
enum PartnerFanOut {
    /// Most partners dialled at once.
    static let maximumConcurrent = 8

    /// Runs `tell` for every one of `peers`, at most ``maximumConcurrent`` at a time;
    /// returns each peer with why it could not be told (nil once it was), by name.
    static func tellEach(_ peers: [PeerRecord], _ tell: @escaping @Sendable (PeerRecord) async -> String?) async -> [(PeerRecord, String?)] {
        await withTaskGroup(of: (PeerRecord, String?).self) { tasks in
            var waiting = peers[...]
            var results: [(PeerRecord, String?)] = []
            for _ in 0..<maximumConcurrent {
                guard let peer = waiting.popFirst() else { break }
                tasks.addTask { (peer, await tell(peer)) }
            }
            for await result in tasks {
                results.append(result)
                if let peer = waiting.popFirst() {
                    tasks.addTask { (peer, await tell(peer)) }
                }
            }
            return results.sorted { $0.0.name < $1.0.name }
        }
    }

    /// Why telling a partner failed, for the operator.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as CoreError: error.message
        case let error as WireError: error.message
        default: PeerDialer.describe(error)
        }
    }
}
