/// A value in the TOML subset Liaison reads and writes.
///
/// Only the types node configuration needs are modelled. Floats, dates and
/// inline tables are deliberately absent: the parser rejects them, so a
/// configuration file can never hold a value that a loader silently ignores.
/// An array of tables (`[[peer]]`) is an `.array` whose elements are all
/// `.table`.
package enum TOMLValue: Equatable, Sendable {
    /// A basic (`"..."`) or literal (`'...'`) string, escapes already decoded.
    case string(String)
    /// A decimal integer within the signed 64-bit range.
    case integer(Int64)
    /// `true` or `false`.
    case boolean(Bool)
    /// An inline array, or an array of tables when every element is `.table`.
    case array([TOMLValue])
    /// A table introduced by a `[header]` (or built in code).
    case table(TOMLTable)

    /// A short English noun phrase for the value's type ("a string",
    /// "an integer"), used in type-mismatch error messages.
    package var typeDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// Literal conformances let tests and config writers build documents tersely,
/// e.g. `let t: TOMLTable = ["name": "alpha", "port": 7401]`.
extension TOMLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    /// Creates a `.string` from a string literal.
    package init(stringLiteral value: String) { self = .string(value) }
    /// Creates an `.integer` from an integer literal.
    package init(integerLiteral value: Int64) { self = .integer(value) }
    /// Creates a `.boolean` from `true` / `false`.
    package init(booleanLiteral value: Bool) { self = .boolean(value) }
    /// Creates an `.array` from an array literal.
    package init(arrayLiteral elements: TOMLValue...) { self = .array(elements) }
}

