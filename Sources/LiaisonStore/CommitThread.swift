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
///
/// An idle queue may let its callers commit (`idleCallers`): when the last few
/// items each came long after the one before, the last commit was quick, and
/// nothing is queued or being committed, a caller commits its own item on its
/// own thread. That saves the
/// hand-over to the thread and back, most of a small commit's latency beyond
/// its fsync on an idle daemon. Under load items come closer together and share
/// the thread's batches, and no caller blocks its thread on the disk. Batches
/// never overlap: the thread waits while a caller commits, and the reverse.
final class CommitThread<Item>: @unchecked Sendable {
    /// When a caller of an idle queue commits its own item: after `count` items in
    /// a row, each submitted at least `gap` after the one before, if the last
    /// commit took less than `quickCommit` (a slow disk or a waited-for lock keeps
    /// commits on the thread).
    struct IdleCallers {
        var gap: Duration
        var count: Int
        var quickCommit: Duration
    }

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
    /// A batch is being committed, by the thread or by a caller (`idleCallers`).
    private var committing = false
    /// When the last item was submitted, and how many in a row came a gap after the one before.
    private var lastSubmitted = ContinuousClock.now
    private var quietInARow = 0
    /// How long the last batch took to commit.
    private var lastCommitTook = Duration.zero
    private let idleCallers: IdleCallers?
    /// Dropped when the thread ends, so an owner it refers to can be freed.
    private var commit: (([Item]) -> Void)?

    /// A queue whose batches `commit` writes on a thread called `name`, holding
    /// back items `mayWait` accepts for up to `hold`, and letting callers of an
    /// idle queue commit their own items if `idleCallers` says when (see above).
    init(name: String, limit: Int, weight: @escaping (Item) -> Int, mayWait: @escaping (Item) -> Bool = { _ in false },
         hold: Duration = .zero, idleCallers: IdleCallers? = nil, commit: @escaping ([Item]) -> Void) {
        self.idleCallers = idleCallers
        self.name = name
        self.limit = limit
        self.weight = weight
        self.mayWait = mayWait
        self.hold = hold
        self.commit = commit
    }

    /// Queues `item` for the next batch, or, on an idle queue that lets callers
    /// commit (`idleCallers`), commits it on this thread before returning. Returns
    /// `false`, taking nothing, once ``stop()`` was called: the item would never be
    /// committed.
    @discardableResult
    func submit(_ item: Item) -> Bool {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            return false
        }
        if let idle = idleCallers {
            let now = ContinuousClock.now
            quietInARow = now - lastSubmitted >= idle.gap ? quietInARow + 1 : 0
            lastSubmitted = now
            if quietInARow >= idle.count, lastCommitTook < idle.quickCommit, !committing, queue.isEmpty, !stopping,
               !mayWait(item), let commit {
                commitUnlocked(commit, [item])
                // Items queued meanwhile (the thread waited for this commit), or a stop.
                condition.signal()
                condition.unlock()
                return true
            }
        }
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
        return true
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
            while (queue.isEmpty && !stopping) || committing { condition.wait() }
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
            if let commit { commitUnlocked(commit, batch) }
            condition.unlock()
        }
    }

    /// Commits `batch` with `condition` released meanwhile (held before and after),
    /// marked as committing so that no other batch starts, and timed.
    private func commitUnlocked(_ commit: ([Item]) -> Void, _ batch: [Item]) {
        committing = true
        condition.unlock()
        let started = ContinuousClock.now
        commit(batch)
        condition.lock()
        lastCommitTook = ContinuousClock.now - started
        committing = false
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
