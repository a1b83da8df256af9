import Foundation
import LiaisonControl
import LiaisonCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Unix control socket (`<home>/liaisond.sock`, mode 0660) that the `liaison`
/// CLI talks to. A connection carries one request after another until the client
/// hangs up or a request fails.
struct ControlServer: Service {
    let context: DaemonContext
    let group: EventLoopGroup

    var socketPath: String { ControlFraming.socketPath(home: context.home.path) }

    func run() async throws {
        let path = socketPath
        let settings = context.settings
        let bind: @Sendable () async throws -> NIOAsyncChannel<(NIOAsyncChannel<ByteBuffer, ByteBuffer>, PeerCredentials?), Never> = {
            [eventLoop = group.next()] in
            // No child channel option: one that fails would end the accept stream; set in the initializer.
            let server = try await ServerBootstrap(group: eventLoop)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    try? channel.syncOptions?.setOption(.recvAllocator, value: ChannelReads.allocator)
                    return PeerCredentials.of(channel).flatMapThrowing { caller in
                        // Finishing the writer shuts the socket's sending side: after the last
                        // reply (a failure's, say) the client reads the end at once instead of
                        // waiting for an answer to whatever it sent next.
                        (try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                                      configuration: .init(isOutboundHalfClosureEnabled: true)), caller)
                    }
                }
            chmod(path, 0o660)
            return server
        }
        // One event loop accepts and serves every connection: a connection then
        // starts on the loop that accepted it, with no hop to another thread, and
        // its caller's credentials are read there as it is set up.
        let server = try await bind()
        context.logger.info("control socket at \(path)")
        let handlers = ControlHandlers(context: context)
        let slots = ControlConnectionSlots(capacity: settings.maximumControlConnections, perUser: settings.controlConnectionsPerUser)
        // Whoever may open the socket can knock as often as it likes: the lines are budgeted.
        let busyLog = RefusalLog(logger: context.logger)
        await AcceptLoop(what: "control connections on \(path)", logger: context.logger, bind: bind).run(server) { accepted, connections in
            let (connection, caller) = accepted
            let deadline = ControlDeadline(timeout: settings.controlTimeout, channel: connection.channel, caller: caller,
                                           logger: context.logger)
            // Whoever may open the socket could otherwise hold connections
            // until the daemon has no file descriptors left for partners, or
            // every slot until nobody else is served.
            if let refusal = slots.claim(uid: caller?.uid) {
                let busy = Self.busy(refusal, slots: slots)
                busyLog.log(.warning, "control: connection from \(caller?.description ?? "unknown caller") refused: \(busy.logged)")
                connections.addTask {
                    defer { deadline.stop() }
                    DaemonMetrics.controlRequest("busy")
                    await Self.refuseBusy(connection, deadline: deadline, message: busy.told)
                }
                return
            }
            connections.addTask {
                defer {
                    deadline.stop()
                    slots.release(uid: caller?.uid)
                }
                await Self.serve(connection, caller: caller, deadline: deadline, handlers: handlers, timeout: settings.controlTimeout)
            }
        }
        unlink(path)
    }

    /// Serves one connection: request after request while each is answered in full,
    /// so that a client with many to make need not connect for each. On SIGTERM a
    /// request in hand is finished (the drain) and no other is taken; a connection
    /// waiting for one is closed.
    private static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, caller: PeerCredentials?, deadline: ControlDeadline,
                              handlers: ControlHandlers, timeout: TimeAmount) async {
        try? await connection.executeThenClose { input, output in
            var io = ControlConnection(input, output, deadline: deadline)
            let awaitingRequest = io.awaitingRequest
            let channel = connection.channel
            await withGracefulShutdownHandler {
                while await handlers.serve(&io, caller: caller) {}
            } onGracefulShutdown: {
                if awaitingRequest.withLockedValue({ $0 }) { channel.close(promise: nil) }
            }
            // Closing at once could drop replies still buffered in the channel: finish
            // writing (the client sees the end after the last reply), then wait
            // (bounded, and no longer than until SIGTERM) for it to hang up.
            output.finish()
            await withGracefulShutdownHandler {
                _ = try? await withDeadline(timeout, channel: channel) {
                    while try await io.reader.next() != nil {}
                }
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        }
    }

    /// What the log and the refused client are told about a refusal.
    private static func busy(_ refusal: ControlConnectionSlots.Refusal, slots: ControlConnectionSlots) -> (logged: String, told: String) {
        switch refusal {
        case .full:
            return ("\(slots.capacity) control connections already open (max-control-connections)",
                    "the daemon is already serving \(slots.capacity) control connections (max-control-connections); retry in a moment")
        case .userFull:
            return ("its user already holds \(slots.perUser) control connections (max-control-connections-per-user)",
                    "this user already holds \(slots.perUser) of the daemon's control connections (max-control-connections-per-user); close one, or retry in a moment")
        }
    }

    /// Tells a connection that got no slot to retry, and closes it without reading its request.
    private static func refuseBusy(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, deadline: ControlDeadline, message: String) async {
        try? await connection.executeThenClose { input, output in
            var io = ControlConnection(input, output, deadline: deadline)
            try await io.send(error: ControlFailure(code: "control.busy", message: message))
        }
    }
}

