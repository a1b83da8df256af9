import LiaisonCrypto

extension MerkleTree {
    /// True when `proof` shows that `leafHash` is leaf `index` of the tree of
    /// `size` leaves whose root is `root`.
    ///
    /// The iterative algorithm of RFC 9162 section 2.1.3.2. Every malformed input
    /// (index ≥ size, a negative number, a hash that is not 32 bytes, a proof that
    /// is too short or too long) returns `false`; nothing here traps.
    public static func verifyInclusion(
        leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        // Step 1: the index must lie inside the tree.
        guard index >= 0, size > 0, index < size else { return false }
        guard isHash(leafHash), isHash(root), proof.allSatisfy(isHash) else { return false }

        // Steps 2–3.
        var fn = index
        var sn = size - 1
        var r = leafHash
        // Step 4.
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHasher.nodeHash(left: p, right: r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHasher.nodeHash(left: r, right: p)
            }
            fn >>= 1
            sn >>= 1
        }
        // Step 5.
        return sn == 0 && Sodium.constantTimeEquals(r, root)
    }

    /// True when `proof` shows that the tree of `oldSize` leaves with root
    /// `oldRoot` is a prefix of the tree of `newSize` leaves with root `newRoot`.
    ///
    /// For 0 < oldSize < newSize this is the iterative algorithm of RFC 9162
    /// section 2.1.4.2. The cases that RFC leaves out are decided like Sigsum's
    /// verifier, a little stricter: the empty tree is consistent with every tree,
    /// but only with an empty proof and only if `oldRoot` really is the empty
    /// tree's root; equal sizes are consistent only with an empty proof and equal
    /// roots. Every malformed input returns `false`; nothing here traps.
    public static func verifyConsistency(
        oldSize: Int, newSize: Int, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        guard isHash(oldRoot), isHash(newRoot), proof.allSatisfy(isHash) else { return false }

        if oldSize == 0 {
            guard proof.isEmpty, Sodium.constantTimeEquals(oldRoot, MerkleHasher.emptyRoot) else { return false }
            return newSize > 0 || Sodium.constantTimeEquals(newRoot, oldRoot)
        }
        if oldSize == newSize {
            return proof.isEmpty && Sodium.constantTimeEquals(oldRoot, newRoot)
        }

        // Step 1.
        guard !proof.isEmpty else { return false }
        // Step 2: a power-of-two old tree is a complete subtree; the proof omits its root.
        let path = oldSize & (oldSize - 1) == 0 ? [oldRoot] + proof : proof
        // Step 3.
        var fn = oldSize - 1
        var sn = newSize - 1
        // Step 4.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // Step 5.
        var fr = path[0]
        var sr = path[0]
        // Step 6.
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHasher.nodeHash(left: c, right: fr)
                sr = MerkleHasher.nodeHash(left: c, right: sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHasher.nodeHash(left: sr, right: c)
            }
            fn >>= 1
            sn >>= 1
        }
        // Step 7.
        return sn == 0 && Sodium.constantTimeEquals(fr, oldRoot) && Sodium.constantTimeEquals(sr, newRoot)
    }

    private static func isHash(_ bytes: [UInt8]) -> Bool {
        bytes.count == MerkleHasher.hashByteCount
    }
}
