extension String {
    /// This text as it may be shown on a terminal: control and format characters
    /// (escape sequences a terminal would obey, line breaks that forge a new line,
    /// marks that reorder the text around them) each shown as `?`.
    ///
    /// For anything that reaches a person's screen from a file, a database or a
    /// peer: an audit entry, a bundle's file name, a message quoting either.
    public var printable: String {
        guard unicodeScalars.contains(where: Self.isUnprintable) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { Self.isUnprintable($0) ? "?" : $0 }))
    }

    private static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
