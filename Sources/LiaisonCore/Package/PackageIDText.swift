/// A package id as an operator types it: whole (32 hexadecimal digits), or
/// shortened as the audit table prints it, to its first ``minimumPrefix`` or more
/// digits, which the node's store resolves to the one package of its own that starts so.
public enum PackageIDText {
    /// The fewest hex digits of a shortened id.
    public static let minimumPrefix = 8

    /// What the text stands for.
    public enum Form: Equatable, Sendable {
        /// A whole id.
        case whole(PackageID)
        /// The start of an id, in lower case.
        case prefix(String)
    }

    /// Reads `text`; throws ``CoreError/Code/invalidArgument`` for anything that is
    /// neither a whole id nor a long enough start of one.
    public static func parse(_ text: String) throws -> Form {
        let digits = PackageFormat.packageIDByteCount * 2
        if text.count == digits { return .whole(try PackageID(parsing: text.lowercased())) }
        guard text.count >= minimumPrefix, text.count < digits, text.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            throw CoreError(.invalidArgument, "a package id is \(digits) hexadecimal characters, or its first \(minimumPrefix) or more; got \"\(text.prefix(40))\"")
        }
        return .prefix(text.lowercased())
    }
}
