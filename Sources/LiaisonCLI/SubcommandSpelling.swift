import ArgumentParser

/// A mistyped command name (`liaison statu --home x`) reaches the argument parser as
/// an unknown option of the parent command ("Unknown option '--home'"), which says
/// nothing of the typo. Checked first: the words before the first option must name
/// commands, and one that does not is said to be unknown, with the closest name.
enum SubcommandSpelling {
    /// The message for the first word that names no command where one is expected, or nil.
    static func problem(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            guard !word.hasPrefix("-") else { return nil }
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            let names = subcommands.map { $0._commandName }
            guard let index = names.firstIndex(of: word) else {
                if word == "help" { return nil }
                let near = names.map { ($0, distance(word, $0)) }.filter { $0.1 <= max(2, word.count / 3) }.min { $0.1 < $1.1 }
                return "unknown command '\(word)' for `\(path.joined(separator: " "))`"
                    + (near.map { "; did you mean '\($0.0)'?" } ?? "; it has: \(names.joined(separator: ", "))")
                    + " (see `\(path.joined(separator: " ")) --help`)"
            }
            command = subcommands[index]
            path.append(word)
        }
        return nil
    }

    /// Edit distance with a swap of two neighbouring letters counted as one edit
    /// (optimal string alignment), for names a few letters long.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
