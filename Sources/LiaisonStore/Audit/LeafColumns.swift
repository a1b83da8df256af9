import LiaisonAudit

/// Checks that a leaf's index columns (time, kind, outcome, peer, package) say
/// what its canonical bytes say, without decoding it: the canonical encoding
/// fixes where each member is and how it is escaped, so the expected bytes can
/// be built from the columns and looked for.
///
/// In a canonical leaf a raw `"` only ever delimits a string, so `,"peer":"`
/// can only be the `peer` member (`peer_name` continues differently).
enum LeafColumns {
    private static let timeKey = Array(#"{"v":1,"time":"#.utf8)
    private static let eventKey = Array(#","event":""#.utf8)
    private static let outcomeKey = Array(#"","outcome":""#.utf8)
    private static let actorKey = Array(#"","actor":""#.utf8)
    private static let peerKey = Array(#","peer":""#.utf8)
    private static let packageKey = Array(#","package":""#.utf8)
    private static let detailsKey = Array(#","details":{"#.utf8)

    static func match(_ data: UnsafeRawBufferPointer, time: Int64, kind: UnsafeRawBufferPointer, outcome: UnsafeRawBufferPointer,
                      peer: UnsafeRawBufferPointer?, package: UnsafeRawBufferPointer?) -> Bool {
        var expected = timeKey
        expected.reserveCapacity(96)
        expected.append(contentsOf: String(time).utf8)
        expected.append(contentsOf: eventKey)
        AuditEvent.appendEscaped(kind, to: &expected)
        expected.append(contentsOf: outcomeKey)
        AuditEvent.appendEscaped(outcome, to: &expected)
        expected.append(contentsOf: actorKey)
        guard data.starts(with: expected) else { return false }
        // Only the top-level members: a detail may itself be called "peer".
        let top = find(detailsKey, in: data).map { UnsafeRawBufferPointer(rebasing: data[..<$0]) } ?? data
        return member(peerKey, peer, in: top) && member(packageKey, package, in: top)
    }

    /// `,"name":"value"` occurs exactly when `value` is not nil.
    private static func member(_ key: [UInt8], _ value: UnsafeRawBufferPointer?, in data: UnsafeRawBufferPointer) -> Bool {
        guard let start = find(key, in: data) else { return value == nil }
        guard let value else { return false }
        var expected = key
        AuditEvent.appendEscaped(value, to: &expected)
        expected.append(UInt8(ascii: "\""))
        return data[start...].starts(with: expected)
    }

    private static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
