import Foundation
import LiaisonCore
import NIOConcurrencyHelpers

/// The spool's partial packages: one file per package being received, named by
/// its sender and id, kept when a transfer is interrupted so that the sender's
/// next offer resumes it. What they hold counts against the sender's
/// `bytes-per-day` until they are stored or swept, and a partial untouched for
/// ``staleAfterSeconds`` is swept: a transfer abandoned for good cannot hold the
/// disk. A transfer abandoned before ``smallestKept`` bytes arrived leaves no
/// partial, and a sender keeps at most ``maximumPerSender`` (its oldest go first):
/// offers never followed by data cannot fill the spool with files.
struct SpoolFiles {
    /// The spool directory.
    let directory: String

    /// A partial nobody wrote for this long is removed (a transfer resumed after
    /// that starts over).
    static let staleAfterSeconds: Int64 = 86_400

    /// An abandoned transfer with fewer bytes than this leaves no partial: resuming
    /// it would save the sender less than one data message (64 KiB), so its file
    /// is removed rather than kept for a day. One that got further is kept, and
    /// resumed from where its bytes end.
    static let smallestKept: UInt64 = 65_536

    /// Partials kept per sender, at most. Making room for another (``makeRoom(for:claims:)``)
    /// removes the sender's least recently written one: a sender's own abandoned
    /// transfers are the only ones it can push out.
    static let maximumPerSender = 16

    /// Whether an abandoned transfer that wrote `bytes` is worth keeping for a resume.
    static func worthKeeping(_ bytes: UInt64) -> Bool { bytes >= smallestKept }

    /// The file of package `id` from `sender`, named by the fingerprint that names
    /// the sender for life, so a key rotation neither orphans it nor loses its resume.
    func path(id: PackageID, from sender: PeerRecord) -> String {
        directory + "/" + Self.senderPrefix(sender) + "\(id).partial"
    }

    /// Bytes in `sender`'s partials, leaving out the packages in `excluded` (those
    /// being received, counted by their claims, and the one on offer).
    func bytes(from sender: PeerRecord, excluding excluded: Set<PackageID>) -> UInt64 {
        partials(of: sender).filter { !excluded.contains($0.id) }.reduce(0) { $0.saturatingAdd($1.bytes) }
    }

    /// One of a sender's partials: its file name, package, size and last-written
    /// time (nanoseconds).
    struct Partial {
        let name: String
        let id: PackageID
        let bytes: UInt64
        let modified: Int64
    }

    /// Makes room for one more partial of `sender`: while it has ``maximumPerSender``
    /// or more, removes the least recently written of those no connection is
    /// receiving. Returns the partials it removed (those gone since it listed them
    /// count as room made, and are not among them), or nil if no room can be made
    /// (all of them are being received, or were written to meanwhile).
    ///
    /// The directory is listed with no lock held; only the removals happen under
    /// the claims' lock (`claims`), so no transfer can resume a partial between
    /// the look at its claim and its removal, and the claims every offer and push
    /// takes never wait on a directory listing. The caller serialises the making
    /// of new partials (``DaemonContext/newPartials``), so concurrent offers cannot
    /// take a sender past its number of partials.
    func makeRoom(for sender: PeerRecord, claims: NIOLockedValueBox<[InboundClaim: UInt64]>) -> [Partial]? {
        let kept = partials(of: sender)
        let excess = kept.count - Self.maximumPerSender + 1
        guard excess > 0 else { return [] }
        let oldestFirst = kept.sorted { $0.modified < $1.modified }
        let claimant = sender.logFingerprint.description
        return claims.withLockedValue { claims in
            let receiving = Set(claims.keys.filter { $0.sender == claimant }.map(\.id))
            var removed: [Partial] = [], gone = 0
            for partial in oldestFirst where removed.count + gone < excess && !receiving.contains(partial.id) {
                // Looked at again now: one gone since the listing (stored, or swept) makes
                // room by itself; one written since (resumed meanwhile) is not the oldest.
                var info = stat()
                guard lstat(directory + "/" + partial.name, &info) == 0 else {
                    gone += 1
                    continue
                }
                guard Self.nanoseconds(info.st_mtim) == partial.modified else { continue }
                if unlink(directory + "/" + partial.name) == 0 { removed.append(partial) } else if errno == ENOENT { gone += 1 }
            }
            return removed.count + gone < excess ? nil : removed
        }
    }

    /// `sender`'s partials.
    private func partials(of sender: PeerRecord) -> [Partial] {
        let prefix = Self.senderPrefix(sender)
        return partials().compactMap { name in
            guard let id = PackageID(fileName: name, prefix: prefix) else { return nil }
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0 else { return nil }
            return Partial(name: name, id: id, bytes: UInt64(max(0, info.st_size)), modified: Self.nanoseconds(info.st_mtim))
        }
    }

    private static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// The names of partials untouched for ``staleAfterSeconds`` at `now` (Unix
    /// seconds): candidates for ``remove(_:now:receiving:)``.
    func stale(now: Int64) -> [String] {
        partials().filter { name in
            var info = stat()
            return lstat(directory + "/" + name, &info) == 0 && Int64(info.st_mtim.tv_sec) < now - Self.staleAfterSeconds
        }
    }

    /// Removes those of the partials `names` still untouched for ``staleAfterSeconds``
    /// at `now`, except those of packages in `receiving`. Returns how many files and
    /// bytes went. The caller holds the claims' lock, so no transfer can resume a
    /// partial between this look at the claims and its removal.
    func remove(_ names: [String], now: Int64, receiving: Set<PackageID>) -> (files: Int, bytes: UInt64) {
        var removed = (files: 0, bytes: UInt64(0))
        for name in names {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, Int64(info.st_mtim.tv_sec) < now - Self.staleAfterSeconds else { continue }
            if let dash = name.firstIndex(of: "-"), let id = PackageID(fileName: name, prefix: String(name[...dash])), receiving.contains(id) { continue }
            if unlink(path) == 0 {
                removed.files += 1
                removed.bytes += UInt64(max(0, info.st_size))
            }
        }
        return removed
    }

    private func partials() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".partial") }
    }

    /// How the files of `sender`'s packages begin, here and in the inbox: the
    /// fingerprint that names it for life, whole (two senders may use one package
    /// id, so no shorter prefix will do), in hex, and a dash.
    static func senderPrefix(_ sender: PeerRecord) -> String {
        Hex.encode(Array(sender.logFingerprint.bytes)) + "-"
    }
}

private extension PackageID {
    /// The id in a partial's name `<prefix><id>.partial`; nil if it is not one.
    init?(fileName: String, prefix: String) {
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(".partial") else { return nil }
        guard let id = try? PackageID(parsing: String(fileName.dropFirst(prefix.count).dropLast(".partial".count))) else { return nil }
        self = id
    }
}
