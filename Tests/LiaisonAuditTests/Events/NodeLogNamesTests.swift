import LiaisonAudit
import LiaisonCrypto
import Testing

/// How a node names the logs it begins after its first (`liaison audit new-log`).
@Suite("Node log names")
struct NodeLogNamesTests {
    @Test("a successor's label is the UTC time it began, sorts as time, and is told apart from anything else")
    func labels() {
        #expect(NodeLogNames.successorLabel(at: 0) == "19700101T000000Z")
        #expect(NodeLogNames.successorLabel(at: 1_795_986_061) == "20261129T210101Z")
        #expect(NodeLogNames.isSuccessorLabel("20261129T210000Z"))
        for text in ["", "20261129T210000", "20261129X210000Z", "2026112aT210000Z", "20261129T210000ZZ", "x"] {
            #expect(!NodeLogNames.isSuccessorLabel(text), "\(text)")
        }
        #expect(NodeLogNames.isLater("20261129T210001Z", than: "20261129T210000Z"))
        #expect(NodeLogNames.isLater("20261129T210000Z", than: nil))
        #expect(!NodeLogNames.isLater(nil, than: "20261129T210000Z") && !NodeLogNames.isLater(nil, than: nil))
        #expect(!NodeLogNames.isLater("20261129T210000Z", than: "20261129T210000Z"))
    }

    @Test("an origin is the first log, a later one, or none of the node's")
    func origins() {
        let family = "liaison/abc"
        #expect(NodeLogNames.label(of: family, family: family) == .some(nil))
        #expect(NodeLogNames.label(of: family + "/20261129T210000Z", family: family) == .some("20261129T210000Z"))
        for other in ["liaison/abcd", "liaison/abc/", "liaison/abc/x", "liaison/abc/20261129T210000Z/20261129T210000Z", "liaison"] {
            #expect(NodeLogNames.label(of: other, family: family) == nil, "\(other)")
        }
        #expect(NodeLogNames.family(of: family + "/20261129T210000Z") == family)
        #expect(NodeLogNames.family(of: family) == family && NodeLogNames.family(of: "liaison/abc/x") == "liaison/abc/x")
    }

    @Test("a node's log key verifies its later logs under their names, and no one else's")
    func keys() throws {
        let secret = try LogSecretKey()
        let first = try NoteSigner(name: "liaison/abc", secretKey: secret).verifierKey
        let laterOrigin = "liaison/abc/20261129T210000Z"
        let later = try #require(NodeLogNames.logKey(first, for: laterOrigin))
        #expect(later.name == laterOrigin && later.publicKey == first.publicKey && later.keyID != first.keyID)
        #expect(later == (try NoteSigner(name: laterOrigin, secretKey: secret)).verifierKey)
        #expect(NodeLogNames.logKey(first, for: "liaison/abc") == first)
        #expect(NodeLogNames.logKey(first, for: "liaison/abd/20261129T210000Z") == nil)
        #expect(NodeLogNames.logKey(later, for: laterOrigin + "/20261129T210000Z") == nil)
        #expect(NodeLogNames.logKey(later, for: laterOrigin) == later && NodeLogNames.logKey(later, for: "liaison/abc") == nil)
        #expect(NodeLogNames.logKey(first, label: "20261129T210000Z") == later)
        #expect(NodeLogNames.logKey(first, label: nil) == first && NodeLogNames.logKey(later, label: "20261129T210000Z") == later)
    }
}
