import Foundation
import LiaisonAudit
import LiaisonCrypto
import LiaisonTestSupport
import Testing

@Suite("AuditBundle: export directory")
struct AuditBundleTests {
    /// Writes an honest bundle of `log` with checkpoints at `sizes` into `directory`.
    @discardableResult
    static func write(_ log: AuditLogFixture, to directory: String, sizes: [Int] = [4, 8, 12]) throws -> AuditBundleManifest {
        let writer = try AuditBundleWriter(directory: directory, logKey: log.logKey, witnesses: log.witnessKeys)
        for leaf in log.leaves { try writer.appendLeaf(leaf) }
        for size in sizes { try writer.writeCheckpoint(log.checkpoint(size: size)) }
        return try writer.finish(node: "node-a", fingerprint: "b3f1c0de", exportedAt: 1_760_000_000)
    }

    @Test("writer → reader → verify round trip")
    func roundTrip() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("bundle")
        let manifest = try Self.write(log, to: bundle)
        #expect(manifest.entries == 12 && manifest.origin == AuditLogFixture.origin)

        let reader = AuditBundleReader(directory: bundle)
        #expect(try reader.logKey() == log.logKey)
        #expect(try reader.witnessKeys() == log.witnessKeys)
        #expect(try reader.manifest() == manifest)
        #expect(try reader.checkpointFileNames() == [4, 8, 12].map(AuditBundle.checkpointFileName(size:)))
        #expect(try reader.checkpoint(named: AuditBundle.checkpointFileName(size: 8)) == log.checkpoint(size: 8).bytes)
        var leaves: [[UInt8]] = []
        let count = try reader.forEachLeaf { index, leaf in
            #expect(index == leaves.count)
            leaves.append(Array(leaf))
        }
        #expect(count == 12)
        #expect(leaves == log.leaves)

