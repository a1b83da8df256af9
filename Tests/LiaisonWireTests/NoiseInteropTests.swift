import Foundation
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

/// Noise IK against PyPI's `noiseprotocol` (built on `cryptography`, not libsodium),
/// over real loopback TCP, with Liaison's 2-byte framing, in both directions.
@Suite("Noise IK interoperability with noiseprotocol (Python)")
struct NoiseInteropTests {
    let prologue = "liaison/transport/v1"

    func hex(_ key: TransportSecretKey) -> String { key.rawSecret().withUnsafeBytes { Hex(Array($0)) } }

    @Test("Swift initiator, Python responder")
    func swiftInitiates() throws {
        let ours = try TransportSecretKey(), theirs = try TransportSecretKey()
        let dir = TemporaryDirectory()
        let portFile = dir.file("port")
        let (process, out, err) = try PythonTool.start("noise_peer.py", ["responder", "--static-hex", hex(theirs), "--port-file", portFile, "--prologue", prologue])
        var port: Int?
        for _ in 0..<1000 where port == nil {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { usleep(10_000) }
        }
        let socket = try LoopbackSocket.connect(port: try #require(port, "the Python responder did not start (is noiseprotocol installed?)"))
        var initiator = try NoiseIKInitiator(localStatic: ours, remoteStatic: theirs.publicKey, prologue: Array(prologue.utf8))
        try socket.sendFrame(try initiator.writeMessage1(payload: Array("hello from swift".utf8)))
        var (payload, session) = try initiator.readMessage2(try socket.receiveFrame())
        #expect(payload == Array("hello from python".utf8))
        for i in 0..<3 {
            try socket.sendFrame(try session.sender.encrypt(Array("ping \(i)".utf8)))
            #expect(try session.receiver.decrypt(try socket.receiveFrame()) == Array("pong \(i)".utf8))
        }
        let (status, stdout, stderr) = PythonTool.finish(process, out, err)
        #expect(status == 0, "python: \(stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        #expect(report?["handshake_hash"] as? String == Hex(session.handshakeHash))
        #expect(report?["peer_payload"] as? String == "hello from swift")
        #expect(report?["received"] as? [String] == ["ping 0", "ping 1", "ping 2"])
    }

    @Test("Python initiator, Swift responder")
    func pythonInitiates() throws {
        let ours = try TransportSecretKey(), theirs = try TransportSecretKey()
        let listener = try LoopbackSocket.Listener()
        let (process, out, err) = try PythonTool.start("noise_peer.py", [
            "initiator", "--static-hex", hex(theirs), "--remote-hex", Hex(ours.publicKey.rawRepresentation),
            "--port", String(listener.port), "--prologue", prologue])
        let socket = try listener.accept()
        var responder = try NoiseIKResponder(localStatic: ours, prologue: Array(prologue.utf8))
        let (initiatorStatic, payload) = try responder.readMessage1(try socket.receiveFrame())
        #expect(initiatorStatic == theirs.publicKey.rawRepresentation)
        #expect(payload == Array("hello from python".utf8))
        let (message2, established) = try responder.writeMessage2(payload: Array("hello from swift".utf8))
        var session = established
        try socket.sendFrame(message2)
        for i in 0..<3 {
            #expect(try session.receiver.decrypt(try socket.receiveFrame()) == Array("ping \(i)".utf8))
            try socket.sendFrame(try session.sender.encrypt(Array("pong \(i)".utf8)))
        }
        let (status, stdout, stderr) = PythonTool.finish(process, out, err)
        #expect(status == 0, "python: \(stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        #expect(report?["handshake_hash"] as? String == Hex(session.handshakeHash))
        #expect(report?["received"] as? [String] == ["pong 0", "pong 1", "pong 2"])
    }
}

func Hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
