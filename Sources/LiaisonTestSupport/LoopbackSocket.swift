import Foundation

/// A blocking TCP socket on 127.0.0.1 with timeouts, speaking Liaison's framing
/// (2-byte big-endian length, then the body). For interop tests against
/// independent implementations; the daemon itself uses SwiftNIO.
public final class LoopbackSocket: @unchecked Sendable {
    private let fd: Int32

    private init(fd: Int32, timeoutSeconds: Int) {
        self.fd = fd
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Connects to 127.0.0.1:`port`, retrying for up to `timeoutSeconds`; from
    /// `source` (another loopback address, such as 127.0.0.2) if given.
    public static func connect(port: Int, from source: String? = nil, timeoutSeconds: Int = 20) throws -> LoopbackSocket {
        let deadline = Date().addingTimeInterval(TimeInterval(timeoutSeconds))
        while true {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if let source {
                var local = sockaddr_in()
                local.sin_family = sa_family_t(AF_INET)
                local.sin_addr.s_addr = inet_addr(source)
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard bound == 0 else {
                    close(fd)
                    throw SocketError("cannot bind to \(source): \(String(cString: strerror(errno)))")
                }
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc == 0 { return LoopbackSocket(fd: fd, timeoutSeconds: timeoutSeconds) }
            close(fd)
            guard Date() < deadline else { throw SocketError("connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(errno)))") }
            usleep(20_000)
        }
    }

    /// A listening socket on an ephemeral port of 127.0.0.1.
    public final class Listener: @unchecked Sendable {
        private let fd: Int32
        /// The port the kernel chose.
        public let port: Int

        /// Binds and listens on `port` of 127.0.0.1, or on one the kernel chooses.
        public init(port requested: Int = 0) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var reuse: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(requested).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Bool in
                    bind(fd, sa, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, sa, &length) == 0
                }
            }
            guard bound else { self.port = 0; throw SocketError("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))") }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }

        /// Waits up to `timeoutSeconds` for one connection.
        public func accept(timeoutSeconds: Int = 20) throws -> LoopbackSocket {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(timeoutSeconds * 1000)) == 1 else { throw SocketError("no connection within \(timeoutSeconds) s") }
            let client = Glibc.accept(fd, nil, nil)
            guard client >= 0 else { throw SocketError("accept failed: \(String(cString: strerror(errno)))") }
            return LoopbackSocket(fd: client, timeoutSeconds: timeoutSeconds)
        }
    }

    /// Sends raw bytes.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw SocketError("send failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Sends one frame.
    public func sendFrame(_ body: [UInt8]) throws {
        try send([UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body)
    }

    /// Receives exactly `count` bytes (throws on timeout or close).
    public func receive(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            guard n > 0 else { throw SocketError(n == 0 ? "connection closed" : "receive failed: \(String(cString: strerror(errno)))") }
            filled += n
        }
        return out
    }

    /// Receives one frame.
    public func receiveFrame() throws -> [UInt8] {
        let header = try receive(2)
        return try receive(Int(header[0]) << 8 | Int(header[1]))
    }

    /// Makes the close (when this socket is released) a reset (RST) instead of an
    /// orderly FIN: `SO_LINGER` with a zero timeout.
    public func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Whether the peer closed (or reset) the connection within `seconds`; false if
    /// it is still open then, or sent something.
    public func closedByPeer(within seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK)) <= 0
    }

    /// Whether the peer closed the connection (or sent nothing) within `seconds`.
    public func readsNothing(within seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) == 1 else { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0
    }
}

/// A socket failure in a test.
public struct SocketError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
