import Foundation
import LiaisonCrypto

/// What the node's signed statements (``RevocationStatement``, ``RotationStatement``)
/// share: the plausible signing times, reading the signer's key, and their text
/// files — readable lines that repeat a signed, base64 `statement` line.
enum SignedStatement {
    /// Signing times accepted (Unix seconds): 2020 to 9999. A time outside is nonsense
    /// from a broken clock or a hostile signer.
    static let plausibleTimes: ClosedRange<Int64> = 1_577_836_800...253_402_300_799

    /// Throws `error` unless `time` is plausible (for the signing side: a node whose
    /// clock is far off must not sign what every partner would refuse).
    static func checkSigningTime(_ time: Int64, _ error: @autoclosure () -> CoreError) throws {
        guard plausibleTimes.contains(time) else { throw error() }
    }

    /// Reads a signing time, or throws `malformed` for an implausible one.
    static func readTime(_ r: inout ByteReader, malformed: CoreError) throws -> Int64 {
        let time = try r.readUInt64()
        guard time <= UInt64(plausibleTimes.upperBound), plausibleTimes.contains(Int64(time)) else { throw malformed }
        return Int64(time)
    }

    /// Reads a 32-byte Ed25519 identity key, or throws `malformed`.
    static func readIdentity(_ r: inout ByteReader, malformed: CoreError) throws -> IdentityPublicKey {
        do {
            return try IdentityPublicKey(rawRepresentation: try r.readBytes(32))
        } catch is CryptoError {
            throw malformed
        }
    }

    /// The `statement:` line of a text file, for `encoded`.
    static func line(_ encoded: [UInt8]) -> String { "statement: \(Data(encoded).base64EncodedString())" }

    /// The signed bytes of a statement's text file (its `statement:` line), or
    /// `malformed`; the caller decodes them and checks the whole text re-renders.
    static func payload(of text: String, maximumByteCount: Int, malformed: CoreError) throws -> [UInt8] {
        guard text.utf8.count <= 4 * maximumByteCount else { throw malformed }
        let prefix = "statement: "
        guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).first(where: { $0.hasPrefix(prefix) }),
              let data = Data(base64Encoded: String(line.dropFirst(prefix.count))) else { throw malformed }
        return Array(data)
    }
}
