import LiaisonAudit
import Testing

/// The RFC 6962 reference tree used by certificate-transparency-go and
/// transparency-dev/merkle, copied from transparency-dev/merkle
/// `proof/verify_test.go` (the `leaves`, `roots`, `inclusionProofs` and
/// `consistencyProofs` tables; that file's leaf numbers are 1-based and are
/// written here as 0-based indices) and `rfc6962/rfc6962_test.go` (hasher
/// known answers).
enum ReferenceVectors {
    /// The eight leaves' data, in hex.
    static let leaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243",
        "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(TestBytes.hex)

    /// Root hashes of the trees of sizes 0…8 (size 0: SHA-256 of the empty string).
    static let roots: [[UInt8]] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(TestBytes.hex)

    /// `sha256SomeHash` of verify_test.go: a 32-byte value that is no node of the tree.
    static let someHash = TestBytes.hex("abacaba000000000000000000000000000000000000000000060061e00123456")

    /// The published inclusion proofs.
    static let inclusionProofs: [InclusionVector] = [
        InclusionVector(index: 0, size: 1, proof: []),
        InclusionVector(index: 0, size: 8, proof: [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        InclusionVector(index: 5, size: 8, proof: [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
        InclusionVector(index: 2, size: 3, proof: [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        ]),
        InclusionVector(index: 1, size: 5, proof: [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]),
    ]

    /// The published consistency proofs.
    static let consistencyProofs: [ConsistencyVector] = [
        ConsistencyVector(oldSize: 1, newSize: 1, proof: []),
        ConsistencyVector(oldSize: 1, newSize: 8, proof: [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        ConsistencyVector(oldSize: 6, newSize: 8, proof: [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
        ConsistencyVector(oldSize: 2, newSize: 5, proof: [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]),
        ConsistencyVector(oldSize: 6, newSize: 7, proof: [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
    ]
}

/// One published inclusion proof.
struct InclusionVector: Sendable, CustomTestStringConvertible {
    let index: Int
    let size: Int
    let proof: [[UInt8]]

    init(index: Int, size: Int, proof: [String]) {
        self.index = index
        self.size = size
        self.proof = proof.map(TestBytes.hex)
    }

    var leafHash: [UInt8] { MerkleHasher.leafHash(ReferenceVectors.leaves[index]) }
    var root: [UInt8] { ReferenceVectors.roots[size] }
    var testDescription: String { "leaf \(index) of \(size)" }
}

/// One published consistency proof.
struct ConsistencyVector: Sendable, CustomTestStringConvertible {
    let oldSize: Int
    let newSize: Int
    let proof: [[UInt8]]

    init(oldSize: Int, newSize: Int, proof: [String]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.proof = proof.map(TestBytes.hex)
    }

    var oldRoot: [UInt8] { ReferenceVectors.roots[oldSize] }
    var newRoot: [UInt8] { ReferenceVectors.roots[newSize] }
    var testDescription: String { "\(oldSize) → \(newSize)" }
}
