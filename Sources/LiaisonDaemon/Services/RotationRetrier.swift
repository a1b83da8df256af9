import LiaisonCore
import NIOCore
import ServiceLifecycle

/// After this node rotated its keys, keeps telling the partners that were not
/// reached (`keys/rotation-pending.txt`), every `retry-maximum-seconds`, until each
/// acknowledged it or the overlap window ended (then their operators must import
/// the new card by hand: `keys/card.txt`). Deliveries tell a pending partner too,
/// before they start.
struct RotationRetrier: Service {
    let context: DaemonContext
    let group: EventLoopGroup

    func run() async throws {
        await RetryRounds.run(context) { await retryOnce() }
    }

    /// One round: tells the pending partners that are still known, unrevoked and addressed.
    func retryOnce() async {
        let home = context.home
        let now = Timestamp.now()
        let pending = home.pendingRotationPeers()
        guard !pending.isEmpty, let statement = try? home.rotation() else { return }
        guard let previous = context.previousSecrets(at: now) else {
            // Kept on the list (status and keys show name them) until a session with the
            // new keys shows a partner took them (``PeerDialer``); said once a run per rotation.
            if context.rotationOverlapEndedSaid.withLockedValue({ said in defer { said = statement.rotatedAt }; return said != statement.rotatedAt }) {
                context.logger.warning("the key rotation's overlap ended before \(pending.count) partner(s) were told; give their operators \(home.rotationCardPath), and send again what was sealed for them before the rotation")
            }
            return
        }
        let peers = context.peers.keyring.peers.filter { pending.contains($0.fingerprint.description) && !$0.revoked && !$0.addresses.isEmpty }
        _ = await RotationAnnouncer(context: context, group: group).announce(statement, previous: previous, to: peers)
    }
}

extension RotationRetrier: CustomStringConvertible {
    var description: String { "RotationRetrier" }
}
