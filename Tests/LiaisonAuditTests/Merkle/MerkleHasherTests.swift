import LiaisonAudit
import Testing

/// Known answers of transparency-dev/merkle `rfc6962/rfc6962_test.go`.
@Suite("MerkleHasher (RFC 6962 section 2.1)")
struct MerkleHasherTests {
    @Test("the empty tree's root is SHA-256 of the empty string")
    func emptyRoot() {
        #expect(MerkleHasher.emptyRoot == TestBytes.hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    }

    @Test("an empty leaf hashes to SHA-256(0x00), not to the empty root")
    func emptyLeaf() {
        let hash = MerkleHasher.leafHash([])
        #expect(hash == TestBytes.hex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"))
        #expect(hash != MerkleHasher.emptyRoot)
    }

    @Test("leaf hash of \"L123456\"")
    func leaf() {
        #expect(
            MerkleHasher.leafHash(Array("L123456".utf8))
                == TestBytes.hex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
        )
    }

    @Test("node hash of \"N123\" and \"N456\"")
    func node() {
        #expect(
            MerkleHasher.nodeHash(left: Array("N123".utf8), right: Array("N456".utf8))
                == TestBytes.hex("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")
        )
    }

    @Test("leaves and nodes are domain-separated and order matters")
    func separation() {
        let a = MerkleHasher.leafHash(Array("Hello".utf8))
        let b = MerkleHasher.leafHash(Array("World".utf8))
        #expect(a != b)
        let node = MerkleHasher.nodeHash(left: a, right: b)
        #expect(node != MerkleHasher.leafHash(a + b), "a node must not equal the leaf of its children's concatenation")
        #expect(node != MerkleHasher.nodeHash(left: b, right: a))
    }

    @Test("the buffer and array forms of leafHash agree")
    func bufferForm() {
        let data: [UInt8] = Array(0..<200)
        #expect(data.withUnsafeBytes { MerkleHasher.leafHash($0) } == MerkleHasher.leafHash(data))
    }
}
