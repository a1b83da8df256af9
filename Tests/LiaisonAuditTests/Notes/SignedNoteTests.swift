import Foundation
import LiaisonAudit
import LiaisonCrypto
import Testing

/// The signed-note format against golang.org/x/mod/sumdb/note's published
/// example and tests (`TestSign`, `TestOpen`) and the C2SP example.
@Suite("SignedNote (C2SP signed-note)")
struct SignedNoteTests {
    static func peter() throws -> NoteVerifierKey { try NoteVerifierKey(parsing: NoteVectors.peterKey) }
    static func enoch() throws -> NoteVerifierKey { try NoteVerifierKey(parsing: NoteVectors.enochKey) }

    // MARK: Known answers

    @Test("signing the example text with the published key reproduces the published note")
    func signReproducesVector() throws {
        let signer = try NoteSigner(name: "PeterNeumann", secretKey: NoteVectors.peterSecretKey())
        let note = try SignedNote(text: NoteVectors.text, signatures: [signer.signature(for: NoteVectors.text)])
        #expect(note.formatted == NoteVectors.peterNote)
    }

    @Test("the published note verifies under the published key")
    func openVector() throws {
        let opened = try SignedNote.open(Array(NoteVectors.peterNote.utf8), verifiers: NoteVerifierSet([Self.peter()]))
        #expect(opened.text == NoteVectors.text)
        #expect(opened.verified.map(\.key) == [try Self.peter()])
        #expect(opened.verified.first?.cosignatureTimestamp == nil)
        #expect(opened.unverified.isEmpty)
    }

    @Test("parse then format reproduces the published notes byte for byte")
    func roundTrip() throws {
        for text in [NoteVectors.peterNote, NoteVectors.text + "\n" + NoteVectors.peterSignature + NoteVectors.enochSignature, NoteVectors.c2spNote] {
            #expect(try SignedNote(parsing: text).formatted == text)
        }
    }

    @Test("the C2SP example keeps its blank line in the text: the last blank line separates")
    func lastBlankLineSeparates() throws {
        let note = try SignedNote(parsing: NoteVectors.c2spNote)
        #expect(note.text == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n")
        #expect(note.signatures.map(\.name) == ["quasimodo.example/salvatore"])
        #expect(note.signatures[0].signature.count == 64)
        let error = #expect(throws: AuditError.self) { try note.verify(using: NoteVerifierSet([Self.peter()])) }
        #expect(error?.code == .noVerifiedSignature)
    }

    // MARK: Which signatures count (Go's TestOpen)

    @Test("one known and one unknown key: the unknown line is kept but says nothing")
    func knownAndUnknown() throws {
        let message = NoteVectors.text + "\n" + NoteVectors.peterSignature + NoteVectors.enochSignature
        let opened = try SignedNote(parsing: message).verify(using: NoteVerifierSet([Self.peter()]))
        #expect(opened.verified.map(\.key.name) == ["PeterNeumann"])
        #expect(opened.unverified.map(\.name) == ["EnochRoot"])
        #expect(opened.unverified.first?.keyID == 0xaf0c_fe78)

        let both = try SignedNote(parsing: message).verify(using: NoteVerifierSet([Self.peter(), Self.enoch()]))
        #expect(both.verified.map(\.key.name) == ["PeterNeumann", "EnochRoot"])
        #expect(both.unverified.isEmpty)
    }

    @Test("a note without a signature from a known key is rejected")
    func noKnownKey() throws {
        let message = NoteVectors.text + "\n" + NoteVectors.peterSignature + NoteVectors.enochSignature
        let error = #expect(throws: AuditError.self) { try SignedNote(parsing: message).verify(using: NoteVerifierSet([])) }
        #expect(error?.code == .noVerifiedSignature)
    }

    @Test("duplicate lines collapse; a changed unknown line is kept separately")
    func duplicates() throws {
        let peter = NoteVectors.peterSignature, enoch = NoteVectors.enochSignature
        let enochABCD = String(enoch.prefix(60)) + "ABCD" + String(enoch.dropFirst(60))
        let message = NoteVectors.text + "\n" + peter + peter + enoch + enoch + enochABCD
        let opened = try SignedNote(parsing: message).verify(using: NoteVerifierSet([Self.peter()]))
        #expect(opened.verified.count == 1)
        #expect(opened.unverified.count == 2)
        #expect(opened.unverified.last?.line == enochABCD)
    }

    @Test("a line from a known key that does not verify rejects the whole note")
    func invalidKnownSignature() throws {
        let peter = NoteVectors.peterSignature
        let bad = String(peter.prefix(60)) + "ABCD" + String(peter.dropFirst(60))
        let message = NoteVectors.text + "\n" + peter + bad
        let error = #expect(throws: AuditError.self) { try SignedNote(parsing: message).verify(using: NoteVerifierSet([Self.peter()])) }
        #expect(error?.code == .signatureInvalid)
    }

    @Test("up to 100 signature lines are accepted, 101 are refused")
    func signatureLimit() throws {
        let verifiers = try NoteVerifierSet([Self.peter()])
        let hundred = NoteVectors.text + "\n" + String(repeating: NoteVectors.peterSignature, count: 100)
        #expect(try SignedNote(parsing: hundred).verify(using: verifiers).verified.count == 1)
        let tooMany = NoteVectors.text + "\n" + String(repeating: NoteVectors.peterSignature, count: 101)
        let error = #expect(throws: AuditError.self) { try SignedNote(parsing: tooMany) }
        #expect(error?.code == .tooManySignatures)
    }

