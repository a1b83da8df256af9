import Foundation
import LiaisonTestSupport
import Testing

/// The metrics endpoint cannot be held open: silent connections are closed after
/// 10 s, and past 16 at once a new one is closed at once.
@Suite("The metrics endpoint under idle connections", .serialized)
struct MetricsServerTests {
    @Test("16 silent connections: the 17th is closed at once, the silent ones after the idle timeout, then scrapes work again",
          .timeLimit(.minutes(2)))
    func silentConnections() throws {
        let metricsPort = try DaemonProcess.freePort()
        let net = try DaemonNetwork(["alpha"])
        let config = net.home("alpha") + "/liaison.toml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "metrics-listen = \"127.0.0.1:\(metricsPort)\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        try net.daemon("alpha").start()
        func scrape(_ method: String = "GET") -> String? {
            guard let socket = try? LoopbackSocket.connect(port: metricsPort) else { return nil }
            try? socket.send(Array("\(method) /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8))
            var response: [UInt8] = []
            while response.count < 1 << 20, let byte = try? socket.receive(1) { response += byte }
            return String(decoding: response, as: UTF8.self)
        }
        #expect(scrape()?.hasPrefix("HTTP/1.1 200") == true)
        // HEAD answers as GET does, without the body.
        let head = scrape("HEAD") ?? ""
        #expect(head.hasPrefix("HTTP/1.1 200") && head.hasSuffix("\r\n\r\n") && !head.contains("# TYPE"), "\(head)")
        // Another method on /metrics is told which to use (found in an operator's trial: 404).
        let post = scrape("POST") ?? ""
        #expect(post.hasPrefix("HTTP/1.1 405") && post.contains("Allow: GET, HEAD"), "\(post)")

        let silent = try (0..<16).map { _ in try LoopbackSocket.connect(port: metricsPort) }
        usleep(300_000)   // all accepted
        let extra = try LoopbackSocket.connect(port: metricsPort)
        #expect(extra.closedByPeer(within: 3), "a 17th connection was kept")
        #expect(net.daemon("alpha").isRunning)
        #expect(silent[0].closedByPeer(within: 15), "a silent connection outlived the idle timeout")
        #expect(silent.allSatisfy { $0.closedByPeer(within: 2) })
        let again = scrape()
        #expect(again?.hasPrefix("HTTP/1.1 200") == true, "\(again ?? "no connection"): \(net.daemon("alpha").log.suffix(1500))")
    }
}
