import Foundation
import LiaisonCore
import LiaisonCrypto

/// The file work of `liaison backup`: the new directory, copies that are the
/// owner's only and fsynced, and the home's small files read as one consistent set.
enum BackupFiles {
    /// Most bytes of one small file of the home (`keys/peer-rotations.txt` stops at 16 MiB).
    static let smallFileLimit = 32 << 20

    /// Takes `directory` (a resolved path: no symlink left in it) if it is an empty
    /// directory of this user's, or makes it; mode 0700 either way. Returns whether it made it.
    static func prepare(_ directory: String) throws -> Bool {
        var info = stat()
        if lstat(directory, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
                  (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true else {
                throw CoreError(.invalidArgument, "\(directory) exists and is not an empty directory of yours; give a new one (a directory without backup.json is what an interrupted backup leaves: remove it)")
            }
            guard chmod(directory, 0o700) == 0 else { throw CoreError(.io, "cannot make \(directory) private (\(String(cString: strerror(errno))))") }
            return false
        }
        guard mkdir(directory, 0o700) == 0 else {
            throw CoreError(.io, "cannot create \(directory) (\(String(cString: strerror(errno)))); its parent must exist and be writable")
        }
        return true
    }

    /// Removes what a failed backup wrote: `directory` itself if the backup made it,
    /// else its contents.
    static func discard(_ directory: String, made: Bool) {
        if made {
            try? FileManager.default.removeItem(atPath: directory)
        } else {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                try? FileManager.default.removeItem(atPath: directory + "/" + name)
            }
        }
    }

    /// `path` with `.` and `..` resolved and symlinks followed as far as it exists, so
    /// that two names of one place compare equal.
    static func resolved(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = URL(fileURLWithPath: absolute).standardizedFileURL.path
        var rest: [String] = []
        // Bounded by the path's depth: each turn drops a component, and "/" resolves.
        while true {
            if let pointer = realpath(existing, nil) {
                let base = String(cString: pointer)
                free(pointer)
                let whole = ([base == "/" ? "" : base] + rest).joined(separator: "/")
                return whole.isEmpty ? "/" : whole
            }
            guard existing != "/", !existing.isEmpty else { return absolute }
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
    }

    /// Whether `name` is a relative path that stays where it is taken from (no `..`):
    /// what the store names a package file by, and the manifest a file of the backup.
    static func isRelative(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("/") && !name.split(separator: "/").contains("..")
    }

    /// Whether `path` is `directory` or inside it (both resolved).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        let path = resolved(path), directory = resolved(directory)
        return path == directory || path.hasPrefix(directory + "/")
    }

