import Foundation
import LiaisonCore
import NIOCore
import Testing
@testable import LiaisonDaemon

/// Found in an operator's trial: a receiver killed mid-transfer left "1 try: I/O on
/// closed channel" in `outbox list`, NIO's words rather than what happened.
@Suite("What a failed delivery attempt tells the operator")
struct DeliveryFailureTextTests {
    @Test("a connection lost mid-session is said so, with what happens next; Liaison's own errors are kept")
    func lostConnectionInWords() {
        for error: any Error in [ChannelError.ioOnClosedChannel, ChannelError.eof, ChannelError.alreadyClosed,
                                 IOError(errnoCode: ECONNRESET, reason: "read")] {
            let text = DeliveryFailureText.describe(error)
            #expect(text.hasPrefix("the connection was lost mid-session") && text.contains("tried again"), "\(text)")
            #expect(!text.contains("channel"), "\(text)")
        }
        let own = CoreError(.unknownPeer, "no peer named x")
        #expect(DeliveryFailureText.describe(own) == "\(own)")
    }
}
