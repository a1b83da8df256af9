import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

/// The bytes a `SecureBytes` holds (test-only copy out of secure memory).
private func plain(_ bytes: SecureBytes) -> [UInt8] { bytes.withUnsafeBytes { Array($0) } }

// The environment variable itself is not set in-process (setenv while other tests run
// in parallel threads is a data race in glibc); the credential is read from a directory
// given directly (`readCredential(in:)`), as `$CREDENTIALS_DIRECTORY` would name it.
@Suite("Passphrase from a file")
struct PassphraseSourceFileTests {
    let directory = TemporaryDirectory()

    private func passphraseFile(_ contents: [UInt8], mode: mode_t = 0o600) -> String {
        F.writeFile(contents, to: directory.file("passphrase-\(UUID().uuidString)"), mode: mode)
    }

    @Test("trailing newlines are stripped",
          arguments: ["hunter2\n", "hunter2\r\n", "hunter2\n\n", "hunter2\r", "hunter2"])
    func trailingNewlineStripped(contents: String) throws {
        let path = passphraseFile(Array(contents.utf8))
        #expect(plain(try PassphraseSource(file: path).read()) == Array("hunter2".utf8))
    }

    @Test("a pipe works (`--passphrase-file <(pass show …)`); a directory is refused")
    func pipeAndDirectory() throws {
        let fifo = directory.file("passphrase-pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            _ = "from a pipe\n".withCString { write(fd, $0, 12) }
            close(fd)
        }
        writer.start()
        #expect(plain(try PassphraseSource(file: fifo).read()) == Array("from a pipe".utf8))
        let folder = directory.file("a-directory")
        #expect(mkdir(folder, 0o700) == 0)
        #expect(throws: CoreError.self) { try PassphraseSource(file: folder).read() }
    }

    @Test("only trailing newlines are stripped: inner newlines and spaces are kept")
    func otherBytesKept() throws {
        #expect(plain(try PassphraseSource(file: passphraseFile(Array(" two\nlines \n".utf8))).read()) == Array(" two\nlines ".utf8))
        #expect(plain(try PassphraseSource(file: passphraseFile(Array("\ttab\t".utf8))).read()) == Array("\ttab\t".utf8))
        let binary: [UInt8] = [0x00, 0xFF, 0x80, 0x41]
        #expect(plain(try PassphraseSource(file: passphraseFile(binary)).read()) == binary)
    }

    @Test("a passphrase file with a trailing newline derives the same key as the bare passphrase")
    func sameKeyWithNewline() throws {
        let secrets = try NodeSecrets.generate()
        let keyFile = directory.file("node.secrets")
        try KeyFile.write(secrets, to: keyFile, passphrase: F.passphrase("open sesame"), parameters: F.fastArgon)
        for contents in ["open sesame\n", "open sesame\r\n", "open sesame"] {
            let source = PassphraseSource(file: passphraseFile(Array(contents.utf8)))
            let read = try KeyFile.read(from: keyFile) { try source.read() }
            #expect(F.sameSecrets(read, secrets), "passphrase file \(contents.debugDescription)")
        }
        let wrong = PassphraseSource(file: passphraseFile(Array("open sesame \n".utf8)))
        #expect(throws: CoreError(.wrongPassphrase, "")) { try KeyFile.read(from: keyFile) { try wrong.read() } }
    }

    @Test("a passphrase file readable by others is refused with a chmod 600 hint",
          arguments: [0o644, 0o640, 0o604, 0o666] as [mode_t])
    func insecurePassphraseFile(mode: mode_t) throws {
        let path = passphraseFile(Array("hunter2\n".utf8), mode: mode)
        let error = F.coreError { try PassphraseSource(file: path).read() }
        #expect(error?.code == .keyFileInsecurePermissions)
        #expect(error?.message.contains("chmod 600") == true)
        #expect(error?.message.contains("hunter2") == false, "messages never echo the passphrase")
    }

    @Test("owner-only passphrase files are accepted", arguments: [0o600, 0o400] as [mode_t])
    func ownerOnlyPassphraseFile(mode: mode_t) throws {
        let path = passphraseFile(Array("hunter2".utf8), mode: mode)
        #expect(plain(try PassphraseSource(file: path).read()) == Array("hunter2".utf8))
    }

