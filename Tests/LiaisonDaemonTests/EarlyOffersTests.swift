import Foundation
import LiaisonCore
import Testing
@testable import LiaisonDaemon

@Suite("Early offers: an offer recorded with its package's queueing stands for one offer, soon after")
struct EarlyOffersTests {
    @Test("only peers with a pushing session open are recorded ahead; each mark stands for one offer")
    func marksFollowOpenSessions() throws {
        let offers = EarlyOffers()
        let id = try PackageID.random()
        #expect(offers.recordAhead(id, recipients: ["bravo", "charlie"]).isEmpty, "no session open: every offer is recorded when made")

        offers.sessionOpened(peer: "bravo")
        let other = try PackageID.random()
        #expect(offers.recordAhead(other, recipients: ["bravo", "charlie"]) == ["bravo"])
        #expect(!offers.take(id, peer: "bravo"), "a package queued before the session opened was not recorded ahead")
        #expect(!offers.take(other, peer: "charlie"))
        #expect(offers.take(other, peer: "bravo"))
        #expect(!offers.take(other, peer: "bravo"), "a mark stands for one offer: a second one is recorded when made")

        // Two sessions with one peer: it stays open until both have closed.
        offers.sessionOpened(peer: "bravo")
        offers.sessionClosed(peer: "bravo")
        #expect(offers.recordAhead(try PackageID.random(), recipients: ["bravo"]) == ["bravo"])
        offers.sessionClosed(peer: "bravo")
        #expect(offers.recordAhead(try PackageID.random(), recipients: ["bravo"]).isEmpty)
    }

    @Test("a mark whose record was not written is forgotten")
    func forgottenMarks() throws {
        let offers = EarlyOffers()
        offers.sessionOpened(peer: "bravo")
        let id = try PackageID.random()
        #expect(offers.recordAhead(id, recipients: ["bravo"]) == ["bravo"])
        offers.forget(id, recipients: ["bravo"])
        #expect(!offers.take(id, peer: "bravo"))
    }

    @Test("a stale mark does not stand for the offer: it is recorded again when made")
    func staleMarks() throws {
        let offers = EarlyOffers(standing: .milliseconds(20))
        offers.sessionOpened(peer: "bravo")
        let id = try PackageID.random()
        #expect(offers.recordAhead(id, recipients: ["bravo"]) == ["bravo"])
        Thread.sleep(forTimeInterval: 0.05)
        #expect(!offers.take(id, peer: "bravo"))
    }

    @Test("the marks are bounded: when full of fresh ones, offers are recorded when made; stale ones make room")
    func boundedMarks() throws {
        let offers = EarlyOffers(standing: .milliseconds(50), capacity: 4)
        offers.sessionOpened(peer: "bravo")
        let ids = try (0..<4).map { _ in try PackageID.random() }
        for id in ids { #expect(offers.recordAhead(id, recipients: ["bravo"]) == ["bravo"]) }
        let fifth = try PackageID.random()
        #expect(offers.recordAhead(fifth, recipients: ["bravo"]).isEmpty)
        #expect(!offers.take(fifth, peer: "bravo"))
        Thread.sleep(forTimeInterval: 0.1)
        #expect(offers.recordAhead(fifth, recipients: ["bravo"]) == ["bravo"], "the stale marks were dropped")
        #expect(offers.take(fifth, peer: "bravo"))
        #expect(!offers.take(ids[0], peer: "bravo"))
    }
}
