import Foundation
import LiaisonCore

/// The queue and thread behind a group commit: callers queue items, one thread
/// (started with the first item) takes everything queued — up to `limit` by
/// `weight`, but always at least one item — and hands it to the commit as one
/// batch. While a batch commits, new items queue up and form the next one, so the
/// more concurrent the load, the more items share each commit.
///
/// Items that nobody waits for may be held back (`mayWait`): while only such
/// items are queued, the thread waits up to `hold` from the first of them for
/// more, and for an item that cannot wait, which then takes them along in its
/// commit — one commit instead of several in a row. Anything that cannot wait,
/// a full batch's weight, and stopping end the hold at once.
final class CommitThread<Item>: @unchecked Sendable {
    private let name: String
    private let limit: Int
    private let weight: (Item) -> Int
    private let mayWait: (Item) -> Bool
    private let hold: Duration
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Item] = []
    /// Queued items that may not wait.
    private var pressing = 0
    /// The queued items' total weight.
    private var queuedWeight = 0
    /// When the oldest queued item that may wait was queued; nil: no hold.
    private var holdingSince: ContinuousClock.Instant?
    private var stopping = false
    private var threadStarted = false
    /// Dropped when the thread ends, so an owner it refers to can be freed.
    private var commit: (([Item]) -> Void)?

    /// A queue whose batches `commit` writes on a thread called `name`, holding
    /// back items `mayWait` accepts for up to `hold` (see above).
    init(name: String, limit: Int, weight: @escaping (Item) -> Int, mayWait: @escaping (Item) -> Bool = { _ in false },
         hold: Duration = .zero, commit: @escaping ([Item]) -> Void) {
        self.name = name
        self.limit = limit
        self.weight = weight
        self.mayWait = mayWait
        self.hold = hold
        self.commit = commit
    }

    /// Queues `item` for the next batch.
    func submit(_ item: Item) {
        condition.lock()
        if mayWait(item) {
            if queue.isEmpty { holdingSince = .now }
        } else {
            pressing += 1
        }
        queue.append(item)
        queuedWeight += weight(item)
        if !threadStarted {
            threadStarted = true
            let thread = Thread { [self] in run() }
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread commit what is queued and exit. The owner calls it when it
    /// goes away: that also drops the commit (which refers to the owner) if no
    /// thread ever started.
    func stop() {
        condition.lock()
        stopping = true
        if !threadStarted { commit = nil }
        condition.signal()
        condition.unlock()
    }

    private func run() {
        ThreadName.set(name)
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                commit = nil
                condition.unlock()
                return
            }
            holdBack()
            var total = 0
            var taken = 0
            for item in queue {
                let w = weight(item)
                guard taken == 0 || total + w <= limit else { break }
                total += w
                taken += 1
                if !mayWait(item) { pressing -= 1 }
            }
            let batch = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            queuedWeight -= total
            // What is left over filled a batch already: it goes next, without a hold.
            holdingSince = nil
            let commit = self.commit
            condition.unlock()
            commit?(batch)
        }
    }

    /// Waits (holding `condition`) while only items that may wait are queued, up
    /// to `hold` after the first of them, for one that may not or a full batch.
    private func holdBack() {
        guard let since = holdingSince, hold > .zero else { return }
        let deadline = since + hold
        // Bounded: every round ends at the deadline at the latest.
        while pressing == 0 && queuedWeight < limit && !stopping {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return }
            _ = condition.wait(until: Date(timeIntervalSinceNow: left.seconds))
        }
    }
}
