import Foundation
import LiaisonTestSupport
import Testing

/// A partner back after an outage gets its whole backlog on the first session, not
/// one package per backoff timer.
@Suite("A peer reached again after an outage", .serialized)
struct ReturningPeerTests {
    @Test("packages postponed while it was away are delivered as soon as it is reached, before their backoff ends")
    func backlogFlushes() throws {
        // A long backoff: the first retry of each package waits 10–20 s.
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "retry-initial-seconds = 20\nretry-maximum-seconds = 60\n")
        try net.daemon("alpha").start()
        var backlog: [String] = []
        for n in 0..<4 {
            backlog.append(try net.send(Array("while bravo is away \(n)".utf8), from: "alpha", to: ["bravo"]))
        }
        // Each has been tried and put on its backoff because bravo could not be reached.
        var postponed: [String: Date] = [:]
        let deadline = Date().addingTimeInterval(20)
        while postponed.count < backlog.count && Date() < deadline {
            postponed = try Self.deliveries(net).filter { backlog.contains($0.key) && $0.value.attempts > 0 }
                .compactMapValues(\.nextAttempt)
            usleep(100_000)
        }
        try #require(postponed.count == backlog.count, "not every package was tried while bravo was away")
        let lastErrors = try Self.deliveries(net).filter { backlog.contains($0.key) }.compactMap(\.value.lastError)
        #expect(lastErrors.allSatisfy { $0.hasPrefix("unreachable: cannot connect to") }, "\(lastErrors)")

        try net.daemon("bravo").start()
        let trigger = try net.send(Array("bravo is back".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(trigger, from: "alpha", to: ["bravo"], timeoutSeconds: 30))
        #expect(try net.waitDelivered(backlog.last!, from: "alpha", to: ["bravo"], timeoutSeconds: 30))
        let delivered = try Self.deliveries(net)
        for id in backlog {
            let record = try #require(delivered[id])
            #expect(record.state == "delivered", "\(id): \(record)")
            // Delivered before the retry its backoff had set (times are to the second).
            if let at = record.deliveredAt, let due = postponed[id] {
                #expect(at < due, "\(id) waited out its backoff: delivered \(at), due \(due)")
            }
        }
        #expect(net.daemon("alpha").log.contains("is reachable again"))
    }

    struct Record {
        let state: String
        let attempts: Int
        let nextAttempt: Date?
        let deliveredAt: Date?
        let lastError: String?
    }

    /// alpha's deliveries to bravo, by package id.
    static func deliveries(_ net: DaemonNetwork) throws -> [String: Record] {
        let result = try net.cli.run(["outbox", "list", "--home", net.home("alpha"), "--json"])
        let items = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        let dates = ISO8601DateFormatter()
        var records: [String: Record] = [:]
        for item in items {
            guard let id = item["id"] as? String,
                  let delivery = (item["deliveries"] as? [[String: Any]])?.first(where: { $0["peer"] as? String == "bravo" }) else { continue }
            records[id] = Record(state: delivery["state"] as? String ?? "", attempts: delivery["attempts"] as? Int ?? 0,
                                 nextAttempt: (delivery["nextAttempt"] as? String).flatMap(dates.date(from:)),
                                 deliveredAt: (delivery["deliveredAt"] as? String).flatMap(dates.date(from:)),
                                 lastError: delivery["lastError"] as? String)
        }
        return records
    }
}
