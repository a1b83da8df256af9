import Foundation

/// A blocking client for the daemon's Unix control socket. The CLI makes one
/// request per process; a program with many to make may send them one after
/// another on one client, which the daemon keeps open while each succeeds
/// (docs/operations.md, "Feeding the daemon from a program").
public final class ControlClient {
    private let fd: Int32

    /// Connects to the daemon at `path`, with errors that say what to do.
    public init(path: String, timeoutSeconds: Int = 300) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ControlFailure(code: "control.unavailable", message: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw ControlFailure(code: "control.unavailable", message: "the socket path \(path) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let reason = errno
            close(fd)
            switch reason {
            case ENOENT, ECONNREFUSED:
                throw ControlFailure(code: "control.daemon-not-running",
                                     message: "liaisond is not running for this node (no listener at \(path)); start it with `liaisond --home …` or `systemctl start liaisond`")
            case EACCES, EPERM:
                throw ControlFailure(code: "control.permission-denied",
                                     message: "not permitted to use \(path); ask to be added to the node's operator or auditor group")
            default:
                throw ControlFailure(code: "control.unavailable", message: "cannot connect to \(path): \(String(cString: strerror(reason)))")
            }
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends one frame.
    public func sendFrame(_ body: [UInt8]) throws {
        try write(ControlFraming.prefix(body.count) + body)
    }

    /// Sends `payload` in data frames and the empty frame that ends it.
    public func sendPayload(_ payload: [UInt8]) throws {
        var offset = 0
        while offset < payload.count {
            let n = min(ControlFraming.dataFrameLength, payload.count - offset)
            try sendFrame(Array(payload[offset..<(offset + n)]))
            offset += n
        }
        try sendFrame([])
    }

    /// Sends a JSON frame.
    public func send<T: Encodable>(json value: T) throws {
        try sendFrame(Array(try JSONEncoder().encode(value)))
    }

    /// Reads one frame of the daemon's (a reply may be longer than a request: ``ControlFraming/maximumReplyLength``).
    public func receiveFrame() throws -> [UInt8] {
        try read(try ControlFraming.length(try read(4), limit: ControlFraming.maximumReplyLength))
    }

    /// Reads the response envelope and returns its result or throws its failure.
    public func receive<T: Codable & Sendable>(_: T.Type) throws -> T {
        let frame = try receiveFrame()
        let envelope: ControlEnvelope<T>
        do { envelope = try JSONDecoder().decode(ControlEnvelope<T>.self, from: Data(frame)) } catch {
            throw ControlFailure(code: "control.bad-response", message: "the daemon's reply could not be read (version mismatch?)")
        }
        if let error = envelope.error { throw error }
        guard let result = envelope.result else {
            throw ControlFailure(code: "control.bad-response", message: "the daemon's reply has neither result nor error")
        }
        return result
    }

    /// One request, one JSON result.
    public func call<T: Codable & Sendable>(_ request: ControlRequest, _ type: T.Type) throws -> T {
        try send(json: request)
        return try receive(type)
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else {
                let reason = errno
                // A daemon that refuses a connection (`control.busy`) may close it
                // before the request is written: its answer says why.
                if reason == EPIPE || reason == ECONNRESET, let answer = try? receiveFrame(),
                   let refusal = try? JSONDecoder().decode(ControlEnvelope<Empty>.self, from: Data(answer)).error {
                    throw refusal
                }
                throw ControlFailure(code: "control.connection-lost", message: "the daemon closed the connection: \(String(cString: strerror(reason)))")
            }
            offset += n
        }
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            guard n > 0 else {
                throw ControlFailure(code: "control.connection-lost", message: n == 0 ? "the daemon closed the connection" : "reading from the daemon failed: \(String(cString: strerror(errno)))")
            }
            filled += n
        }
        return out
    }
}

extension ControlFailure {
    /// Whether the request may have been carried out although no answer from the
    /// daemon was read: the connection was lost or timed out, or the answer could
    /// not be read. Any other failure is the daemon's own answer, or came before
    /// the request was sent: the request was not carried out.
    public var leavesOutcomeUnknown: Bool {
        code == "control.connection-lost" || code == "control.bad-response"
    }
}