        let report = try AuditBundle.verify(
            directory: bundle, trustedLogKey: log.logKey, trustedWitnesses: log.witnessKeys, requiredWitnesses: 2
        )
        #expect(report.isValid, "\(report)")
        #expect(report.entries == 12 && report.checkpointsVerified == 3)
        #expect(report.logKeySource == .provided && report.witnessKeySource == .provided)
    }

    @Test("the layout is as documented: names, modes, one leaf per line, manifest last")
    func layout() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("bundle")
        try Self.write(log, to: bundle)
        let files = try FileManager.default.contentsOfDirectory(atPath: bundle).sorted()
        #expect(files == ["checkpoints", "leaves.jsonl", "log.vkey", "manifest.json", "witnesses.vkey"])
        #expect(try String(contentsOfFile: bundle + "/log.vkey", encoding: .utf8) == log.logKey.description + "\n")
        #expect(try String(contentsOfFile: bundle + "/witnesses.vkey", encoding: .utf8) == log.witnessKeys.map { $0.description + "\n" }.joined())
        let leaves = try Data(contentsOf: URL(fileURLWithPath: bundle + "/leaves.jsonl"))
        #expect(Array(leaves) == log.leaves.flatMap { $0 + [0x0A] })
        #expect(FileManager.default.fileExists(atPath: bundle + "/checkpoints/00000000000000000012.checkpoint"))
        let manifest = try String(contentsOfFile: bundle + "/manifest.json", encoding: .utf8)
        #expect(manifest == #"{"format":"liaison-audit-bundle/v1","origin":"liaison.example/node-a/audit","node":"node-a","fingerprint":"b3f1c0de","entries":12,"exported":"2025-10-09T08:53:20Z"}"# + "\n")
        for file in ["leaves.jsonl", "log.vkey", "witnesses.vkey", "manifest.json", "checkpoints/00000000000000000004.checkpoint"] {
            let mode = try FileManager.default.attributesOfItem(atPath: bundle + "/" + file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): the bundle is the exporter's to hand out")
        }
        for directory in ["", "/checkpoints"] {
            #expect(try FileManager.default.attributesOfItem(atPath: bundle + directory)[.posixPermissions] as? Int == 0o700)
        }
    }

    @Test("without trusted keys the bundle's own keys are used and the report says so")
    func keysFromBundle() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        try Self.write(log, to: temp.path + "/b")
        let report = try AuditBundle.verify(directory: temp.path + "/b", trustedLogKey: nil, requiredWitnesses: 2)
        #expect(report.isValid, "\(report)")
        #expect(report.logKeySource == .bundle && report.witnessKeySource == .bundle)
        #expect(report.description.contains("read from the bundle itself"))
    }

    @Test("the writer refuses a non-empty directory and accepts an empty one")
    func refusesOverwrite() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        temp.write("old.txt", Array("keep me".utf8))
        let error = #expect(throws: AuditError.self) {
            try AuditBundleWriter(directory: temp.path, logKey: log.logKey)
        }
        #expect(error?.code == .bundleExists)
        #expect(temp.read("old.txt") == Array("keep me".utf8))

        let empty = temp.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        try Self.write(log, to: empty)
        #expect(try AuditBundle.verify(directory: empty, trustedLogKey: log.logKey, requiredWitnesses: 2).isValid)
    }

    @Test("the writer refuses leaves that cannot be one line and checkpoints of another log")
    func writerRefuses() throws {
        let log = try AuditLogFixture()
        let other = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let writer = try AuditBundleWriter(directory: temp.file("b"), logKey: log.logKey)
        for leaf in [[], Array("a\nb".utf8), [UInt8](repeating: 0x61, count: AuditEvent.maximumLeafByteCount + 1)] {
            let error = #expect(throws: AuditError.self) { try writer.appendLeaf(leaf) }
            #expect(error?.code == .malformedLeaf)
        }
        let sameOriginOtherKey = try other.checkpoint(size: 1)
        try writer.writeCheckpoint(sameOriginOtherKey)  // the writer does not verify; verify will
        let duplicate = #expect(throws: AuditError.self) { try writer.writeCheckpoint(log.checkpoint(size: 1)) }
        #expect(duplicate?.code == .bundleIO)
        let foreign = try NoteSigner(name: "liaison.example/other/audit", secretKey: LogSecretKey())
        let checkpoint = try Checkpoint(origin: "liaison.example/other/audit", size: 0, rootHash: MerkleHasher.emptyRoot)
        let origin = #expect(throws: AuditError.self) { try writer.writeCheckpoint(foreign.sign(checkpoint)) }
        #expect(origin?.code == .originMismatch)
        let cosignerAsLog = #expect(throws: AuditError.self) {
            try AuditBundleWriter(directory: temp.file("c"), logKey: log.witnessKeys[0])
        }
        #expect(cosignerAsLog?.code == .unsupportedSignatureType)
    }

    @Test("an export that was not finished has no leaves.jsonl and does not verify")
    func unfinished() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        do {
            let writer = try AuditBundleWriter(directory: bundle, logKey: log.logKey, witnesses: log.witnessKeys)
            for leaf in log.leaves { try writer.appendLeaf(leaf) }
            try writer.writeCheckpoint(log.checkpoint(size: 12))
        }
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey)
        #expect(!report.isValid)
        #expect(report.codes.first == .bundleInvalid)
        #expect(report.failures.first?.message.contains("leaves.jsonl") == true)
        #expect(report.codes.contains(.truncated))
    }

    @Test("a corrupt leaves.jsonl: a changed byte is named by entry and checkpoint range")
    func corruptLeaves() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try Self.write(log, to: bundle)
        let path = bundle + "/leaves.jsonl"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let lineStart = log.leaves.prefix(6).reduce(0) { $0 + $1.count + 1 }
        bytes[lineStart + 3] = UInt8(ascii: "w")  // {"v" → {"w" in entry 6
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, trustedWitnesses: log.witnessKeys, requiredWitnesses: 2)
        #expect(report.codes == [.entryMalformed, .rootMismatch, .rootMismatch])
        #expect(report.failures[0].entry == 6)
        #expect(report.failures[1].checkpoint == "checkpoints/00000000000000000008.checkpoint")
        #expect(report.failures[1].message.contains("an entry in 4..<8"))
    }

    @Test("entries appended after the newest checkpoint fail as signed by nobody, unless the auditor allows an unsigned end")
    func unsignedEntries() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try Self.write(log, to: bundle)
        #expect(try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey).isValid)
        // A well-formed entry (a copy of the last) appended by someone without the log key.
        let handle = try #require(FileHandle(forWritingAtPath: bundle + "/leaves.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data(log.leaves[11] + [UInt8(ascii: "\n")]))
        try handle.close()

        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey)
        #expect(!report.isValid)
        #expect(report.codes == [.unsignedEntries])
        #expect(report.failures[0].entry == 12 && report.failures[0].checkpointSize == 12)
        #expect(report.failures[0].message.contains("12..<13"))

        let allowed = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, allowUnsignedEntries: true)
        #expect(allowed.isValid && allowed.uncheckpointedEntries == 1)
        #expect(allowed.description.contains("entries not yet covered by a checkpoint: 1 (12..<13)"))
    }

    @Test("a leaves.jsonl cut short: the missing final newline and the truncation are named")
    func cutShort() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try Self.write(log, to: bundle)
        let path = bundle + "/leaves.jsonl"
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(bytes.dropLast(40)).write(to: URL(fileURLWithPath: path))
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2)
        #expect(report.codes == [.missingFinalNewline, .entryMalformed, .rootMismatch])
        #expect(report.failures[0].entry == 11 && report.failures[1].entry == 11)

        // Losing only the final newline: the tree still matches, the file is still flagged.
        try Data(bytes.dropLast()).write(to: URL(fileURLWithPath: path))
        #expect(try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2).codes == [.missingFinalNewline])
    }

    @Test("a line longer than any leaf is named, and the tree is still computed over it")
    func oversizedLine() throws {
        let log = try AuditLogFixture()
        var leaves = log.leaves
        leaves[9] = [UInt8](repeating: UInt8(ascii: "x"), count: AuditEvent.maximumLeafByteCount + 5000)
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try FileManager.default.createDirectory(atPath: bundle + "/checkpoints", withIntermediateDirectories: true)
        try Data(leaves.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: bundle + "/leaves.jsonl"))
        try Data((log.logKey.description + "\n").utf8).write(to: URL(fileURLWithPath: bundle + "/log.vkey"))
        try Data().write(to: URL(fileURLWithPath: bundle + "/witnesses.vkey"))
        for size in [8, 12] {
            try Data(log.checkpoint(size: size, of: leaves, cosigners: []).bytes)
                .write(to: URL(fileURLWithPath: bundle + "/checkpoints/" + AuditBundle.checkpointFileName(size: size)))
        }
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey)
        #expect(report.codes == [.entryTooLong], "\(report)")
        #expect(report.failures[0].entry == 9)
        #expect(report.checkpointsVerified == 2)

        let strict = #expect(throws: AuditError.self) { try AuditBundleReader(directory: bundle).forEachLeaf { _, _ in } }
        #expect(strict?.code == .malformedBundle)
    }

    @Test("thousands of leaves stream across buffer boundaries intact")
    func streaming() throws {
        let log = try AuditLogFixture(entryCount: 5000)  // ~1.5 MB, more than the 1 MiB buffer
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try Self.write(log, to: bundle, sizes: [1, 4096, 5000])
        var count = 0
        try AuditBundleReader(directory: bundle).forEachLeaf { index, leaf in
            if !leaf.elementsEqual(log.leaves[index]) { Issue.record("entry \(index) differs") }
            count += 1
        }
        #expect(count == 5000)
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2)
        #expect(report.isValid, "\(report)")
        #expect(report.checkpointsVerified == 3)
    }

    @Test("a log key other than the trusted one is named")
    func logKeyMismatch() throws {
        let log = try AuditLogFixture()
        let impostor = try AuditLogFixture()
        let temp = TemporaryDirectory()
        try Self.write(impostor, to: temp.file("b"))
        let report = try AuditBundle.verify(directory: temp.file("b"), trustedLogKey: log.logKey)
        #expect(report.codes.first == .logKeyMismatch)
        #expect(report.failures(.checkpointInvalid).count == 3)
        #expect(report.checkpointsVerified == 0)
    }

    @Test("a renamed or oddly named checkpoint file is named; its contents are still checked")
    func checkpointNames() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try Self.write(log, to: bundle)
        let directory = bundle + "/checkpoints/"
        try FileManager.default.moveItem(atPath: directory + AuditBundle.checkpointFileName(size: 8), toPath: directory + AuditBundle.checkpointFileName(size: 9))
        try FileManager.default.moveItem(atPath: directory + AuditBundle.checkpointFileName(size: 4), toPath: directory + "four.checkpoint")
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2)
        #expect(report.codes == [.bundleInvalid, .bundleInvalid], "\(report)")
        #expect(report.failures.contains { $0.message.contains("holds a checkpoint of size 8, not 9") })
        #expect(report.failures.contains { $0.checkpoint == "checkpoints/four.checkpoint" })
        #expect(report.checkpointsVerified == 3)
    }

    @Test("a bundle without log.vkey and no trusted key cannot be verified, and says so")
    func noLogKey() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try Self.write(log, to: bundle)
        try FileManager.default.removeItem(atPath: bundle + "/log.vkey")
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: nil)
        #expect(!report.isValid && report.logKey == nil)
        #expect(report.codes == [.bundleInvalid, .bundleInvalid])
        // With a trusted key the missing file is only reported.
        let trusted = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2)
        #expect(trusted.codes == [.bundleInvalid])
        #expect(trusted.checkpointsVerified == 3)
    }

    @Test("checkpoint file names carry the size in 20 digits")
    func fileNames() {
        #expect(AuditBundle.checkpointFileName(size: 0) == "00000000000000000000.checkpoint")
        #expect(AuditBundle.checkpointFileName(size: Int.max) == "09223372036854775807.checkpoint")
        #expect(AuditBundle.checkpointSize(fileName: "00000000000000001024.checkpoint") == 1024)
        for name in ["1024.checkpoint", "0000000000000000102a.checkpoint", "00000000000000001024.note", "99999999999999999999.checkpoint"] {
            #expect(AuditBundle.checkpointSize(fileName: name) == nil, "\(name)")
        }
    }

    @Test("manifests read back leniently and timestamps are RFC 3339 UTC")
    func manifest() throws {
        let written = AuditBundleManifest(origin: "o", node: "n \"quoted\"\n", fingerprint: "f", entries: 3, exported: "2025-01-01T00:00:00Z")
        #expect(try AuditBundleManifest(json: written.json) == written)
        let spaced = Array(#"{ "entries" : 3 , "extra": "x", "format":"liaison-audit-bundle/v1","origin":"o","node":"n \"quoted\"\n","fingerprint":"f","exported":"2025-01-01T00:00:00Z" }"#.utf8)
        #expect(try AuditBundleManifest(json: spaced) == written)
        let error = #expect(throws: AuditError.self) { try AuditBundleManifest(json: Array(#"{"format":"x"}"#.utf8)) }
        #expect(error?.code == .malformedBundle)
        #expect(AuditBundleManifest.timestamp(unixSeconds: 0) == "1970-01-01T00:00:00Z")
        #expect(AuditBundleManifest.timestamp(unixSeconds: -1) == "1969-12-31T23:59:59Z")
        #expect(AuditBundleManifest.timestamp(unixSeconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(AuditBundleManifest.timestamp(unixSeconds: 4_102_444_799) == "2099-12-31T23:59:59Z")
    }
}