    @Test("a note over 1 MiB is refused before it is parsed")
    func sizeLimit() {
        let huge = String(repeating: "x", count: SignedNote.maximumByteCount) + "\n\n" + NoteVectors.peterSignature
        let error = #expect(throws: AuditError.self) { try SignedNote(parsing: huge) }
        #expect(error?.code == .noteTooLarge)
    }

    // MARK: Tampering

    @Test("changing any byte of the text breaks the note")
    func textTamper() throws {
        let verifiers = try NoteVerifierSet([Self.peter()])
        let original = Array(NoteVectors.peterNote.utf8)
        for position in 0..<NoteVectors.text.utf8.count {
            var bytes = original
            bytes[position] ^= 0x01
            let error = #expect(throws: AuditError.self) { try SignedNote.open(bytes, verifiers: verifiers) }
            #expect(error?.code == .signatureInvalid || error?.code == .malformedNote, "byte \(position)")
        }
        let capitalised = NoteVectors.peterNote.replacingOccurrences(of: "cryptography", with: "cryptographY")
        let error = #expect(throws: AuditError.self) { try SignedNote.open(Array(capitalised.utf8), verifiers: verifiers) }
        #expect(error?.code == .signatureInvalid)
    }

    @Test("changing any byte of the signature breaks the note")
    func signatureTamper() throws {
        let verifiers = try NoteVerifierSet([Self.peter()])
        let line = try SignedNote(parsing: NoteVectors.peterNote).signatures[0]
        for position in line.signature.indices {
            var signature = line.signature
            signature[position] ^= 0x01
            let forged = try SignedNote(text: NoteVectors.text, signatures: [NoteSignature(name: line.name, keyID: line.keyID, signature: signature)])
            let error = #expect(throws: AuditError.self) { try SignedNote.open(forged.bytes, verifiers: verifiers) }
            #expect(error?.code == .signatureInvalid, "byte \(position)")
        }
        // A changed key ID or name makes the line one from an unknown key.
        for other in [try NoteSignature(name: line.name, keyID: line.keyID ^ 1, signature: line.signature),
                      try NoteSignature(name: "PeterNeuman", keyID: line.keyID, signature: line.signature)] {
            let forged = try SignedNote(text: NoteVectors.text, signatures: [other])
            let error = #expect(throws: AuditError.self) { try SignedNote.open(forged.bytes, verifiers: verifiers) }
            #expect(error?.code == .noVerifiedSignature)
        }
    }

    // MARK: Syntax

    static let peterLine = NoteVectors.peterSignature

    @Test(
        "malformed notes are refused with audit.malformed-note",
        arguments: [
            // Go's TestOpen bad messages.
            NoteVectors.text,
            NoteVectors.text + "\n",
            NoteVectors.text + "\n" + String(peterLine.dropLast()),
            "\u{01}" + NoteVectors.text + "\n" + peterLine,
            NoteVectors.text + "\n" + "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            NoteVectors.text + "\n" + peterLine + "Unexpected line.\n",
            // More.
            "",
            "\n\n",
            NoteVectors.text + "\n" + peterLine + "\n",
            NoteVectors.text + "\n" + "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            NoteVectors.text + "\n" + "\u{2014} PeterNeumann\n",
            NoteVectors.text + "\n" + "\u{2014} PeterNeumann \n",
            NoteVectors.text + "\n" + "\u{2014}  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            NoteVectors.text + "\n" + "\u{2014} Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            NoteVectors.text + "\n" + "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
            NoteVectors.text + "\n" + "\u{2014} PeterNeumann x08g\n",
            NoteVectors.text + "\n" + "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n",
            NoteVectors.text + "\r\n" + peterLine,
            "tab\there\n\n" + peterLine,
        ]
    )
    func malformed(_ message: String) {
        let error = #expect(throws: AuditError.self) { try SignedNote(parsing: message) }
        #expect(error?.code == .malformedNote)
    }

    @Test("bytes that are not UTF-8 are refused")
    func invalidUTF8() {
        let bytes: [UInt8] = [0xFF] + Array((NoteVectors.text + "\n" + NoteVectors.peterSignature).utf8)
        let error = #expect(throws: AuditError.self) { try SignedNote(parsing: bytes) }
        #expect(error?.code == .malformedNote)
    }

    @Test("texts that cannot be signed are refused")
    func badTexts() throws {
        let signer = try NoteSigner(name: "PeterNeumann", secretKey: NoteVectors.peterSecretKey())
        for text in ["", "abc", "two\nlines", "bell\u{07}\n"] {
            let error = #expect(throws: AuditError.self) { try signer.signature(for: text) }
            #expect(error?.code == .malformedNote, "\(text)")
        }
        let error = #expect(throws: AuditError.self) { try SignedNote(text: NoteVectors.text, signatures: []) }
        #expect(error?.code == .malformedNote)
    }

    @Test("adding a signature replaces the line of the same key and keeps the others")
    func adding() throws {
        let note = try SignedNote(parsing: NoteVectors.text + "\n" + NoteVectors.enochSignature + NoteVectors.peterSignature)
        let signer = try NoteSigner(name: "PeterNeumann", secretKey: NoteVectors.peterSecretKey())
        let resigned = try note.adding(signer.signature(for: note.text))
        #expect(resigned.signatures.map(\.name) == ["EnochRoot", "PeterNeumann"])
        #expect(resigned.formatted == note.formatted)
    }
}
