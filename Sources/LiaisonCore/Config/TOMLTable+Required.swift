extension TOMLTable {
    /// The string under `key`, or an error naming the missing key.
    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else {
            throw TOMLError(line: origin?.line ?? 0, column: origin?.column ?? 0, reason: "missing key \"\(keyPath(key))\"")
        }
        return value
    }

    /// Wraps a conversion error (bad key text, bad address…) with this key's position.
    func checked<T>(_ key: String, _ convert: () throws -> T) throws -> T {
        do {
            return try convert()
        } catch let error as CoreError {
            throw self.error(forKey: key, "\(keyPath(key)): \(error.message)")
        }
    }
}

extension CoreError {
    /// A configuration error with the file name and TOML position.
    static func config(_ path: String, _ error: Error) -> CoreError {
        if let toml = error as? TOMLError {
            return CoreError(.malformedConfig, "\(path): \(toml.description)")
        }
        if let core = error as? CoreError { return CoreError(.malformedConfig, "\(path): \(core.message)") }
        return CoreError(.malformedConfig, "\(path): \(error)")
    }
}
