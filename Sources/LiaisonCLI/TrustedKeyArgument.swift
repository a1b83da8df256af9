import Foundation
import LiaisonAudit
import LiaisonCore

/// A verifier key an auditor gives on the command line (`--log-key`, `--witness-key`):
/// the key's own text, as `liaison keys show` prints it, or the path of a file holding it.
///
/// Text that parses as a key is always that key, and text shaped like a key
/// (`name+id+key`) is never read as a path: a key's text is also a valid relative
/// path, so a file planted under that name (in a bundle being verified, say) would
/// otherwise replace the key the auditor typed.
enum TrustedKeyArgument {
    /// The log's key: it signs checkpoints (signed-note type 1, Ed25519).
    static func logKey(_ text: String) throws -> NoteVerifierKey {
        let key = try parse(text)
        guard key.type == .ed25519 else {
            throw CoreError(.invalidArgument, "\(key.name) is a witness's cosignature key, not a log key: --log-key takes the log key (`liaison keys show` prints both)")
        }
        return key
    }

    /// A witness's key: it makes cosignatures (C2SP cosignature/v1, type 4).
    static func witnessKey(_ text: String) throws -> NoteVerifierKey {
        let key = try parse(text)
        guard key.type == .cosignatureV1 else {
            throw CoreError(.invalidArgument, "\(key.name) is a log key, not a witness's cosignature key: --witness-key takes a partner's witness key (liaison-witness/…, as \"liaison keys show\" prints it on that node)")
        }
        return key
    }

    private static func parse(_ text: String) throws -> NoteVerifierKey {
        let looksLikeKey = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).count == 3
        if looksLikeKey { return try NoteVerifierKey(parsing: text) }
        // A key file is one line; the shared reader bounds it and says what is wrong with the path.
        let contents: String
        do {
            contents = try readTextFile(text, limit: 4096)
        } catch let error as CoreError where error.code == .inputUnreadable && !FileManager.default.fileExists(atPath: text) {
            // Neither a key (NAME+ID+KEY, as `liaison keys show` prints it) nor a file: say both.
            throw CoreError(.invalidArgument, "\(text) is neither a key (NAME+ID+KEY, as `liaison keys show` prints it) nor a file holding one")
        }
        return try NoteVerifierKey(parsing: contents.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
