import LiaisonCore
import Foundation

/// The messages two daemons exchange inside an established Noise session.
/// Each is one Noise transport message: a type byte, then its fields
/// (big-endian integers). The connection that dials is the one that sends
/// packages; the one that listens receives them and returns receipts.
public enum SessionMessage: Equatable, Sendable {
    /// "I have this package for you": id, sealed size, expiry (Unix seconds, 0 none).
    case offer(packageID: PackageID, size: UInt64, expires: Int64?)
    /// "Send it from this byte offset" (non-zero when resuming a partial transfer).
    case accept(packageID: PackageID, offset: UInt64)
    /// "Do not send it", with a reason.
    case reject(packageID: PackageID, reason: RejectReason, detail: String)
    /// The next bytes of the sealed package being transferred.
    case data([UInt8])
    /// "That was all of it": the total size. No digest: the recipient verifies the
    /// whole package (every chunk's tag and signature) before acknowledging it.
    case end(packageID: PackageID, size: UInt64)
    /// The recipient's signed end-to-end receipt.
    case receipt(DeliveryReceipt)
    /// Both sides switch the sending direction's key (Noise `REKEY`) after this message.
    case rekey
    /// An authenticated goodbye; the connection ends after it.
    case close(reason: CloseReason)
    /// "Please cosign my audit checkpoint": the signed note, the size the witness
    /// last cosigned (as the requester believes) and the consistency proof from it.
    case witnessRequest(note: [UInt8], oldSize: UInt64, proof: [[UInt8]])
    /// The witness's `cosignature/v1` signature line (without its newline).
    case witnessCosignature(line: [UInt8])
    /// The witness refuses; `knownSize` is the size it last cosigned (a requester
    /// that assumed another size retries with a proof from this one).
    ///
    /// `evidence`, when the refusal is about the requester's own log (a rollback, a
    /// fork, a conflict over the last size cosigned), is the checkpoint the witness
    /// cosigned last, as the requester's log key signed it: the requester believes
    /// the refusal only if that proves it (``maximumNoteByteCount`` at most; empty
    /// when there is none, and from witnesses of earlier releases, which did not send it).
    case witnessRefused(knownSize: UInt64, reason: String, evidence: [UInt8] = [])
    /// The sender's signed statement that its own identity key is revoked
    /// (``RevocationStatement``'s encoding); the recipient verifies it, marks the
    /// sender revoked and ends the session.
    case revocation([UInt8])
    /// A whole small sealed package in one message (at most ``maximumPushByteCount``
    /// bytes), answered like an offer's transfer: with a receipt or a refusal. The
    /// sender may push many before the first answer comes back; answers name
    /// their package and may arrive in any order.
    case push(packageID: PackageID, expires: Int64?, bytes: [UInt8])
    /// The sender's signed statement that it replaced its keys
    /// (``RotationStatement``'s encoding), sent on a session made with its previous
    /// transport key; the recipient verifies it and takes the new keys.
    case rotation([UInt8])
    /// The recipient took the rotation (or had already): the sender counts it told.
    case rotationAccepted

    /// Why a package was refused.
    public enum RejectReason: UInt8, Sendable {
        /// The package failed verification (detail says which check).
        case invalid = 1
        /// The recipient does not accept this package from this sender (policy, limits).
        case refused = 2
        /// It has expired.
        case expired = 3
        /// The recipient cannot store it now (disk, audit): try again later.
        case unavailable = 4
        /// Larger than the recipient accepts.
        case tooLarge = 5
    }

    /// Why a connection is closed.
    public enum CloseReason: UInt8, Sendable {
        /// Nothing more to send.
        case done = 0
        /// The daemon is shutting down.
        case shutdown = 1
        /// A protocol violation.
        case protocolError = 2
        /// The peer's key was revoked.
        case revoked = 3
        /// The session has run too long or too idle.
        case timeout = 4
    }

    /// Largest `data` payload: a 65535-byte frame less the AEAD tag and the type byte.
    public static let maximumDataByteCount = 65_535 - 16 - 1
    /// Largest sealed package a `push` carries: a frame less the AEAD tag, the type
    /// byte, the package id and the expiry.
    public static let maximumPushByteCount = maximumDataByteCount - 16 - 8