/// Who is on the other end of a Unix socket (SO_PEERCRED).
struct PeerCredentials: Sendable, CustomStringConvertible {
    let pid: Int32
    let uid: UInt32
    let gid: UInt32

    /// The credentials of `channel`'s peer, or nil if the socket cannot tell;
    /// on the channel's event loop the future is already complete.
    static func of(_ channel: Channel) -> EventLoopFuture<PeerCredentials?> {
        guard let provider = channel as? SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        let credentials: EventLoopFuture<UnixCredentials> = provider.unsafeGetSocketOption(level: .socket, name: .init(rawValue: SO_PEERCRED))
        return credentials.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }.recover { _ in nil }
    }

    var description: String { "uid \(uid) gid \(gid) pid \(pid)" }
}

/// The layout of Linux's `struct ucred` (not exported to Swift without _GNU_SOURCE).
struct UnixCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Reads control frames (4-byte length prefix) from the inbound stream, each
/// within the connection's deadline.
struct ControlFrameReader {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var buffer = ByteBuffer()
    private let deadline: ControlDeadline

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, deadline: ControlDeadline) {
        iterator = inbound.makeAsyncIterator()
        self.deadline = deadline
    }

    /// The next frame, or nil when the client hung up (or was cut off) between frames.
    mutating func next() async throws -> [UInt8]? {
        let deadline = self.deadline
        return try await deadline.bounding("it sent nothing") { try await self.nextFrame() }
    }

    private mutating func nextFrame() async throws -> [UInt8]? {
        while true {
            if buffer.readableBytes >= 4, let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) {
                guard Int(length) <= ControlFraming.maximumFrameLength else {
                    throw ControlFailure(code: "control.frame-too-large", message: "control frame too large")
                }
                if buffer.readableBytes >= 4 + Int(length) {
                    buffer.moveReaderIndex(forwardBy: 4)
                    return buffer.readBytes(length: Int(length))
                }
            }
            guard var more = try await iterator.next() else {
                guard buffer.readableBytes == 0 else {
                    throw ControlFailure(code: "control.truncated", message: "the connection closed in the middle of a frame")
                }
                return nil
            }
            buffer.discardReadBytes()
            buffer.writeBuffer(&more)
        }
    }
}

/// One control connection: frames in, frames out, neither waiting on the client
/// past the connection's deadline.
struct ControlConnection {
    var reader: ControlFrameReader
    let output: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let deadline: ControlDeadline
    /// Whether the daemon is waiting for the client's next request, nothing of it read
    /// yet: on shutdown such a connection is closed at once (``ControlServer``).
    let awaitingRequest = NIOLockedValueBox(false)
    /// Requests asked for so far on this connection.
    private var requests = 0

    /// A connection over `input` and `output` whose waits on the client `deadline` bounds.
    init(_ input: NIOAsyncChannelInboundStream<ByteBuffer>, _ output: NIOAsyncChannelOutboundWriter<ByteBuffer>, deadline: ControlDeadline) {
        reader = ControlFrameReader(input, deadline: deadline)
        self.output = output
        self.deadline = deadline
    }

    /// The first frame of the client's next request, or nil when it hung up between
    /// requests. Once the daemon is shutting down, a connection that has had a
    /// request gets no other; one waiting for a request is closed by the shutdown
    /// handler, and a first request already in (a race with it) is read and refused
    /// as `control.stopping`.
    mutating func nextRequest() async throws -> [UInt8]? {
        requests += 1
        awaitingRequest.withLockedValue { $0 = true }
        defer { awaitingRequest.withLockedValue { $0 = false } }
        if requests > 1, Task.isShuttingDownGracefully { return nil }
        return try await reader.next()
    }

    mutating func send(_ body: [UInt8]) async throws {
        guard body.count <= ControlFraming.maximumReplyLength else {
            throw ControlFailure(code: "control.reply-too-large",
                                 message: "the answer (\(body.count) bytes) is larger than a reply may be; ask for fewer entries (--limit)")
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        let output = self.output
        // A write waits only while the channel is full: while the client reads nothing.
        try await deadline.bounding("it read nothing") { try await output.write(buffer) }
    }

    mutating func send<T: Codable & Sendable>(result: T) async throws {
        try await send(Array(try JSONEncoder().encode(ControlEnvelope(result: result))))
    }

    /// A result the daemon writes as JSON itself, not through `JSONEncoder` (`send`'s
    /// receipts: the busiest answer).
    mutating func send<T: Codable & Sendable & DirectJSONEncodable>(directResult result: T) async throws {
        try await send(ControlEnvelope.directJSON(result: result))
    }

    mutating func send(error: ControlFailure) async throws {
        try await send(Array(try JSONEncoder().encode(ControlEnvelope<Empty>(error: error))))
    }
}

extension ControlServer: CustomStringConvertible {
    var description: String { "ControlServer" }
}
