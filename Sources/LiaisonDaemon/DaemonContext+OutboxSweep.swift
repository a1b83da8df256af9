import Foundation
import LiaisonCore
import LiaisonStore

/// Clearing out what a crash left in the outbox directory.
extension DaemonContext {
    /// Removes the outbox files no queued package owns: temporary files of sends
    /// cut off before they were sealed, sealed packages put in place whose store
    /// commit never happened (no outbox row names them), and files of packages
    /// pruned by the operator whose removal a crash cut off. The sender was told
    /// of none. They are ciphertext, but would fill the disk for ever.
    ///
    /// Runs at start, before any service, so no send is under way.
    func sweepOutbox() throws {
        var temporary = 0, unqueued = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: outboxDirectory)) ?? [] {
            if name.contains(".partial-") {
                if unlink(outboxDirectory + "/" + name) == 0 { temporary += 1 }
            } else if name.hasSuffix(Self.packageFileExtension), try !isQueued(packageFile: name) {
                if unlink(outboxDirectory + "/" + name) == 0 { unqueued += 1 }
            }
        }
        if temporary + unqueued > 0 {
            logger.notice("removed \(temporary) temporary and \(unqueued) unqueued or pruned package files from the outbox, left by an interrupted send or prune")
        }
    }

    private static let packageFileExtension = ".lpkg"

    /// Whether an outbox row names the package file `name` (`<id>.lpkg`) and keeps
    /// it (the package was not pruned). Only the
    /// file name is compared: a row written before paths were named from the home
    /// may keep a whole path elsewhere (``NodeStore`` completes the rest).
    private func isQueued(packageFile name: String) throws -> Bool {
        guard let id = try? PackageID(parsing: String(name.dropLast(Self.packageFileExtension.count))),
              let package = try store.outboxPackage(id: id), package.prunedAt == nil, let path = package.path else { return false }
        return path.hasSuffix("/" + name)
    }
}