@Suite("AuditBundle: hostile files")
struct AuditBundleHostileFileTests {
    @Test("a FIFO in place of leaves.jsonl is refused instead of blocking")
    func fifo() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try AuditBundleTests.write(log, to: bundle)
        try FileManager.default.removeItem(atPath: bundle + "/leaves.jsonl")
        #expect(mkfifo(bundle + "/leaves.jsonl", 0o644) == 0)
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2)
        #expect(report.codes.first == .bundleInvalid)
        #expect(report.failures.first?.message.contains("not a regular file") == true)
    }

    @Test("a file name with terminal escapes is reported with them made harmless")
    func escapesInNames() throws {
        let log = try AuditLogFixture()
        let temp = TemporaryDirectory()
        let bundle = temp.file("b")
        try AuditBundleTests.write(log, to: bundle)
        let hostile = "\u{1B}]0;owned\u{07}\u{1B}[2J.checkpoint"
        try FileManager.default.copyItem(atPath: bundle + "/checkpoints/00000000000000000004.checkpoint", toPath: bundle + "/checkpoints/" + hostile)
        let report = try AuditBundle.verify(directory: bundle, trustedLogKey: log.logKey, requiredWitnesses: 2)
        let named = report.failures.filter { $0.message.contains("owned") }
        #expect(!named.isEmpty, "\(report.failures)")
        #expect(report.failures.allSatisfy { !$0.message.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 } }
                    && report.failures.allSatisfy { !($0.checkpoint ?? "").unicodeScalars.contains { $0.value == 0x1B } },
                "\(report.failures)")
    }
}
