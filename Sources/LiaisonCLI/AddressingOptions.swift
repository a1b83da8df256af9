import ArgumentParser
import LiaisonCore

/// Recipients, markings and validity of a new package: shared by `package seal`
/// and `send`, checked in one place.
struct AddressingOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Recipients by peer name, comma-separated or repeated.", valueName: "name,…"))
    var to: [String]

    @Option(name: .long, help: ArgumentHelp("TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.", valueName: "level"))
    var tlp: String

    @Option(name: .long, help: ArgumentHelp("Classification from the node's ladder (default: the lowest).", valueName: "label"))
    var classification: String?

    @Option(name: .customLong("rel-to"), help: ArgumentHelp("Releasability communities, e.g. NATO,EU.", valueName: "community,…"))
    var relTo: [String] = []

    @Option(name: .long, help: ArgumentHelp("Handling caveat (repeatable).", valueName: "caveat"))
    var caveat: [String] = []

    @Option(name: .long, help: ArgumentHelp("Validity from now, e.g. 12h, 30d, or 'never' (default: the node's policy).", valueName: "duration"))
    var expires: String?

    @Option(name: .customLong("content-type"), help: ArgumentHelp("Media type of the payload (default: application/octet-stream).", valueName: "type"))
    var contentType: String?

    /// The recipients, split and trimmed.
    var recipients: [String] { commaList(to) }
    /// The releasability communities, split and trimmed.
    var communities: [String] { commaList(relTo) }

    func validate() throws {
        if recipients.isEmpty { throw ValidationError("--to needs at least one recipient: an empty recipient set is an error, never \"everyone\"") }
        do {
            _ = try TrafficLightProtocol(parsing: tlp)
            if let expires, expires != "never" { _ = try Timestamp.parseDuration(expires) }
        } catch let error as CoreError {
            throw ValidationError(error.message)
        }
    }
}