    private enum Tag: UInt8 {
        case offer = 1, accept, reject, data, end, receipt, rekey, close
        case witnessRequest, witnessCosignature, witnessRefused
        case revocation
        case rotation = 13, rotationAccepted = 14
        case push = 16
    }

    /// Largest signed note a witness request carries.
    public static let maximumNoteByteCount = 16 * 1024
    /// Most hashes in a consistency proof (a tree of 2^63 leaves needs fewer).
    public static let maximumProofHashes = 128

    /// The first byte of an encoded `data` message; its payload follows as is.
    /// Lets a sender frame a data message straight into its output buffer.
    public static let dataTag = Tag.data.rawValue

    /// At most 200 characters and 255 bytes of `text`, cut between characters: a
    /// cut by bytes could end inside one and send bytes that are not UTF-8.
    static func shortText(_ text: String) -> [UInt8] {
        Array(text.prefix(200).prefix(utf8Bytes: 255).utf8)
    }

    /// The encoded message (to be encrypted as one Noise transport message).
    public var encoded: [UInt8] {
        var w = ByteWriter()
        switch self {
        case .offer(let id, let size, let expires):
            w.write(Tag.offer.rawValue); w.write(id.bytes); w.write(size); w.write(UInt64(expires ?? 0))
        case .accept(let id, let offset):
            w.write(Tag.accept.rawValue); w.write(id.bytes); w.write(offset)
        case .reject(let id, let reason, let detail):
            w.write(Tag.reject.rawValue); w.write(id.bytes); w.write(reason.rawValue)
            w.writeShortString(Self.shortText(detail))
        case .data(let bytes):
            precondition(bytes.count <= Self.maximumDataByteCount, "data message too large")
            w.write(Tag.data.rawValue); w.write(bytes)
        case .end(let id, let size):
            w.write(Tag.end.rawValue); w.write(id.bytes); w.write(size)
        case .receipt(let receipt):
            w.write(Tag.receipt.rawValue); w.write(receipt.encoded)
        case .rekey:
            w.write(Tag.rekey.rawValue)
        case .close(let reason):
            w.write(Tag.close.rawValue); w.write(reason.rawValue)
        case .witnessRequest(let note, let oldSize, let proof):
            precondition(note.count <= Self.maximumNoteByteCount && proof.count <= Self.maximumProofHashes, "witness request too large")
            w.write(Tag.witnessRequest.rawValue); w.write(UInt16(note.count)); w.write(note); w.write(oldSize)
            w.write(UInt8(proof.count))
            for hash in proof { precondition(hash.count == 32, "proof hashes are 32 bytes"); w.write(hash) }
        case .witnessCosignature(let line):
            precondition(line.count <= 1024, "cosignature line too long")
            w.write(Tag.witnessCosignature.rawValue); w.write(UInt16(line.count)); w.write(line)
        case .witnessRefused(let knownSize, let reason, let evidence):
            precondition(evidence.count <= Self.maximumNoteByteCount, "witness evidence too large")
            w.write(Tag.witnessRefused.rawValue); w.write(knownSize)
            w.writeShortString(Self.shortText(reason))
            if !evidence.isEmpty { w.write(UInt16(evidence.count)); w.write(evidence) }
        case .revocation(let statement):
            precondition(statement.count <= RevocationStatement.maximumByteCount, "revocation statement too large")
            w.write(Tag.revocation.rawValue); w.write(UInt16(statement.count)); w.write(statement)
        case .push(let id, let expires, let bytes):
            precondition(bytes.count <= Self.maximumPushByteCount, "push message too large")
            w.write(Tag.push.rawValue); w.write(id.bytes); w.write(UInt64(expires ?? 0)); w.write(bytes)
        case .rotation(let statement):
            precondition(statement.count <= RotationStatement.maximumByteCount, "rotation statement too large")
            w.write(Tag.rotation.rawValue); w.write(UInt16(statement.count)); w.write(statement)
        case .rotationAccepted:
            w.write(Tag.rotationAccepted.rawValue)
        }
        return w.bytes
    }

