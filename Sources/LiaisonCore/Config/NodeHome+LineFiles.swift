import Foundation

/// The node's small list files (`keys/*-pending.txt`, `keys/revoked-peers.txt`):
/// one entry a line, rewritten atomically, sorted and without repeats.
extension NodeHome {
    /// The entries of the list file at `path` (none if it is missing, or larger than
    /// `limit` bytes — such a file was not written by Liaison).
    func lines(at path: String, limit: Int = 1 << 20) -> [String] {
        guard let data = FileManager.default.contents(atPath: path), data.count <= limit else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Replaces the list file at `path` with `entries` (0600); no entries removes it.
    func saveLines(_ entries: [String], to path: String) throws {
        guard !entries.isEmpty else {
            unlink(path)
            return
        }
        try AtomicOutputFile.write(Array(Set(entries).sorted().map { $0 + "\n" }.joined().utf8), to: path, mode: 0o600)
    }
}
