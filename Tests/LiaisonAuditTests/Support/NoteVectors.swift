import Foundation
import LiaisonAudit
import LiaisonCrypto

/// Published signed-note, checkpoint and cosignature examples.
enum NoteVectors {
    // MARK: golang.org/x/mod/sumdb/note (note.go package doc and note_test.go)

    /// The PeterNeumann verifier key.
    static let peterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    /// The matching Go signer key: "PRIVATE+KEY+<name>+<id>+" then base64(0x01 ‖ seed).
    static let peterSignerKeyData = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    /// The EnochRoot verifier key.
    static let enochKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    /// The signed text.
    static let text = "If you think cryptography is the answer to your problem,\n"
        + "then you don't know what your problem is.\n"
    /// PeterNeumann's signature line.
    static let peterSignature = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    /// EnochRoot's signature line.
    static let enochSignature = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
    /// The note signed by PeterNeumann, exactly as `note.Sign` prints it.
    static let peterNote = text + "\n" + peterSignature

    /// The PeterNeumann log key, from the seed inside the Go signer key.
    static func peterSecretKey() throws -> LogSecretKey {
        let data = TestBytes.base64(peterSignerKeyData)
        precondition(data.count == 33 && data[0] == 0x01, "the Go signer key is 0x01 followed by a 32-byte seed")
        return try LogSecretKey(seed: data.dropFirst().withUnsafeBytes { SecureBytes(copying: $0) })
    }

    // MARK: C2SP signed-note.md, tlog-checkpoint.md, tlog-cosignature.md

    /// The signed-note example (its key is not published: syntax only).
    static let c2spNote = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
        + "\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"

    /// The checkpoint body of tlog-checkpoint and tlog-cosignature.
    static let checkpointBody = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    /// The log's signature line of that example.
    static let checkpointLogLine = "\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    /// The witness's cosignature line of tlog-cosignature's example.
    static let cosignatureLine = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    /// The signed message tlog-cosignature prints for that example.
    static let cosignedMessage = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

    // MARK: transparency-dev/formats note/note_cosigv1_test.go

    /// A type 0x04 (cosignature/v1) verifier key.
    static let remoraCosignatureKey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    /// A type 0x01 verifier key whose base64 contains a '+'.
    static let plusKey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    /// A cosignature payload (key ID ‖ timestamp ‖ signature) with timestamp 1727964367.
    static let timestampedPayload = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    /// A plain Ed25519 payload (key ID ‖ signature): not a cosignature.
    static let plainPayload = "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="

    // MARK: Cross-checked with PyNaCl (not published)

    /// Seed of RFC 8032 section 7.1 TEST 1, used for the cross-checked vectors below.
    static let rfc8032Test1Seed = TestBytes.hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    /// Verifier keys and lines computed with PyNaCl 1.6.2 (libsodium, but not
    /// this code) for that seed over ``checkpointBody`` at time 1679315147.
    static let crossCheckedLogKey = "example.com/behind-the-sofa+f8fa5254+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    static let crossCheckedLogLine = "\u{2014} example.com/behind-the-sofa +PpSVFNUsAicB1wXCuc36HrmzCfBx1ATQpTulWd9U006OEpyCvIVj2pM8CIzKlzXWcwxIO/VAQzkCO8DZUY5tlFX6QQ=\n"
    static let crossCheckedWitnessKey = "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    static let crossCheckedWitnessLine = "\u{2014} witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n"

    static func rfc8032Test1Key() throws -> LogSecretKey {
        try LogSecretKey(seed: rfc8032Test1Seed.withUnsafeBytes { SecureBytes(copying: $0) })
    }
}
