import Foundation
import LiaisonAudit
import LiaisonCore

/// Reading `check-proof`'s two files. A file that is not what its place asks for
/// (empty, the other file, another entry's line) is the auditor's mistake and a
/// usage error (64), not the tamper alarm (65): that goes off only for a proof or
/// an entry that is one but does not hold up.
extension AuditCheckProofCommand {
    private static let entryStart = Array(#"{"v":"#.utf8)

    /// The proof in `file`. An entry given in its place is said to be one: the two
    /// arguments were swapped.
    static func readProof(_ file: String) throws -> TLogProof {
        let bytes = try readSmallFile(file, limit: TLogProof.maximumByteCount)
        do {
            return try TLogProof(parsing: bytes)
        } catch let error as AuditError where error.code == .malformedProof {
            guard bytes.starts(with: entryStart) || AuditQueryLine.looksLikeOne(bytes) else { throw error }
            throw CoreError(.invalidArgument, "\(file) is an audit entry, not a proof: the proof goes first and the entry after --entry "
                                + "(liaison audit check-proof PROOF --entry ENTRY --log-key KEY)")
        }
    }

    /// The leaf the entry file holds and the event it records, for the proof of
    /// entry `provenIndex`. The file is what `audit prove` printed (the leaf and a
    /// line end) or the entry's line of `audit query --json` (``AuditQueryLine``).
    static func readEntry(_ file: String, provenIndex: Int) throws -> (leaf: [UInt8], event: AuditEvent) {
        // An entry as prove printed it, or its query line: the leaf and a little more.
        var bytes = try readSmallFile(file, limit: AuditEvent.maximumLeafByteCount + 64)
        // One line and its line end, also a CRLF one (an editor's).
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        func wrongFile(_ why: String) -> CoreError {
            CoreError(.invalidArgument, "\(file) is not the entry (\(why)): give --entry the file `audit prove --out PROOF > ENTRY` "
                          + "wrote, or the entry's line of `audit query --json`")
        }
        guard !bytes.isEmpty else { throw wrongFile("it is empty") }
        if bytes.starts(with: Array(TLogProof.header.utf8)) { throw wrongFile("it is a proof: the proof goes first, the entry after --entry") }
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        guard lines == 1 else { throw wrongFile("it holds \(lines) lines; an entry is one") }
        var leaf = bytes
        if AuditQueryLine.looksLikeOne(bytes) {
            guard let line = AuditQueryLine(parsing: bytes) else { throw wrongFile("it begins as a line of `audit query --json` but is not one") }
            guard line.index == provenIndex else {
                throw wrongFile("it is the line of entry \(line.index), but the proof is of entry \(provenIndex)")
            }
            leaf = line.leaf
        }
        guard leaf.starts(with: entryStart) else { throw wrongFile("an audit entry begins {\"v\":") }
        do {
            return (leaf, try AuditEvent(canonicalBytes: leaf))
        } catch let error as AuditError where error.code == .malformedLeaf {
            throw AuditError(.malformedLeaf, "the entry in \(file) is malformed (\(error.detail ?? "it does not decode")): it was changed "
                                 + "after it was printed, so nothing can be checked; obtain it again from the log's operator")
        }
    }
}
