import Foundation
import LiaisonCore

/// The queue and thread behind a group commit: callers queue items, one thread
/// (started with the first item) takes everything queued — up to `limit` by
/// `weight`, but always at least one item — and hands it to the commit as one
/// batch. While a batch commits, new items queue up and form the next one, so the
/// more concurrent the load, the more items share each commit.
final class CommitThread<Item>: @unchecked Sendable {
    private let name: String
    private let limit: Int
    private let weight: (Item) -> Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Item] = []
    private var stopping = false
    private var threadStarted = false
    /// Dropped when the thread ends, so an owner it refers to can be freed.
    private var commit: (([Item]) -> Void)?

    /// A queue whose batches `commit` writes on a thread called `name`.
    init(name: String, limit: Int, weight: @escaping (Item) -> Int, commit: @escaping ([Item]) -> Void) {
        self.name = name
        self.limit = limit
        self.weight = weight
        self.commit = commit
    }

    /// Queues `item` for the next batch.
    func submit(_ item: Item) {
        condition.lock()
        queue.append(item)
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
            var total = 0
            var taken = 0
            for item in queue {
                let w = weight(item)
                guard taken == 0 || total + w <= limit else { break }
                total += w
                taken += 1
            }
            let batch = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            let commit = self.commit
            condition.unlock()
            commit?(batch)
        }
    }
}
