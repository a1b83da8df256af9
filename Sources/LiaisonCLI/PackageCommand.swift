import ArgumentParser

/// `liaison package …`: offline sealing, opening and inspection.
struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Seal, open and inspect packages offline (no daemon needed).",
        subcommands: [SealPackageCommand.self, OpenPackageCommand.self, InspectPackageCommand.self])
}