    @Test("an empty passphrase file is refused", arguments: ["", "\n", "\r\n", "\n\n\n"])
    func emptyFile(contents: String) throws {
        let path = passphraseFile(Array(contents.utf8))
        let error = F.coreError { try PassphraseSource(file: path).read() }
        #expect(error?.code == .passphraseUnavailable)
        #expect(error?.message.contains("empty") == true)
    }

    @Test("a missing passphrase file is passphraseUnavailable")
    func missingFile() throws {
        let path = directory.file("no-such-file")
        let error = F.coreError { try PassphraseSource(file: path).read() }
        #expect(error?.code == .passphraseUnavailable)
        #expect(error?.message.contains(path) == true)
    }

    @Test("a missing passphrase file makes reading a protected key file fail with passphraseUnavailable")
    func missingFileDuringKeyRead() throws {
        let keyFile = directory.file("node.secrets")
        try KeyFile.write(try NodeSecrets.generate(), to: keyFile, passphrase: F.passphrase("x"), parameters: F.fastArgon)
        let source = PassphraseSource(file: directory.file("absent"))
        #expect(throws: CoreError(.passphraseUnavailable, "")) { try KeyFile.read(from: keyFile) { try source.read() } }
    }

    @Test("passphrases up to 4096 bytes are accepted; longer ones are refused")
    func lengthLimit() throws {
        let longest = [UInt8](repeating: UInt8(ascii: "p"), count: PassphraseSource.maximumByteCount)
        #expect(plain(try PassphraseSource(file: passphraseFile(longest)).read()) == longest)
        let error = F.coreError { try PassphraseSource(file: passphraseFile(longest + [UInt8(ascii: "p")])).read() }
        #expect(error?.code == .passphraseUnavailable)
        #expect(error?.message.contains("4096") == true)
        #expect(throws: CoreError(.passphraseUnavailable, "")) {
            try PassphraseSource(file: passphraseFile([UInt8](repeating: 0x41, count: 100_000))).read()
        }
    }

    @Test("the explicit file wins and is recorded")
    func fileProperty() {
        #expect(PassphraseSource(file: "/x").file == "/x")
        #expect(PassphraseSource().file == nil)
        #expect(PassphraseSource.environmentVariable == "LIAISON_PASSPHRASE")
        #expect(PassphraseSource.credentialName == "liaison-passphrase")
    }

    @Test("a systemd credential may carry group bits (systemd's ACL mask shows as 0440) but none for others; an explicit file may not",
          arguments: [(0o400, true), (0o440, true), (0o640, true), (0o444, false), (0o404, false)] as [(mode_t, Bool)])
    func systemdCredential(mode: mode_t, accepted: Bool) throws {
        let credentials = directory.file("credentials-\(UUID().uuidString)")
        // Private to the service, as systemd makes it.
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let path = F.writeFile(Array("hunter2\n".utf8), to: credentials + "/" + PassphraseSource.credentialName, mode: mode)
        if accepted {
            #expect(plain(try PassphraseSource.readCredential(in: credentials)) == Array("hunter2".utf8))
        } else {
            let error = F.coreError { try PassphraseSource.readCredential(in: credentials) }
            #expect(error?.code == .keyFileInsecurePermissions && error?.message.contains("LoadCredential=") == true, "\(String(describing: error))")
        }
        if mode & 0o077 != 0 {
            #expect(F.coreError { try PassphraseSource(file: path).read() }?.code == .keyFileInsecurePermissions)
            // A "credentials directory" others can open is not systemd's: the explicit file's rule.
            chmod(credentials, 0o755)
            #expect(F.coreError { try PassphraseSource.readCredential(in: credentials) }?.code == .keyFileInsecurePermissions)
        }
    }

    @Test("a credential owned by another user than root or this one is refused")
    func credentialOwner() throws {
        let credentials = directory.file("credentials-\(UUID().uuidString)")
        // Private to the service, as systemd makes it.
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let path = F.writeFile(Array("hunter2".utf8), to: credentials + "/" + PassphraseSource.credentialName, mode: 0o400)
        // Only root may hand a file to another user; elsewhere the rule is checked through the owner test above.
        guard geteuid() == 0 else { return }
        #expect(chown(path, 4242, 4242) == 0)
        #expect(F.coreError { try PassphraseSource.readCredential(in: credentials) }?.code == .keyFileInsecurePermissions)
    }
}