    /// The home's small files (configuration, keyring, every file in keys/, and the
    /// key file wherever in the home it is), as one consistent set: listed and read
    /// again until two readings agree and no key change is half done (a `.next` file
    /// waiting to be renamed). Keyed by their paths relative to the home.
    /// `keyFile` is the key file's path relative to the home, nil when it is kept elsewhere.
    static func readSmallFiles(of home: NodeHome, keyFile: String?) throws -> [String: [UInt8]] {
        /// One reading; nil while a change is under way (a `.next` file waiting to be
        /// renamed, or a file gone between its listing and its reading).
        func reading() throws -> [String: [UInt8]]? {
            let keys: [String]
            do {
                keys = try FileManager.default.contentsOfDirectory(atPath: home.path + "/keys")
            } catch let error as NSError where error.code == NSFileReadNoSuchFileError || error.code == NSFileNoSuchFileError {
                keys = []
            } catch {
                throw CoreError(.io, "cannot list \(home.path)/keys: \((error as NSError).localizedDescription)")
            }
            if keys.contains(where: { $0.hasSuffix(".next") }) { return nil }
            if let keyFile, FileManager.default.fileExists(atPath: home.path + "/" + keyFile + ".next") { return nil }
            // A file being written (AtomicOutputFile's temporary) is not the node's yet;
            // its rename shows as a change between the two readings.
            var relative = ["liaison.toml"] + keys.filter { !$0.contains(".partial-") }.map { "keys/" + $0 } + (keyFile.map { [$0] } ?? [])
            if FileManager.default.fileExists(atPath: home.keyringPath) { relative.append("keyring.toml") }
            var files: [String: [UInt8]] = [:]
            for name in Set(relative) {
                let path = home.path + "/" + name
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    // liaison.toml was read at the start: one gone now is a change under way.
                    return nil
                }
                // Subdirectories of keys/ are not the node's (it writes none).
                if isDirectory.boolValue { continue }
                files[name] = try readSmallFile(path, limit: smallFileLimit)
            }
            return files
        }
        // Bounded: a key change writes its handful of files in well under a second.
        for _ in 0..<50 {
            if let first = try reading(), let second = try reading(), first == second { return first }
            usleep(100_000)
        }
        throw CoreError(.keyChangeNotNow, "the node's configuration or keys kept changing while they were read (a key change under way, or one a crash left half done: start liaisond once to finish it); run the backup again")
    }

    /// Writes `bytes` as the new file `relative` under `directory` (mode 0600,
    /// fsynced), making its directory (0700) if need be.
    static func writeNew(_ bytes: [UInt8], as relative: String, under directory: String) throws {
        let target = directory + "/" + relative
        try makeDirectory((target as NSString).deletingLastPathComponent)
        try SecureFile.writeNew(bytes, to: target)
    }

    /// Copies `source` to the new file `target` (mode 0600), fsynced; returns its
    /// bytes and their SHA-256 (hex), or nil if `source` is gone (removed since it was named).
    static func copy(_ source: String, to target: String, progress: (Int) -> Void) throws -> (bytes: Int64, sha256: String)? {
        let sourceDescriptor = open(source, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard sourceDescriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw CoreError(.io, "cannot read \(source) to back it up (\(String(cString: strerror(errno))))")
        }
        let input = FileHandle(fileDescriptor: sourceDescriptor, closeOnDealloc: false)
        defer { try? input.close() }
        try makeDirectory((target as NSString).deletingLastPathComponent)
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CoreError(.io, "cannot create \(target) (\(String(cString: strerror(errno))))") }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var copied: Int64 = 0
        var hash = SHA256()
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
            chunk.withUnsafeBytes { hash.update($0) }
            copied += Int64(chunk.count)
            progress(chunk.count)
        }
        guard fsync(descriptor) == 0 else { throw CoreError(.io, "cannot make \(target) durable (\(String(cString: strerror(errno))))") }
        return (copied, Hex.encode(hash.finalize()))
    }

    /// The SHA-256 (hex) of the regular file at `path` (not a symlink, a FIFO or a
    /// device, which could block or never end), read a MiB at a time; nil if it is
    /// not one or cannot be read.
    static func sha256(ofFile path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        let input = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var hash = SHA256()
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { chunk.withUnsafeBytes { hash.update($0) } }
        } catch {
            return nil
        }
        return Hex.encode(hash.finalize())
    }

    /// Makes the directories holding `files` (paths relative to `directory`) durable,
    /// from the deepest up, and `directory` itself last.
    static func syncDirectories(holding files: some Sequence<String>, under directory: String) throws {
        var parents = Set<String>()
        for file in files {
            var parent = (file as NSString).deletingLastPathComponent
            while !parent.isEmpty, parents.insert(parent).inserted { parent = (parent as NSString).deletingLastPathComponent }
        }
        for path in parents.sorted(by: { $0.count > $1.count }).map({ directory + "/" + $0 }) + [directory] {
            do { try AtomicOutputFile.syncDirectory(path) } catch { throw CoreError(.io, "cannot make \(path) durable: \(error)") }
        }
    }

    /// Makes `path` and its missing parents, mode 0700.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError(.io, "cannot create \(path): \((error as NSError).localizedDescription)")
        }
    }
}
