import LiaisonCrypto

/// The RFC 6962 / RFC 9162 (section 2.1.1) Merkle tree hash with SHA-256.
///
/// Leaves and interior nodes are domain-separated by a one-byte prefix, so no
/// leaf can be passed off as a node (second-preimage resistance):
///
///     empty tree  MTH({})      = SHA-256()
///     leaf        MTH({d})     = SHA-256(0x00 ‖ d)
///     node        MTH(D[n])    = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))
public enum MerkleHasher {
    /// Length of every hash in the tree, in bytes.
    public static let hashByteCount = 32

    private static let leafPrefix: UInt8 = 0x00
    private static let nodePrefix: UInt8 = 0x01

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = SHA256.hash([])

    /// The hash of one leaf from its data (an audit event's canonical bytes).
    public static func leafHash(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { leafHash($0) }
    }

    /// The hash of one leaf from a buffer, without copying it.
    public static func leafHash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var h = SHA256()
        withUnsafeBytes(of: leafPrefix) { h.update($0) }
        h.update(data)
        return h.finalize()
    }

    /// The hash of an interior node from its two children.
    ///
    /// Callers pass 32-byte hashes; the function hashes whatever it is given,
    /// so the published RFC 6962 known-answer test (which uses short strings)
    /// can be reproduced.
    public static func nodeHash(left: [UInt8], right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        withUnsafeBytes(of: nodePrefix) { h.update($0) }
        h.update(left)
        h.update(right)
        return h.finalize()
    }
}
