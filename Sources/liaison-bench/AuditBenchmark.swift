import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// The audit log's figures (issue 4): durable events per second under
/// concurrent load, queries over a large log, inclusion proofs, and a full
/// offline verification — all on a real audit.db on this machine's disk.
enum AuditBenchmark {
    static func run(events: Int) async throws {
        let directory = NSTemporaryDirectory() + "/liaison-bench-audit-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        print("\naudit log (\(directory), WAL, synchronous=FULL)")

        var sink = 0
        let encode = Measure.rate(seconds: 1, batch: 1000) { sink &+= MerkleHasher.leafHash(event(sink & 0xffff).canonicalBytes)[0] == 0 ? 1 : 2 }
        Measure.row("build, encode and hash one event", Measure.perSecond(encode))
        let concurrent = try AuditLog(path: directory + "/concurrent.db")
        for appenders in [1, 64, 512] {
            let committerBefore = Measure.threadCPUSeconds(named: "audit-commit"), processBefore = Measure.processCPUSeconds()
            let (rate, appended, seconds) = try await appendRate(concurrent, appenders: appenders, seconds: 2)
            let committer = Measure.threadCPUSeconds(named: "audit-commit") - committerBefore
            let process = Measure.processCPUSeconds() - processBefore
            Measure.row("durable appends, \(appenders) concurrent appenders", Measure.perSecond(rate),
                        target: appenders == 512 ? "target ≥ 50k/s" : "")
            // Steadier than the rate on a shared machine: CPU per event, all threads
            // (appenders included) and the one committer thread, with the share of
            // the time it was on a CPU (the rest it waited for fsync or for work).
            guard appended > 0 else { continue }
            Measure.row("  CPU per event, all threads · committer",
                        String(format: "%.1f · %.1f µs", process / Double(appended) * 1e6, committer / Double(appended) * 1e6),
                        target: String(format: "committer on CPU %.0f%%", committer / seconds * 100))
        }

        let log = try AuditLog(path: directory + "/large.db")
        let signer = try NoteSigner(name: "bench.liaison/audit", secretKey: try LogSecretKey())
        let build = try await Measure.onceAsync {
            var next = 0
            while next < events {
                let batch = (next..<min(next + AuditLog.maximumBatch, events)).map(event)
                try await log.append(batch)
                next += batch.count
            }
        }
        Measure.row("bulk append \(events) events (batches of \(AuditLog.maximumBatch))", Measure.perSecond(Double(events) / build))
        try log.signCheckpoint(with: signer, now: Timestamp.now())

        let peerQueries = try latencies(100) { n in
            var query = AuditQuery()
            query.peers = [peers[n % peers.count]]
            query.limit = 100
            _ = try log.query(query)
        }
        Measure.row("query by peer (100 rows) over \(events)", milliseconds(peerQueries), target: "target < 20 ms")
        let packageQueries = try latencies(100) { n in
            var query = AuditQuery()
            query.package = packageID((n * 7919) % (events / 4))
            _ = try log.query(query)
        }
        Measure.row("query by package over \(events)", milliseconds(packageQueries), target: "target < 20 ms")
        let proofs = try latencies(1000) { n in
            _ = try log.inclusionProof(index: (n * 104_729) % events, size: events)
        }
        Measure.row("inclusion proof at size \(events)", milliseconds(proofs), target: "target < 1 ms")
        let verify = try Measure.once {
            let issues = try log.verifyStorage()
            precondition(issues.isEmpty, "the benchmark log does not verify: \(issues)")
        }
        Measure.row("self-check of audit.db, \(events) events", String(format: "%.2f s", verify))
        // The auditor's offline check: export a bundle, then verify it from the files alone.
        let bundle = directory + "/bundle"
        let export = try Measure.once {
            let writer = try AuditBundleWriter(directory: bundle, logKey: signer.verifierKey)
            var next = 0
            while next < events {
                for leaf in try log.leaves(next..<min(next + 10_000, events)) { try writer.appendLeaf(leaf) }
                next += 10_000
            }
            for checkpoint in try log.checkpoints() { try writer.writeCheckpoint(checkpoint.note) }
            _ = try writer.finish(node: "bench", fingerprint: "bench", exportedAt: Timestamp.now())
        }
        Measure.row("export \(events) events to a bundle", String(format: "%.2f s", export))
        let offline = try Measure.once {
            let report = try AuditBundle.verify(directory: bundle, trustedLogKey: signer.verifierKey)
            precondition(report.isValid && report.entries == events, "the benchmark bundle does not verify: \(report)")
        }
        Measure.row("offline verify of \(events) events (bundle)", String(format: "%.2f s", offline), target: "target < 5 s")
        let size = try FileManager.default.attributesOfItem(atPath: log.path)[.size] as? Int ?? 0
        Measure.row("audit.db size", String(format: "%.0f bytes/event", Double(size) / Double(events)))
    }

    /// Events per second with `appenders` tasks each appending one event at a time,
    /// with how many were appended and in how many seconds.
    private static func appendRate(_ log: AuditLog, appenders: Int, seconds: Double) async throws
        -> (rate: Double, appended: Int, seconds: Double) {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        let start = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    var count = 0
                    while clock.now < deadline, count < 1_000_000 {
                        try await log.append(event(appender * 1_000_000 + count))
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = (clock.now - start).seconds
        return (Double(total) / elapsed, total, elapsed)
    }

    /// A realistic event: the current time (as the daemon stamps events), a peer's
    /// 65-character fingerprint, a package id, markings.
    private static func event(_ n: Int) -> AuditEvent {
        AuditEvent(time: Timestamp.nowMilliseconds(), kind: n % 3 == 0 ? .packageReceived : .packageDelivered, actor: .daemon,
                   peer: peers[n % peers.count], package: packageID(n / 4), markings: "TLP:AMBER RESTRICTED REL TO NATO",
                   remote: "192.0.2.\(n % 250):4500", details: ["size": String(1024 + n % 4096)])
    }

    private static let peers = (0..<50).map { n in
        (0..<11).map { group in String(repeating: String(UnicodeScalar(UInt8(97 + (n + group) % 26))), count: 5) }.joined(separator: "-")
    }

    /// Package `n`'s id: random-looking, as real ids are (a sequential id would
    /// flatter the package index), but the same for the same `n`.
    private static func packageID(_ n: Int) -> String {
        func mixed(_ x: UInt64) -> String {
            var z = x &+ 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            let hex = String(z ^ (z >> 31), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
        return mixed(UInt64(n)) + mixed(UInt64(n) &+ 0x5555_5555)
    }

    /// Median of `count` timed calls, in seconds.
    private static func latencies(_ count: Int, _ body: (Int) throws -> Void) throws -> Double {
        var samples: [Double] = []
        for n in 0..<count { samples.append(try Measure.once { try body(n) }) }
        return samples.sorted()[count / 2]
    }

    private static func milliseconds(_ seconds: Double) -> String {
        String(format: "%.3f ms p50", seconds * 1000)
    }
}

extension Measure {
    static func onceAsync(_ body: () async throws -> Void) async rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        return (clock.now - start).seconds
    }
}
