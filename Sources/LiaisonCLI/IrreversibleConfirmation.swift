import Foundation
import LiaisonCore

/// Asks the operator to confirm a step that cannot be undone, unless `--yes` was
/// given: they type `word` on the terminal. Without a terminal to ask on, the step
/// needs `--yes`; anything else typed cancels it before anything happens. The
/// prompt goes to stderr.
enum IrreversibleConfirmation {
    /// - Parameters:
    ///   - warning: what the step does for good, shown before the prompt.
    ///   - refusal: what is irreversible, for the error when there is no terminal.
    ///   - word: what the operator types to go on.
    ///   - nothingDone: the error's wording when not confirmed ("nothing was revoked").
    static func require(yes: Bool, warning: String, refusal: String, word: String, nothingDone: String) throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CoreError(.invalidArgument, "\(refusal) is irreversible: pass --yes to confirm (no terminal to ask on)")
        }
        // On stderr, so that `--json` output on stdout stays one document.
        FileHandle.standardError.write(Data("\(warning) Type \"\(word)\" to confirm: ".utf8))
        guard let answer = readLine() else {
            // End of input: end the prompt's line before the error.
            FileHandle.standardError.write(Data("\n".utf8))
            throw CoreError(.invalidArgument, "not confirmed; \(nothingDone)")
        }
        guard answer.trimmingCharacters(in: .whitespaces) == word else {
            throw CoreError(.invalidArgument, "not confirmed; \(nothingDone)")
        }
    }
}
