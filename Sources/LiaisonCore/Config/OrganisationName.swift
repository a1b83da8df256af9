import Foundation

/// The organisation a node or peer belongs to (`[node] organisation`, a peer's
/// `organisation`). Forwarding uses it: TLP:AMBER may be shared onward only with
/// peers of this node's own organisation.
public enum OrganisationName {
    /// Longest name in characters.
    public static let maximumLength = 64

    /// The name with surrounding spaces removed, or ``CoreError/Code/invalidArgument``
    /// unless it is 1–64 ASCII letters, digits, spaces or `.,&'()+-_/`. Case is kept
    /// for people; comparisons ignore it (``same(_:_:)``).
    public static func validate(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        let punctuation = Set(" .,&'()+-_/".unicodeScalars)
        guard !name.isEmpty, name.count <= maximumLength,
              name.unicodeScalars.allSatisfy({ $0.isASCII && (Character($0).isLetter || Character($0).isNumber || punctuation.contains($0)) })
        else {
            throw CoreError(.invalidArgument, "organisation \"\(raw.prefix(70))\" must be 1–\(maximumLength) ASCII letters, digits, spaces or .,&'()+-_/")
        }
        return name
    }

    /// Whether two organisations are the same: both set and equal, ignoring case.
    /// An unset organisation matches nothing, not even another unset one.
    public static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return false }
        return a.lowercased() == b.lowercased()
    }
}
