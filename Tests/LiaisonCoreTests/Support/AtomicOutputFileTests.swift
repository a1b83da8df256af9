import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite("AtomicOutputFile")
struct AtomicOutputFileTests {
    @Test("a committed file appears whole, mode 0600, and no temporary file is left")
    func commitPlacesTheFile() throws {
        let directory = TemporaryDirectory()
        let file = try AtomicOutputFile(path: directory.file("out"))
        try write([1, 2, 3], to: file)
        #expect(directory.entries().count == 1 && directory.read("out") == nil, "only the temporary file exists before commit")
        try file.commit()
        #expect(directory.entries() == ["out"])
        #expect(directory.read("out") == [1, 2, 3])
        let mode = try FileManager.default.attributesOfItem(atPath: directory.file("out"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("an existing file, or a symbolic link pointing nowhere, is refused before anything is written")
    func existingPathIsRefusedUpFront() throws {
        let directory = TemporaryDirectory()
        directory.write("taken", [9])
        try FileManager.default.createSymbolicLink(atPath: directory.file("dangling"), withDestinationPath: directory.file("nowhere"))
        for name in ["taken", "dangling"] {
            let error = try #require(throws: CoreError.self) { _ = try AtomicOutputFile(path: directory.file(name)) }
            #expect(error.code == .invalidArgument && error.message.contains("already exists"), "\(error)")
        }
        #expect(directory.entries() == ["dangling", "taken"], "no temporary file was made")
        #expect(directory.read("taken") == [9] && directory.read("nowhere") == nil)
    }

    @Test("a file that appears at the path while writing is kept, and the commit fails without a trace")
    func commitNeverReplaces() throws {
        let directory = TemporaryDirectory()
        let file = try AtomicOutputFile(path: directory.file("out"))
        try write([1, 2, 3], to: file)
        directory.write("out", [7, 7])
        let error = try #require(throws: CoreError.self) { try file.commit() }
        #expect(error.code == .invalidArgument && error.message.contains("already exists"), "\(error)")
        #expect(directory.entries() == ["out"], "the temporary file is gone")
        #expect(directory.read("out") == [7, 7])
    }

    @Test("a symbolic link that appears at the path is neither followed nor replaced")
    func commitNeverFollowsALink() throws {
        let directory = TemporaryDirectory()
        let file = try AtomicOutputFile(path: directory.file("out"))
        try write([1, 2, 3], to: file)
        try FileManager.default.createSymbolicLink(atPath: directory.file("out"), withDestinationPath: directory.file("target"))
        #expect(throws: CoreError.self) { try file.commit() }
        #expect(directory.entries() == ["out"])
        #expect(directory.read("target") == nil, "nothing was written through the link")
    }

    @Test("an abandoned writer leaves nothing; overwriting replaces an existing file")
    func abandonAndOverwrite() throws {
        let directory = TemporaryDirectory()
        do {
            let file = try AtomicOutputFile(path: directory.file("out"))
            try write([1], to: file)
        }
        #expect(directory.entries().isEmpty)
        directory.write("out", [7, 7])
        try AtomicOutputFile.write([4, 5], to: directory.file("out"), mode: 0o644)
        #expect(directory.entries() == ["out"] && directory.read("out") == [4, 5])
    }

    @Test("a directory that does not exist fails when the writer is made, not at commit")
    func missingDirectoryFailsUpFront() throws {
        let directory = TemporaryDirectory()
        let error = try #require(throws: CoreError.self) { _ = try AtomicOutputFile(path: directory.file("missing/out")) }
        #expect(error.code == .inputUnreadable && error.message.contains("the directory \(directory.file("missing")) does not exist"), "\(error)")
    }

    private func write(_ bytes: [UInt8], to file: AtomicOutputFile) throws {
        try bytes.withUnsafeBytes { try file.write($0) }
    }
}
