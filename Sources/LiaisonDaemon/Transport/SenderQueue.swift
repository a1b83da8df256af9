import LiaisonCore
import LiaisonStore

/// A sender's view of its peer's queue between reads: what the last read found,
/// and whether packages handed over since (``OutboxSignal``) may stand in for
/// the next read.
struct SenderQueue {
    /// How long packages handed over may stand in for reading the queue: a retry
    /// that fell due meanwhile is found at the next read.
    static let handOverWindow = Duration.seconds(1)

    let peer: String
    /// The node this sender delivers to (its lifelong fingerprint): a package handed
    /// over for another holder of the name is not taken.
    let node: NodeFingerprint
    private let signal: OutboxSignal
    private let batchSize: Int
    private let window: Duration
    /// The outbox signal's generation just before the last read, or at a later take.
    private(set) var generation: UInt64 = 0
    /// Whether the last read took everything that was due, and no take since left any behind.
    private(set) var tookAll = false
    /// When the queue was last read, and the packages that read found.
    private var readAt = ContinuousClock.now
    private var found: Set<PackageID> = []

    /// The queue of `peer` (the node `node`), read and taken `batchSize` packages at a time.
    init(peer: String, node: NodeFingerprint, signal: OutboxSignal, batchSize: Int, handOverWindow: Duration = Self.handOverWindow) {
        self.peer = peer
        self.node = node
        self.signal = signal
        self.batchSize = batchSize
        self.window = handOverWindow
    }

    /// Reads the queue with `read` (at most a batch). What was handed over so far
    /// is dropped first: the read finds it. The generation is taken first too, so
    /// anything announced after it wakes a wait past it.
    mutating func read(_ read: () throws -> [DuePackage]) rethrows -> [DuePackage] {
        generation = signal.beginLook(peer: peer)
        readAt = .now
        let due = try read()
        tookAll = due.count < batchSize
        found = Set(due.map(\.package.id))
        return due
    }

    /// Makes the next look read the queue: packages may be due that were not handed over.
    mutating func readNext() {
        tookAll = false
    }

    /// The packages handed over since the last read or take, at most a batch,
    /// other than those in `excluded` (being recorded), those the last read found
    /// (one handed over while it read may be in both) and those sealed for another
    /// node of the same name (it changed holder meanwhile); or nil if the queue
    /// must be read instead: the last read did not take everything, is older than
    /// the hand-over window, or something not handed over may be due since.
    mutating func takeHandedOver(excluding excluded: Set<PackageID>) -> [DuePackage]? {
        guard tookAll, ContinuousClock.now - readAt < window,
              let taken = signal.takeHandedOver(peer: peer, since: generation, limit: batchSize) else { return nil }
        generation = taken.generation
        // Those left behind are read with the rest at the next look.
        if taken.more { tookAll = false }
        return taken.packages.filter {
            !found.contains($0.package.id) && !excluded.contains($0.package.id) && ($0.recipient == nil || $0.recipient == node)
        }
    }
}
