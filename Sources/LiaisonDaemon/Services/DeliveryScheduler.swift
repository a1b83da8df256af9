import LiaisonCore
import LiaisonStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Finds due deliveries and sends them, one connection per peer at a time. Woken
/// when something is queued (to look at its recipients), and otherwise every
/// `schedulerInterval` (to look at every peer). On graceful
/// shutdown it starts nothing new and lets running deliveries finish.
struct DeliveryScheduler: Service {
    let context: DaemonContext
    let group: EventLoopGroup

    /// How often the queue gauge (`liaison_outbox_queued`) is counted again: the count
    /// walks every open delivery (a million take 40 ms), and a scrape comes every 15 s
    /// or so anyway.
    static let gaugeInterval = Duration.seconds(10)

    func run() async throws {
        // Deliveries interrupted by a crash or kill go back to the queue.
        try await context.store.resetInterrupted()
        let busy = NIOLockedValueBox(Set<String>())
        let sender = PackageSender(context: context, group: group)
        let interval = context.settings.schedulerInterval
        let wakeups = context.schedulerWakeups
        await withDiscardingTaskGroup { tasks in
            // A ticker feeds the wake-up stream, so one loop serves both triggers.
            tasks.addTask {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: .nanoseconds(interval.nanoseconds))
                    wakeups.wakeForEveryPeer()
                }
            }
            var lastHousekeeping = ContinuousClock.now - .seconds(2)
            var lastGauge = ContinuousClock.now - Self.gaugeInterval * 2
            for await _ in wakeups.stream.cancelOnGracefulShutdown() {
                let now = Timestamp.now()
                let attention = wakeups.take()
                // Housekeeping (the expiry sweep and a look at every due delivery) once a second,
                // not on every wake-up: a busy node is woken by every send.
                let peers: [String]
                if ContinuousClock.now - lastHousekeeping > .seconds(1) {
                    lastHousekeeping = ContinuousClock.now
                    await context.expireDue(now: now)
                    if ContinuousClock.now - lastGauge > Self.gaugeInterval, let open = try? context.store.openDeliveryCount() {
                        lastGauge = ContinuousClock.now
                        DaemonMetrics.queued(open)
                    }
                    // Every peer with due work, those since removed from the keyring included.
                    guard let due = try? context.store.duePeers(now: now) else {
                        wakeups.wake(for: attention.peers)   // asked about again next time round
                        continue
                    }
                    peers = due
                } else {
                    // Between housekeeping rounds: only the peers asked about (every peer in the
                    // keyring on a tick) without a sender (a running sender picks up new work
                    // itself), each an indexed look.
                    let asked = attention.everyPeer ? context.peers.keyring.peers.map(\.name) : Array(attention.peers)
                    let idle = asked.filter { name in !busy.withLockedValue { $0.contains(name) } }
                    peers = idle.filter { (try? context.store.hasDueDeliveries(peer: $0, now: now)) == true }
                }
                // One sender per peer; it fetches its own queue in batches.
                for peerName in peers {
                    guard busy.withLockedValue({ $0.insert(peerName).inserted }) else { continue }
                    guard let peer = context.peers.peer(named: peerName), !peer.revoked, peer.trust != .blocked else {
                        // Failing a large queue takes a while: in a task of its own, so the
                        // loop goes on serving every other peer meanwhile.
                        tasks.addTask {
                            defer { busy.withLockedValue { _ = $0.remove(peerName) } }
                            // As the peer is now, and only while it stays unusable: an unblocked
                            // peer's queue goes out after all (and a stop leaves the rest queued).
                            let record = context.peers.peer(named: peerName)
                            guard let why = Self.unusable(record, named: peerName) else { return }
                            await context.failOpenDeliveries(named: peerName, peer: record, reason: why + "; its packages still queued are not delivered",
                                                             while: { !Task.isShuttingDownGracefully && Self.unusable(context.peers.peer(named: peerName), named: peerName) == why })
                        }
                        continue
                    }
                    tasks.addTask {
                        defer { busy.withLockedValue { _ = $0.remove(peerName) } }
                        // A session that ended with work left (its lifetime reached, or a stream
                        // stopped) is followed by the next at once, while this task still holds the peer.
                        var current = peer
                        while await sender.deliver(to: current), !Task.isShuttingDownGracefully,
                              let again = context.peers.peer(named: peerName), !again.revoked, again.trust != .blocked {
                            current = again
                        }
                    }
                }
            }
        }
    }
}

extension DeliveryScheduler {
    /// Why nothing may be sent to the peer called `name` (`record`, nil if removed),
    /// as a reason code and its words; nil if it is usable.
    static func unusable(_ record: PeerRecord?, named name: String) -> String? {
        guard let record else { return "peer.removed: \(name) is no longer a peer" }
        if record.revoked { return "peer.revoked: \(name)'s key was revoked" }
        if record.trust == .blocked { return "peer.blocked: \(name) is blocked" }
        return nil
    }
}

extension DeliveryScheduler: CustomStringConvertible {
    var description: String { "DeliveryScheduler" }
}
