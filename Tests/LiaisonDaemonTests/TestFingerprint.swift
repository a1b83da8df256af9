import LiaisonCore
import LiaisonTestSupport

/// The lifelong fingerprint of a throwaway test node called `name`.
func testFingerprint(_ name: String) throws -> NodeFingerprint {
    NodeFingerprint(identity: try TestNode(name).secrets.identity.publicKey)
}
