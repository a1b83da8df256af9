import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

private let base32Alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")

/// The fingerprint of the deterministic node `seed`.
private func fingerprint(seed: UInt64) throws -> NodeFingerprint {
    try F.secrets(seed: seed).publicKeys.fingerprint
}

@Suite("Node fingerprints")
struct NodeFingerprintTests {
    @Test("deterministic for a key, distinct across keys, 32 bytes")
    func deterministic() throws {
        let secrets = try F.secrets(seed: 7)
        let a = NodeFingerprint(identity: secrets.identity.publicKey)
        let b = NodeFingerprint(identity: try IdentityPublicKey(rawRepresentation: secrets.identity.publicKey.rawRepresentation))
        #expect(a == b)
        #expect(a.description == b.description)
        #expect(a.bytes.count == 32)
        #expect(a == secrets.publicKeys.fingerprint)
        #expect(a != (try fingerprint(seed: 8)))
        // Not simply the key: a domain-separated hash.
        #expect(a.bytes != secrets.identity.publicKey.rawRepresentation)
        // The same seed gives the same fingerprint on every run.
        #expect((try fingerprint(seed: 7)) == a)
    }

    @Test("only the identity key determines the fingerprint")
    func onlyIdentityMatters() throws {
        let one = try F.secrets(seed: 1), two = try F.secrets(seed: 2)
        let mixed = NodeSecrets(identity: one.identity, encryption: two.encryption, transport: two.transport, log: two.log)
        #expect(mixed.publicKeys.fingerprint == one.publicKeys.fingerprint)
    }

    @Test("the human form is 11 dash-separated groups of 5 base32 characters", arguments: 0..<8)
    func humanForm(seed: UInt64) throws {
        let text = try fingerprint(seed: seed).description
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        #expect(groups.count == 11)
        #expect(groups.allSatisfy { $0.count == 5 })
        #expect(text.count == 65)
        #expect(text.filter { $0 != "-" }.allSatisfy { base32Alphabet.contains($0) })
    }

    @Test("parse(description) round trips", arguments: 0..<16)
    func roundTrip(seed: UInt64) throws {
        let fp = try fingerprint(seed: seed)
        #expect(try NodeFingerprint(parsing: fp.description) == fp)
        #expect(try NodeFingerprint(parsing: fp.description).bytes == fp.bytes)
    }

    @Test("parsing ignores case, dashes and spaces")
    func lenientSeparatorsAndCase() throws {
        let fp = try fingerprint(seed: 3)
        let text = fp.description
        let compact = text.filter { $0 != "-" }
        let variants = [
            text.uppercased(),
            compact,
            compact.uppercased(),
            text.replacingOccurrences(of: "-", with: " "),
            text.replacingOccurrences(of: "-", with: "--"),
            " " + text + " ",
            String(compact.enumerated().map { $0.offset.isMultiple(of: 2) ? Character($0.element.uppercased()) : $0.element }),
            stride(from: 0, to: compact.count, by: 4).map { i -> String in
                let start = compact.index(compact.startIndex, offsetBy: i)
                return String(compact[start..<compact.index(start, offsetBy: min(4, compact.count - i))])
            }.joined(separator: "-"),
        ]
        for variant in variants {
            #expect(try NodeFingerprint(parsing: variant) == fp, "\(variant)")
        }
    }

    @Test("every single mistyped character is caught, at every position", arguments: 0..<4)
    func singleCharacterTypos(seed: UInt64) throws {
        let fp = try fingerprint(seed: seed)
        let compact = Array(fp.description.filter { $0 != "-" })
        #expect(compact.count == 55)
        for position in compact.indices {
            // Seed 0 tries every other character; the rest try a few per position.
            let index = base32Alphabet.firstIndex(of: compact[position])!
            let shifts = seed == 0 ? Array(1..<32) : [1, 16, 31]
            for shift in shifts {
                var typo = compact
                typo[position] = base32Alphabet[(index + shift) % 32]
                let error = F.coreError { try NodeFingerprint(parsing: String(typo)) }
                #expect(error?.code == .malformedFingerprint, "typo at \(position) (+\(shift)) was accepted")
            }
        }
    }

