import Foundation
import LiaisonCore

/// A private copy of a database file (and its write-ahead log, if any) in a new
/// 0700 temporary directory, so that examining it never writes beside the
/// original, which may be read-only evidence. Removed with ``remove()``.
struct EvidenceCopy {
    /// The copy's path.
    let path: String
    private let directory: String

    /// Copies `original` and `original-wal` (their bytes only: the copy is the
    /// caller's to open); throws ``CoreError/Code/inputUnreadable`` if they cannot be read.
    init(of original: String) throws {
        var template = Array((NSTemporaryDirectory() + "/liaison-evidence.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CoreError(.io, "cannot make a temporary directory for a copy of \(original): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        path = directory + "/" + (original as NSString).lastPathComponent
        do {
            try Self.copy(original, to: path)
            if FileManager.default.fileExists(atPath: original + "-wal") { try Self.copy(original + "-wal", to: path + "-wal") }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Deletes the copy.
    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    private static func copy(_ source: String, to target: String) throws {
        do {
            try FileManager.default.copyItem(atPath: source, toPath: target)
        } catch {
            throw CoreError(.inputUnreadable, "cannot read \(source) to examine it: \((error as NSError).localizedDescription)")
        }
    }
}