    /// Decodes a message; anything malformed is a ``WireError`` (never a crash).
    public init(decoding bytes: [UInt8]) throws {
        let malformed = WireError(.unexpectedMessage, "a session message is malformed")
        var r = ByteReader(bytes, truncation: CoreError(.truncated, "session message truncated"))
        do {
            guard let tag = Tag(rawValue: try r.readUInt8()) else { throw malformed }
            switch tag {
            case .offer:
                let id = PackageID(unchecked: try r.readBytes(16)), size = try r.readUInt64(), expires = try r.readUInt64()
                guard expires <= UInt64(Int64.max) else { throw malformed }
                self = .offer(packageID: id, size: size, expires: expires == 0 ? nil : Int64(expires))
            case .accept:
                self = .accept(packageID: PackageID(unchecked: try r.readBytes(16)), offset: try r.readUInt64())
            case .reject:
                let id = PackageID(unchecked: try r.readBytes(16))
                guard let reason = RejectReason(rawValue: try r.readUInt8()) else { throw malformed }
                // Peer-supplied text reaches logs and terminals: keep printable characters only.
                let detail = String(decoding: try r.readShortString(), as: UTF8.self)
                    .unicodeScalars.filter { !$0.properties.isNoncharacterCodePoint && !(CharacterSet.controlCharacters.contains($0)) }
                self = .reject(packageID: id, reason: reason, detail: String(String.UnicodeScalarView(detail)))
            case .data:
                self = .data(try r.readBytes(r.remaining))
            case .end:
                self = .end(packageID: PackageID(unchecked: try r.readBytes(16)), size: try r.readUInt64())
            case .receipt:
                self = .receipt(try DeliveryReceipt(decoding: try r.readBytes(r.remaining)))
            case .rekey:
                self = .rekey
            case .close:
                guard let reason = CloseReason(rawValue: try r.readUInt8()) else { throw malformed }
                self = .close(reason: reason)
            case .witnessRequest:
                let length = Int(try r.readUInt16())
                guard length <= Self.maximumNoteByteCount else { throw malformed }
                let note = try r.readBytes(length), oldSize = try r.readUInt64()
                let count = Int(try r.readUInt8())
                guard count <= Self.maximumProofHashes else { throw malformed }
                self = .witnessRequest(note: note, oldSize: oldSize, proof: try (0..<count).map { _ in try r.readBytes(32) })
            case .witnessCosignature:
                let length = Int(try r.readUInt16())
                guard length <= 1024 else { throw malformed }
                self = .witnessCosignature(line: try r.readBytes(length))
            case .witnessRefused:
                let size = try r.readUInt64()
                let reason = String(decoding: try r.readShortString(), as: UTF8.self)
                    .unicodeScalars.filter { !$0.properties.isNoncharacterCodePoint && !(CharacterSet.controlCharacters.contains($0)) }
                var evidence: [UInt8] = []
                if !r.isAtEnd {
                    let length = Int(try r.readUInt16())
                    guard length > 0, length <= Self.maximumNoteByteCount else { throw malformed }
                    evidence = try r.readBytes(length)
                }
                self = .witnessRefused(knownSize: size, reason: String(String.UnicodeScalarView(reason)), evidence: evidence)
            case .revocation:
                let length = Int(try r.readUInt16())
                guard length <= RevocationStatement.maximumByteCount else { throw malformed }
                self = .revocation(try r.readBytes(length))
            case .push:
                let id = PackageID(unchecked: try r.readBytes(16)), expires = try r.readUInt64()
                guard expires <= UInt64(Int64.max), r.remaining > 0 else { throw malformed }
                self = .push(packageID: id, expires: expires == 0 ? nil : Int64(expires), bytes: try r.readBytes(r.remaining))
            case .rotation:
                let length = Int(try r.readUInt16())
                guard length <= RotationStatement.maximumByteCount else { throw malformed }
                self = .rotation(try r.readBytes(length))
            case .rotationAccepted:
                self = .rotationAccepted
            }
            guard r.isAtEnd else { throw malformed }
        } catch let error as WireError {
            throw error
        } catch {
            throw malformed
        }
    }
}
