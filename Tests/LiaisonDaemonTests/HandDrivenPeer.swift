import LiaisonCore
import LiaisonTestSupport
import LiaisonWire

/// A peer's side of a session a real daemon dialled, driven by hand: it answers
/// the handshake with the peer's keys (its own daemon never starts), then the
/// test reads and writes session messages, choosing when each happens.
struct HandDrivenPeer {
    let socket: LoopbackSocket
    var session: NoiseSession

    /// Takes the next connection on `listener` and answers its handshake as `node`.
    static func accept(on listener: LoopbackSocket.Listener, as node: NodeSecrets, timeoutSeconds: Int = 20) throws -> HandDrivenPeer {
        let socket = try listener.accept(timeoutSeconds: timeoutSeconds)
        var responder = try NoiseIKResponder(localStatic: node.transport, prologue: HandshakeHello.prologue)
        _ = try responder.readMessage1(try socket.receiveFrame())
        let (message2, session) = try responder.writeMessage2(payload: HandshakeWelcome.encoded)
        try socket.sendFrame(message2)
        return HandDrivenPeer(socket: socket, session: session)
    }

    mutating func send(_ message: SessionMessage) throws {
        try socket.sendFrame(try session.sender.encrypt(message.encoded))
    }

    /// The next message other than a rekey (which is applied).
    mutating func receive() throws -> SessionMessage {
        while true {
            let message = try SessionMessage(decoding: try session.receiver.decrypt(try socket.receiveFrame()))
            guard case .rekey = message else { return message }
            try session.receiver.rekey()
        }
    }
}
