import Foundation
import NIOCore

/// How a failed delivery attempt is told to the operator (`outbox list`, the log):
/// NIO's own words for a connection that went away mid-session ("I/O on closed
/// channel") say nothing about what happened or what comes next.
enum DeliveryFailureText {
    /// `error` in words an operator can act on; errors of Liaison's own are kept as they are.
    static func describe(_ error: any Error) -> String {
        let lost = "the connection was lost mid-session (the peer stopped, or the network dropped it); it is tried again, and a large package resumes where it stopped"
        switch error {
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof, ChannelError.outputClosed,
             ChannelError.inputClosed:
            return lost
        case let io as IOError where [ECONNRESET, EPIPE, ECONNABORTED].contains(io.errnoCode):
            return lost + " (\(String(cString: strerror(io.errnoCode)).lowercased()))"
        default:
            return "\(error)"
        }
    }
}
