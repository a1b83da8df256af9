import LiaisonCore
import LiaisonStore
import Testing
@testable import LiaisonDaemon

@Suite("Sender queue: packages handed over stand in for a read only when nothing else may be due")
struct SenderQueueTests {
    private func due() throws -> DuePackage { try OutboxSignalTests.queued(["bravo"]).duePackage(to: "bravo") }

    @Test("a package handed over while the queue was read, and found by that read, is not taken again")
    func raceWithRead() throws {
        let signal = OutboxSignal()
        signal.senderStarted(peer: "bravo")
        var queue = SenderQueue(peer: "bravo", node: try testFingerprint("bravo"), signal: signal, batchSize: 64)
        let raced = try due(), later = try due()
        // Its commit is durable before the read, its hand-over lands during it.
        let found = queue.read {
            signal.announceQueued(handingOver: ["bravo": [raced]], others: [])
            return [raced]
        }
        #expect(found.map(\.package.id) == [raced.package.id])
        signal.announceQueued(handingOver: ["bravo": [later]], others: [])
        let taken = queue.takeHandedOver(excluding: [])
        #expect(taken?.map(\.package.id) == [later.package.id], "the raced package goes out once")
        let again = queue.takeHandedOver(excluding: [])
        #expect(again?.isEmpty == true)
    }

    @Test("packages being recorded are left out of what is taken")
    func excluded() throws {
        let signal = OutboxSignal()
        signal.senderStarted(peer: "bravo")
        var queue = SenderQueue(peer: "bravo", node: try testFingerprint("bravo"), signal: signal, batchSize: 64)
        _ = queue.read { [] }
        let one = try due(), two = try due()
        signal.announceQueued(handingOver: ["bravo": [one, two]], others: [])
        let taken = queue.takeHandedOver(excluding: [one.package.id])
        #expect(taken?.map(\.package.id) == [two.package.id])
    }

    @Test("a package sealed for another node of the same name is not taken: the name changed holder before its queueing committed")
    func otherNode() throws {
        let signal = OutboxSignal()
        signal.senderStarted(peer: "bravo")
        let now = try testFingerprint("bravo-now"), before = try testFingerprint("bravo-before")
        var queue = SenderQueue(peer: "bravo", node: now, signal: signal, batchSize: 64)
        _ = queue.read { [] }
        var forBefore = try OutboxSignalTests.queued(["bravo"]), forNow = try OutboxSignalTests.queued(["bravo"])
        forBefore.recipientNodes = ["bravo": before]
        forNow.recipientNodes = ["bravo": now]
        let unbound = try due()   // queued before deliveries named their node: any holder
        signal.announceQueued(handingOver: ["bravo": [forBefore.duePackage(to: "bravo"), forNow.duePackage(to: "bravo"), unbound]], others: [])
        let taken = queue.takeHandedOver(excluding: [])
        #expect(taken?.map(\.package.id) == [forNow.package.id, unbound.package.id])
    }

    @Test("a read that filled a batch, a take that left some behind, or an old read: the queue is read again")
    func readAgain() throws {
        let signal = OutboxSignal()
        signal.senderStarted(peer: "bravo")
        var full = SenderQueue(peer: "bravo", node: try testFingerprint("bravo"), signal: signal, batchSize: 2)
        _ = try full.read { [try due(), try due()] }
        let afterFull = full.takeHandedOver(excluding: [])
        #expect(afterFull == nil, "the read may have left packages behind")

        var bounded = SenderQueue(peer: "bravo", node: try testFingerprint("bravo"), signal: signal, batchSize: 2)
        _ = bounded.read { [] }
        signal.announceQueued(handingOver: ["bravo": [try due(), try due(), try due()]], others: [])
        let firstTake = bounded.takeHandedOver(excluding: [])
        #expect(firstTake?.count == 2)
        let secondTake = bounded.takeHandedOver(excluding: [])
        #expect(secondTake == nil, "one was left behind: read it with the rest")

        var old = SenderQueue(peer: "bravo", node: try testFingerprint("bravo"), signal: signal, batchSize: 64, handOverWindow: .zero)
        _ = old.read { [] }
        signal.announceQueued(handingOver: ["bravo": [try due()]], others: [])
        let afterWindow = old.takeHandedOver(excluding: [])
        #expect(afterWindow == nil, "past the window a read finds retries that fell due")
    }
}