    @Test("swapping two adjacent different characters is caught", arguments: 0..<4)
    func transpositions(seed: UInt64) throws {
        let compact = Array(try fingerprint(seed: seed).description.filter { $0 != "-" })
        for i in 0..<(compact.count - 1) where compact[i] != compact[i + 1] {
            var swapped = compact
            swapped.swapAt(i, i + 1)
            #expect(throws: CoreError(.malformedFingerprint, "")) { try NodeFingerprint(parsing: String(swapped)) }
        }
    }

    @Test("a checksum mismatch says a character was mistyped")
    func checksumMessage() throws {
        var compact = Array(try fingerprint(seed: 5).description.filter { $0 != "-" })
        compact[0] = compact[0] == "a" ? "b" : "a"
        let error = F.coreError { try NodeFingerprint(parsing: String(compact)) }
        #expect(error?.code == .malformedFingerprint)
        #expect(error?.message.contains("mistyped") == true)
    }

    @Test("wrong lengths and foreign characters are rejected")
    func wrongLengthAndAlphabet() throws {
        let text = try fingerprint(seed: 9).description
        let compact = text.filter { $0 != "-" }
        let key = Data(try F.secrets(seed: 9).identity.publicKey.rawRepresentation).base64EncodedString()
        var bad: [String] = ["", "-"]
        bad.append(String(compact.dropLast()))                  // 54 characters
        bad.append(compact + "a")                               // 56 characters
        bad.append(compact + compact)                           // 110 characters
        bad.append(String(text.dropLast(6)))                    // one group missing
        bad.append(String(compact.prefix(52)))                  // the digest alone, no checksum
        bad.append(String(repeating: "a", count: 55))
        bad.append(String(repeating: "a", count: 56))
        bad.append("0" + String(compact.dropFirst()))
        bad.append(String(compact.dropLast()) + "1")
        bad.append(String(compact.dropLast()) + "8")
        bad.append(String(compact.dropLast()) + "=")
        bad.append(text.replacingOccurrences(of: "-", with: "_"))
        bad.append(text.replacingOccurrences(of: "-", with: "\t"))
        bad.append("sha256:" + compact)
        bad.append(key)
        for candidate in bad {
            #expect(throws: CoreError(.malformedFingerprint, ""), "\(candidate.debugDescription)") {
                try NodeFingerprint(parsing: candidate)
            }
        }
    }

    @Test("non-zero padding bits in the last character are rejected, so each fingerprint has one spelling")
    func paddingBits() throws {
        let compact = Array(try fingerprint(seed: 11).description.filter { $0 != "-" })
        let last = base32Alphabet.firstIndex(of: compact[54])!
        #expect(last & 0b111 == 0, "the last character carries 2 data bits and 3 zero bits")
        for padding in 1..<8 {
            var variant = compact
            variant[54] = base32Alphabet[last | padding]
            #expect(throws: CoreError(.malformedFingerprint, "")) { try NodeFingerprint(parsing: String(variant)) }
        }
    }

    @Test("short is the first three groups of the full form", arguments: 0..<8)
    func shortIsPrefix(seed: UInt64) throws {
        let fp = try fingerprint(seed: seed)
        #expect(fp.description.hasPrefix(fp.short))
        #expect(fp.short.count == 17)
        #expect(fp.short.split(separator: "-").count == 3)
        #expect(fp.description.dropFirst(fp.short.count).first == "-")
    }

    @Test("ordering follows the digest bytes")
    func ordering() throws {
        let fps = try (0..<10).map { try fingerprint(seed: UInt64($0)) }
        let sorted = fps.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(a.bytes.lexicographicallyPrecedes(b.bytes))
            #expect(a < b && !(b < a))
        }
        #expect(Set(fps).count == 10)
    }
}
