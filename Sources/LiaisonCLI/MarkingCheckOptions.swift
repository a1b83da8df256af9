import ArgumentParser
import LiaisonCore

/// How a STIX payload's own TLP markings meet the package's: shared by `send` and
/// `package seal` (docs/access-control.md, "STIX markings").
struct MarkingCheckOptions: ParsableArguments {
    @Flag(name: .customLong("strict-markings"), help: ArgumentHelp(
        "Refuse (policy.marking-conflict) instead of raising --tlp when a STIX bundle (--content-type application/stix+json) is marked more strictly."))
    var strict = false
}

extension MarkingCheckOptions {
    /// For a STIX content type (`package seal`): reads `path` whole, at most
    /// ``STIXMarkings/maximumPayloadBytes``, and checks the bundle's TLP against
    /// `markings`, which are raised to the bundle's when it is stricter (or, with
    /// --strict-markings, a `policy.marking-conflict` is thrown). Returns the bytes
    /// to seal and the check, or nil for any other content type (the file is then
    /// streamed as before).
    func readSTIX(_ path: String, contentType: String?, markings: inout Markings) throws -> (payload: PlaintextBuffer, check: STIXMarkingCheck)? {
        guard STIXMarkings.isSTIX(contentType: contentType) else { return nil }
        let buffer = PlaintextBuffer(limit: STIXMarkings.maximumPayloadBytes)
        let input = try InputFile(path: path)
        var stream = input.stream
        try buffer.read(from: &stream, tooLarge: STIXMarkings.tooLarge)
        let check = try buffer.withBytes { try STIXMarkingCheck(payload: $0, contentType: contentType, markings: markings, strict: strict) }
        markings = check.markings
        return (buffer, check)
    }
}
