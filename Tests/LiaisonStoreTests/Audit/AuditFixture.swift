import Foundation
import GRDB
import LiaisonAudit
import LiaisonCrypto
@testable import LiaisonStore
import LiaisonTestSupport

/// An audit log in a fresh temporary directory, with a log key and event builders.
struct AuditFixture {
    static let origin = "liaison.test/alpha/audit"
    let directory = TemporaryDirectory(prefix: "liaison-audit")
    let log: AuditLog
    let signer: NoteSigner

    init() throws {
        log = try AuditLog(path: directory.file(AuditLog.fileName))
        signer = try NoteSigner(name: Self.origin, secretKey: try LogSecretKey())
    }

    var path: String { directory.file(AuditLog.fileName) }

    /// Event number `n`: alternating peers, a package per three events.
    static func event(_ n: Int, kind: AuditEventKind = .packageReceived, peer: String? = nil) -> AuditEvent {
        AuditEvent(time: 1_795_651_200_000 + Int64(n), kind: kind, actor: .daemon,
                   peer: peer ?? "peer-\(n % 2)", package: String(format: "%032x", n / 3),
                   markings: "TLP:AMBER", details: ["n": String(n)])
    }

    /// Appends events `range` in batches of `batch`.
    func fill(_ range: Range<Int>, batch: Int = 500) throws {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + batch, range.upperBound)
            try log.appendBlocking((start..<end).map { Self.event($0) })
            start = end
        }
    }

    /// A raw connection with the append-only triggers dropped: what someone with
    /// `sqlite3` and write access to the file can do.
    func tamper(_ sql: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in
            for trigger in AuditLog.requiredTriggers + AuditLog.queryIndexTriggers + AuditLog.noReplaceTriggers {
                try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
            }
            try db.execute(sql: sql)
        }
    }
}
