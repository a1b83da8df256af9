import Foundation

/// Errors say what to run next (`liaison peers list`); many come from the daemon,
/// which cannot know the `--home` the operator typed. Run as they are, those hints
/// would act on another node. So when the command line names a home, every hint
/// that does not name one gets it. The convention: a command in backticks is one to
/// run here; one to run on another node (a partner's `keys show`) is quoted plainly.
enum HomeInHints {
    /// The `--home` the command line gives (`--home DIR` or `--home=DIR`; the last
    /// one, as the argument parser takes it), if any.
    static func home(in arguments: [String]) -> String? {
        var home: String?
        for (index, argument) in arguments.enumerated() {
            if argument == "--home", index + 1 < arguments.count { home = arguments[index + 1] }
            if argument.hasPrefix("--home=") { home = String(argument.dropFirst("--home=".count)) }
        }
        return home
    }

    /// `message` with this command line's `--home` added to each hint that lacks one
    /// (unchanged when the command line names no home): for the hints commands print.
    static func here(_ message: String) -> String {
        guard let home = home(in: Array(CommandLine.arguments.dropFirst())) else { return message }
        return adding(home, to: message)
    }

    /// `message` with ` --home DIR` added to each `` `liaison …` `` hint that lacks one.
    static func adding(_ home: String, to message: String) -> String {
        let quoted = home.allSatisfy { $0.isLetter || $0.isNumber || "/._-~+".contains($0) } ? home : "'" + home.replacingOccurrences(of: "'", with: "'\\''") + "'"
        var result = ""
        var rest = message[...]
        while let open = rest.range(of: "`liaison ") {
            guard let close = rest[open.upperBound...].firstIndex(of: "`") else { break }
            let hint = rest[open.lowerBound..<close]
            result += rest[..<open.lowerBound]
            result += hint
            if !hint.contains("--home") { result += " --home " + quoted }
            rest = rest[close...]
            result += "`"
            rest = rest.dropFirst()
        }
        return result + rest
    }
}