/// A 1-based line and column in a TOML document.
///
/// Columns count Unicode scalars, not bytes, so they match what an editor
/// shows for lines containing non-ASCII text.
package struct TOMLPosition: Equatable, Hashable, Sendable {
    /// 1-based line number.
    package var line: Int
    /// 1-based column, in Unicode scalars from the start of the line.
    package var column: Int

    /// Creates a position.
    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// A TOML table: string keys mapped to values, remembering insertion order.
///
/// Order is kept so the writer reproduces a file the way it was built, but it
/// is not part of equality: TOML tables are unordered, and the writer
/// reorders keys (plain values before sub-tables) when rendering.
///
/// Tables produced by `TOMLParser` also remember where each key was defined,
/// so config loaders can report errors against the user's file. That
/// metadata is likewise excluded from equality.
package struct TOMLTable: Equatable, Sendable {
    /// Keys in insertion order.
    package private(set) var keys: [String] = []
    /// Backing storage; `keys` holds the order.
    private var values: [String: TOMLValue] = [:]
    /// Source position of each key's definition, when parsed from text.
    private var keyPositions: [String: TOMLPosition] = [:]

    /// Where this table was defined in the source (its `[header]`, or the
    /// header that implicitly created it); `nil` for the root table or a
    /// table built in code.
    package var origin: TOMLPosition?

    /// The key path from the document root to this table (e.g. `policy` or
    /// `peer[1]`), filled in by the `table(_:)` and `tableArray(_:)`
    /// accessors so errors about nested keys name the full path. Empty for
    /// the root. Used only in messages.
    package private(set) var path: String = ""

    /// Creates an empty table.
    package init() {}

    /// Creates a table from key/value pairs in order. A repeated key keeps
    /// its first position in the order and its last value.
    package init(_ pairs: [(String, TOMLValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of keys.
    package var count: Int { keys.count }

    /// Whether the table has no keys.
    package var isEmpty: Bool { keys.isEmpty }

    /// Key/value pairs in insertion order.
    package var entries: [(key: String, value: TOMLValue)] {
        keys.compactMap { key in values[key].map { (key, $0) } }
    }

    /// The value stored under `key`. Assigning `nil` removes the key;
    /// assigning to an existing key replaces the value in place.
    package subscript(key: String) -> TOMLValue? {
        get { values[key] }
        set {
            // A value set in code no longer corresponds to the source text.
            keyPositions[key] = nil
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil {
                    keys.append(key)
                }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Where `key` was defined in the parsed document, if known.
    package func position(of key: String) -> TOMLPosition? {
        keyPositions[key]
    }

    /// Records the source position of `key`; used by the parser.
    mutating func setPosition(_ position: TOMLPosition, of key: String) {
        keyPositions[key] = position
    }

    /// Equality compares contents only: key order, source positions and the
    /// diagnostic `path` are presentation details.
    package static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        lhs.values == rhs.values
    }
}

extension TOMLTable: ExpressibleByDictionaryLiteral {
    /// Creates a table from a dictionary literal, preserving literal order.
    package init(dictionaryLiteral elements: (String, TOMLValue)...) {
        self.init(elements)
    }
}

// MARK: - Typed accessors for config loaders

extension TOMLTable {
    /// The full path of `key` inside this table, for messages.
    package func keyPath(_ key: String) -> String {
        let rendered = TOMLWriter.renderKey(key)
        return path.isEmpty ? rendered : "\(path).\(rendered)"
    }

    /// An error about `key`, located at the key's definition when known and
    /// otherwise at this table's header. Config loaders use it for semantic
    /// checks (out-of-range values, missing required keys) so every
    /// configuration complaint has the same shape.
    package func error(forKey key: String, _ reason: String) -> TOMLError {
        let location = position(of: key) ?? origin
        return TOMLError(
            line: location?.line ?? 0,
            column: location?.column ?? 0,
            reason: reason
        )
    }

    /// Throws for the first key not in `allowed`. Strict loaders call this so
    /// a misspelt option is an error rather than silently ignored.
    package func rejectUnknownKeys(allowed: Set<String>) throws(TOMLError) {
        for key in keys where !allowed.contains(key) {
            throw error(forKey: key, "unknown key \"\(keyPath(key))\"")
        }
    }

    /// The string under `key`; `nil` if absent; throws if it is another type.
    package func string(_ key: String) throws(TOMLError) -> String? {
        guard let value = values[key] else { return nil }
        guard case .string(let s) = value else { throw mismatch(key, "a string", value) }
        return s
    }

    /// The integer under `key`; `nil` if absent; throws if it is another type.
    package func integer(_ key: String) throws(TOMLError) -> Int64? {
        guard let value = values[key] else { return nil }
        guard case .integer(let i) = value else { throw mismatch(key, "an integer", value) }
        return i
    }

    /// The boolean under `key`; `nil` if absent; throws if it is another type.
    package func boolean(_ key: String) throws(TOMLError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard case .boolean(let b) = value else { throw mismatch(key, "a boolean", value) }
        return b
    }

    /// The array under `key` (elements of any type); `nil` if absent.
    package func array(_ key: String) throws(TOMLError) -> [TOMLValue]? {
        guard let value = values[key] else { return nil }
        guard case .array(let a) = value else { throw mismatch(key, "an array", value) }
        return a
    }

    /// The array of strings under `key`; `nil` if absent; throws if it is not
    /// an array or any element is not a string.
    package func stringArray(_ key: String) throws(TOMLError) -> [String]? {
        guard let elements = try array(key) else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .string(let s) = element else {
                throw error(
                    forKey: key,
                    "key \"\(keyPath(key))\" must be an array of strings, "
                        + "but element \(index) is \(element.typeDescription)"
                )
            }
            result.append(s)
        }
        return result
    }

    /// The sub-table under `key` (a `[key]` section); `nil` if absent; throws
    /// if it is another type. The result's `path` names it for later errors.
    package func table(_ key: String) throws(TOMLError) -> TOMLTable? {
        guard let value = values[key] else { return nil }
        guard case .table(var t) = value else { throw mismatch(key, "a table", value) }
        t.path = keyPath(key)
        return t
    }

    /// The array of tables under `key` (`[[key]]` sections); `nil` if absent.
    /// An empty inline array (`key = []`) is accepted as zero tables. Each
    /// result's `path` is `key[i]` (0-based) for later errors.
    package func tableArray(_ key: String) throws(TOMLError) -> [TOMLTable]? {
        guard let value = values[key] else { return nil }
        guard case .array(let elements) = value else {
            throw mismatch(key, "an array of tables", value)
        }
        var result: [TOMLTable] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .table(var t) = element else {
                throw error(
                    forKey: key,
                    "key \"\(keyPath(key))\" must be an array of tables, "
                        + "but element \(index) is \(element.typeDescription)"
                )
            }
            t.path = "\(keyPath(key))[\(index)]"
            result.append(t)
        }
        return result
    }

    private func mismatch(_ key: String, _ expected: String, _ found: TOMLValue) -> TOMLError {
        error(
            forKey: key,
            "key \"\(keyPath(key))\" must be \(expected), but it is \(found.typeDescription)"
        )
    }
}
