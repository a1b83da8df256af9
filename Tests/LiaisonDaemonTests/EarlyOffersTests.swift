import Foundation
import LiaisonCore
import Testing
@testable import LiaisonDaemon

@Suite("Early offers: an offer recorded with its package's queueing stands for one offer, soon after")
struct EarlyOffersTests {
    @Test("only peers whose sender waits for work are chosen; a mark, set once recorded, stands for one offer")
    func marksFollowWaitingSenders() throws {
        let offers = EarlyOffers()
        #expect(offers.waitingPeers(among: ["bravo", "charlie"]).isEmpty, "no sender waits: every offer is recorded when made")

        offers.senderWaiting(peer: "bravo")
        #expect(offers.waitingPeers(among: ["bravo", "charlie"]) == ["bravo"])
        let id = try PackageID.random()
        #expect(!offers.take(id, peer: "bravo"), "not marked until its queueing is durable")
        offers.recorded(id, peers: ["bravo"])
        #expect(!offers.take(id, peer: "charlie"))
        #expect(offers.take(id, peer: "bravo"))
        #expect(!offers.take(id, peer: "bravo"), "a mark stands for one offer: a second one is recorded when made")

        // Two senders waiting for one peer: it stays chosen until both are busy.
        offers.senderWaiting(peer: "bravo")
        offers.senderBusy(peer: "bravo")
        #expect(offers.waitingPeers(among: ["bravo"]) == ["bravo"])
        offers.senderBusy(peer: "bravo")
        #expect(offers.waitingPeers(among: ["bravo"]).isEmpty)
    }

    @Test("a stale mark does not stand for the offer: it is recorded again when made")
    func staleMarks() throws {
        let offers = EarlyOffers(standing: .milliseconds(20))
        let id = try PackageID.random()
        offers.recorded(id, peers: ["bravo"])
        Thread.sleep(forTimeInterval: 0.05)
        #expect(!offers.take(id, peer: "bravo"))
    }

    @Test("the marks are bounded: when full of fresh ones, no peer is chosen; stale ones make room")
    func boundedMarks() throws {
        let offers = EarlyOffers(standing: .milliseconds(50), capacity: 4)
        offers.senderWaiting(peer: "bravo")
        let ids = try (0..<4).map { _ in try PackageID.random() }
        for id in ids { offers.recorded(id, peers: ["bravo"]) }
        #expect(offers.waitingPeers(among: ["bravo"]).isEmpty)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(offers.waitingPeers(among: ["bravo"]) == ["bravo"], "the stale marks were dropped")
        #expect(!offers.take(ids[0], peer: "bravo"))
    }
}
