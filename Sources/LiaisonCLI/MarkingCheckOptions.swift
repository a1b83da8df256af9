import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonCrypto

/// How a STIX payload's own TLP markings meet the package's: shared by `send` and
/// `package seal` (docs/access-control.md, "STIX markings").
struct MarkingCheckOptions: ParsableArguments {
    @Flag(name: .customLong("strict-markings"), help: ArgumentHelp(
        "Refuse (policy.marking-conflict) instead of raising --tlp when a STIX bundle is marked more strictly (a payload labelled application/stix+json, or any JSON payload up to 8 MiB that is a bundle)."))
    var strict = false
}

extension MarkingCheckOptions {
    /// For a STIX content type (`package seal`): reads `path` whole, at most
    /// ``STIXMarkings/maximumPayloadBytes``, and checks the bundle's TLP against
    /// `markings`, which are raised to the bundle's when it is stricter (or, with
    /// --strict-markings, a `policy.marking-conflict` is thrown). A file of another
    /// type that opens a JSON object and is at most ``STIXMarkings/maximumSniffedBytes``
    /// is read too, and checked if it is a bundle. Returns the bytes to seal and the
    /// check, or nil when the file is not (known to be) a bundle: it is then
    /// streamed as before.
    func readSTIX(_ path: String, contentType: String?, markings: inout Markings) throws -> (payload: PlaintextBuffer, check: STIXMarkingCheck)? {
        let declared = STIXMarkings.isSTIX(contentType: contentType)
        if !declared {
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= STIXMarkings.maximumSniffedBytes else { return nil }
            let input = try InputFile(path: path)
            var stream = input.stream
            var prefix = [UInt8](repeating: 0, count: 64)
            defer { prefix.withUnsafeMutableBytes { Sodium.wipe($0) } }   // plaintext
            let n = try prefix.withUnsafeMutableBytes { try stream.readFully(into: $0) }
            guard STIXMarkings.mayBeBundle(prefix: prefix[..<n]) else { return nil }
        }
        let buffer = PlaintextBuffer(limit: declared ? STIXMarkings.maximumPayloadBytes : STIXMarkings.maximumSniffedBytes)
        let input = try InputFile(path: path)
        var stream = input.stream
        do {
            try buffer.read(from: &stream, tooLarge: STIXMarkings.tooLarge)
        } catch where !declared {
            return nil   // grew past the limit since: not read as a bundle
        }
        let check = try buffer.withBytes { try STIXMarkingCheck(payload: $0, contentType: contentType, markings: markings, strict: strict) }
        guard declared || check.bundle != nil else { return nil }
        markings = check.markings
        return (buffer, check)
    }
}
