import Foundation
import LiaisonCore

/// A bundle directory an auditor names (`audit verify --bundle`, `audit match`).
enum AuditBundlePath {
    /// Throws ``CoreError/Code/inputUnreadable`` (66) unless `path` is a directory.
    static func check(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CoreError(.inputUnreadable, "no audit bundle at \(path) (a directory written by `liaison audit export --out DIR`)")
        }
    }
}
