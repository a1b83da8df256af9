import Foundation
import LiaisonCore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// Offers never followed by (enough) data must not fill the spool with files:
/// an abandoned transfer below `SpoolFiles.smallestKept` bytes leaves no partial,
/// and a sender keeps at most `SpoolFiles.maximumPerSender` partials, its oldest
/// removed first. Real resumes are covered by `StreamedTransferTests`.
@Suite("Spool partials bounded per sender, on a real daemon")
struct SpoolLimitTests {
    private static func connect(_ net: DaemonNetwork, as sender: String, to recipient: String) throws -> ProtocolClient {
        var client = try ProtocolClient(port: net.ports[recipient]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home(sender)).transport,
                             remote: try ProtocolClient.publicKeys(home: net.home(recipient)).transport)
        return client
    }

    private static func partials(_ net: DaemonNetwork, _ node: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: net.home(node) + "/spool").filter { $0.hasSuffix(".partial") }
    }

    @Test("200 offers from a limited peer with no data, or less than 64 KiB of it, leave no partial at all",
          .timeLimit(.minutes(2)))
    func datalessOffersLeaveNothing() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], limited: [("bravo", "alpha")])
        try net.daemon("bravo").start()
        var client = try Self.connect(net, as: "alpha", to: "bravo")
        for n in 0..<200 {
            let id = try PackageID.random()
            try client.send(.offer(packageID: id, size: 3 << 20, expires: nil))
            guard case .accept(id, 0) = try client.receive() else {
                Issue.record("offer \(n) was not accepted from the start")
                return
            }
            // Every tenth offer gets a little data, still below what is worth keeping.
            if n % 10 == 0 { try client.send(.data([UInt8](repeating: 0x5a, count: 60_000))) }
            // No more than a few files at any moment: each new offer removes the one before.
            if n % 50 == 49 { #expect(try Self.partials(net, "bravo").count <= 1) }
        }
        try client.send(.close(reason: .done))
        let emptied = try eventually { try Self.partials(net, "bravo").isEmpty }
        #expect(emptied, "\((try? Self.partials(net, "bravo").count) ?? -1) partials left")
        #expect(try net.cli.run(["status", "--home", net.home("bravo"), "--json"]).status == 0, "bravo stopped answering")
    }

    @Test("abandoned transfers that hold real progress: at most 16 are kept per sender, the oldest removed first, with a log line")
    func partialsCappedPerSender() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        var client = try Self.connect(net, as: "alpha", to: "bravo")
        var ids: [PackageID] = []
        for n in 0..<20 {
            let id = try PackageID.random()
            ids.append(id)
            try client.send(.offer(packageID: id, size: 1 << 20, expires: nil))
            guard case .accept(id, 0) = try client.receive() else {
                Issue.record("offer \(n) was not accepted from the start")
                return
            }
            for _ in 0..<2 { try client.send(.data([UInt8](repeating: UInt8(n), count: 40_000))) }
            usleep(20_000)   // distinct modification times, so that "oldest" is unambiguous
        }
        try client.send(.close(reason: .done))
        let cap = 16
        let capped = try eventually { try Self.partials(net, "bravo").count == cap }
        #expect(capped, "\((try? Self.partials(net, "bravo").count) ?? -1) partials kept")
        // The newest are kept: a sender's next offers resume those.
        let kept = try Self.partials(net, "bravo")
        for id in ids.suffix(cap) { #expect(kept.contains { $0.hasSuffix("\(id).partial") }, "the partial of \(id) was removed") }
        #expect(net.daemon("bravo").log.contains("from the spool to make room: a sender keeps at most 16 unfinished packages here"))

        // The newest partial resumes where its bytes end (once bravo has noticed the
        // connection close and let go of its claim: offer until it has).
        var resumedAt: UInt64?
        for _ in 0..<100 {
            var again = try Self.connect(net, as: "alpha", to: "bravo")
            try again.send(.offer(packageID: ids[19], size: 1 << 20, expires: nil))
            let reply = try again.receive()
            try again.send(.close(reason: .done))
            if case .accept(_, let offset) = reply {
                resumedAt = offset
                break
            }
            usleep(100_000)   // up to 10 s
        }
        #expect(resumedAt == 80_000)
    }
}
