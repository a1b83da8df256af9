import NIOCore

/// The socket options of a connection between partner daemons.
enum ConnectionOptions {
    /// `TCP_NODELAY` at the TCP level: a frame goes out when written, not held back
    /// for an acknowledgement (Nagle's algorithm). `ChannelOptions.socketOption`
    /// would set option 1 at the socket level, which is `SO_DEBUG`: refused without
    /// `CAP_NET_ADMIN`, and with it, no `TCP_NODELAY`.
    static let noDelay = ChannelOptions.tcpOption(.tcp_nodelay)

    /// Sets an accepted connection's options. Best effort: on a connection reset
    /// before it is set up they fail, and its session then fails on its own; an
    /// error here must not reach the listener, whose accept stream it would end.
    static func apply(to channel: any Channel) {
        try? channel.syncOptions?.setOption(noDelay, value: 1)
        try? channel.syncOptions?.setOption(.recvAllocator, value: ChannelReads.allocator)
    }
}
