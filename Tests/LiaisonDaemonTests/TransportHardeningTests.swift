import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import NIOConcurrencyHelpers
import Testing

@Suite("Transport hardening against a real daemon", .serialized)
struct TransportHardeningTests {
    @Test("an unknown static key gets no bytes after message 1")
    func unknownKey() throws {
        let net = try DaemonNetwork(["bravo"])
        try net.startAll()
        let client = try ProtocolClient(port: net.ports["bravo"]!)
        let stranger = try TransportSecretKey()
        let (_, m1) = try ProtocolClient.message1(local: stranger, remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport,
                                                 timestamp: ProtocolClient.nowNanos())
        try client.socket.sendFrame(m1)
        #expect(client.socket.readsNothing(within: 2), "the daemon answered an unknown key")
        #expect(net.daemon("bravo").log.contains("unknown static key"))
    }

    @Test("a replayed message 1 is rejected with nothing sent back")
    func replay() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravo = try ProtocolClient.publicKeys(home: net.home("bravo"))
        var (initiator, m1) = try ProtocolClient.message1(local: alpha.transport, remote: bravo.transport, timestamp: ProtocolClient.nowNanos())
        let first = try ProtocolClient(port: net.ports["bravo"]!)
        try first.socket.sendFrame(m1)
        _ = try initiator.readMessage2(try first.socket.receiveFrame())   // the original is accepted
        let replayed = try ProtocolClient(port: net.ports["bravo"]!)
        try replayed.socket.sendFrame(m1)
        #expect(replayed.socket.readsNothing(within: 2), "a replayed message 1 was answered")
        #expect(net.daemon("bravo").log.contains("replayed or stale timestamp"))
    }

    @Test("a flipped bit in a transport frame ends the session and delivers nothing")
    func flippedBit() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home("alpha")).transport,
                             remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        var frame = try client.session!.sender.encrypt(SessionMessage.offer(packageID: try PackageID.random(), size: 10, expires: nil).encoded)
        frame[frame.count / 2] ^= 0x04
        try client.socket.sendFrame(frame)
        #expect(throws: (any Error).self) {
            while true { _ = try client.socket.receiveFrame() }   // at most a close message, then EOF
        }
        #expect(try net.inbox("bravo").isEmpty)
        #expect(net.daemon("bravo").log.contains("failed authentication"))
    }

    @Test("offers of 2^64−1 bytes, again and again, are refused as too large while another peer's packages arrive under a volume limit")
    func hugeOffers() throws {
        // With no disk reserve and alpha under a daily volume limit, charlie's absurd
        // offers must neither trap bravo's volume arithmetic nor eat alpha's allowance
        // while they are being refused (bounded: 200 offers, 20 packages).
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], tunables: "retry-initial-seconds = 1\nretry-maximum-seconds = 2\ndisk-reserve-mib = 0\n")
        try net.daemon("bravo").start()
        try net.expect(["peers", "set", "alpha", "--bytes-per-day", "100000000", "--home", net.home("bravo")])
        try net.daemon("alpha").start()
        var charlie = try ProtocolClient(port: net.ports["bravo"]!)
        try charlie.handshake(local: try ProtocolClient.secrets(home: net.home("charlie")).transport,
                              remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        var ids: [String] = []
        for n in 0..<200 {
            if n % 10 == 0 { ids.append(try net.send(Array("package \(n) from alpha".utf8), from: "alpha", to: ["bravo"])) }
            let id = try PackageID.random()
            try charlie.send(.offer(packageID: id, size: UInt64.max, expires: nil))
            guard case .reject(let refused, let reason, _) = try charlie.receive() else {
                Issue.record("offer \(n) of 2^64−1 bytes was not refused")
                return
            }
            #expect(refused == id && reason == .tooLarge)
        }
        for id in ids { #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]), "\(id) from alpha was not delivered") }
        #expect(try net.cli.run(["status", "--home", net.home("bravo"), "--json"]).status == 0, "bravo stopped answering")
    }

    @Test("a package offered again is not accepted twice: the stored receipt comes back")
    func duplicateOffer() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let id = try net.send(Array("exactly once".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home("alpha")).transport,
                             remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        try client.send(.offer(packageID: try PackageID(parsing: id), size: 1000, expires: nil))
        guard case .receipt(let receipt) = try client.receive() else {
            Issue.record("a duplicate offer was not answered with the stored receipt")
            return
        }
        #expect(receipt.packageID.description == id)
        #expect(receipt.verify(recipient: try ProtocolClient.publicKeys(home: net.home("bravo")).identity, packageID: receipt.packageID,
                               headerHash: receipt.headerHash, sender: try ProtocolClient.publicKeys(home: net.home("alpha")).fingerprint))
        #expect(try net.inbox("bravo") == [id])
    }

    @Test("another peer offering a known package id never gets the original receipt, and cannot pre-empt the real package")
    func idPreemption() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        let id = try net.send(Array("alpha's report".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home("charlie")).transport,
                             remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        try client.send(.offer(packageID: try PackageID(parsing: id), size: 500, expires: nil))
        let reply = try client.receive()
        if case .receipt = reply { Issue.record("a second sender got the receipt of someone else's package") }
        #expect(net.daemon("bravo").log.contains("charlie offered package id \(id), which another sender already used; taken as its own package"))
        #expect(try net.inbox("bravo") == [id])
    }

    @Test("a co-recipient that pushes a copy of a package's id first does not block the real package")
    func coRecipientCannotPreempt() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.daemon("charlie").start()
        // alpha's package to bravo and charlie; bravo is down, so charlie has it first.
        let payload = Array("alpha's report".utf8)
        let id = try net.send(payload, from: "alpha", to: ["bravo", "charlie"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["charlie"]))
        // alpha is down for a while (its package to bravo stays queued) while charlie
        // seals a package of its own with alpha's id and pushes it to bravo first.
        #expect(net.daemon("alpha").stop() != nil)
        try net.daemon("bravo").start()
        var sealer = try PackageSealer(sender: try ProtocolClient.secrets(home: net.home("charlie")).identity,
                                       recipients: [try ProtocolClient.publicKeys(home: net.home("bravo")).encryption],
                                       markings: try Markings(tlp: .green), created: Timestamp.now(), expires: nil,
                                       packageID: try PackageID(parsing: id))
        var input = MemorySource(Array("charlie's decoy".utf8))
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home("charlie")).transport,
                             remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        try client.send(.push(packageID: sealer.packageID, expires: nil, bytes: output.bytes))
        guard case .receipt(let decoyReceipt) = try client.receive() else {
            Issue.record("charlie's own package was not taken as its own")
            return
        }
        #expect(decoyReceipt.sender == (try ProtocolClient.publicKeys(home: net.home("charlie")).fingerprint))
        // alpha's package still arrives, as itself.
        try net.daemon("alpha").start()
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        #expect(try net.inbox("bravo") == [id, id])
        let ambiguous = try net.cli.run(["inbox", "get", id, "--out", net.dir.file("either"), "--home", net.home("bravo")])
        #expect(ambiguous.status != 0)
        let alphaID = try ProtocolClient.publicKeys(home: net.home("alpha")).fingerprint
        let charlieID = try ProtocolClient.publicKeys(home: net.home("charlie")).fingerprint
        #expect(ambiguous.stderr.contains("2 received packages carry the id \(id) (from alpha \(alphaID), charlie \(charlieID))"), "\(ambiguous.stderr)")
        #expect(try net.fetch(id, at: "bravo", from: "alpha") == payload)
        #expect(try net.fetch(id, at: "bravo", from: "charlie") == Array("charlie's decoy".utf8))
    }

    @Test("a send whose client disconnects before the end queues nothing")
    func truncatedSend() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        do {
            let client = try ControlClient(path: net.home("alpha") + "/liaisond.sock")
            var request = ControlRequest(.send)
            request.to = ["bravo"]
            request.tlp = "GREEN"
            try client.send(json: request)
            try client.sendFrame([UInt8](repeating: 7, count: 1000))
        }   // the client goes away without the empty end frame
        sleep(1)
        let outbox = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        #expect(outbox.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "an interrupted send was queued: \(outbox)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: net.home("alpha") + "/outbox")).isEmpty)
    }

    @Test("garbage and slow-drip connections do not hurt a real peer")
    func garbageAndSlowDrip() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let port = net.ports["bravo"]!
        var rng = SeededBytes(seed: 5)
        var noisy: [LoopbackSocket] = []
        for i in 0..<8 {
            let socket = try LoopbackSocket.connect(port: port)
            if i % 2 == 0 { try? socket.send(rng.next(4000)) } else { try? socket.send([0x00]) }   // garbage / slow drip
            noisy.append(socket)
        }
        let start = Date()
        let id = try net.send(Array("business as usual".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 15))
        #expect(Date().timeIntervalSince(start) < 10, "delivery was slowed by hostile connections")
        for (i, socket) in noisy.enumerated() where i % 2 == 1 { try? socket.send([0x01]) }   // keep dripping
        #expect(try net.inbox("bravo") == [id])
    }

    @Test("silent connections holding every slot cannot shut a partner out, and one source gets only its share")
    func silentConnectionsGiveWay() throws {
        // A handshake timeout of a minute: only giving way, not timing out, lets alpha in quickly.
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: """
            retry-initial-seconds = 1
            retry-maximum-seconds = 2
            max-connections = 4
            max-handshakes-per-source = 2
            handshake-timeout-seconds = 60
            """)
        try net.startAll()
        let port = net.ports["bravo"]!
        var silent: [LoopbackSocket] = []
        for source in ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"] {
            silent.append(try LoopbackSocket.connect(port: port, from: source))
            #expect(!silent.last!.closedByPeer(within: 0.3), "a connection within its source's share was closed")
        }
        let third = try LoopbackSocket.connect(port: port, from: "127.0.0.2")
        #expect(third.closedByPeer(within: 5), "a source's third connection in its handshake was served")
        #expect(net.daemon("bravo").log.contains("connection from 127.0.0.2 refused: 2 of its connections are already in their handshakes"))

        let start = Date()
        let id = try net.send(Array("through a full house".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 30))
        #expect(Date().timeIntervalSince(start) < 15, "the partner waited for silent connections to time out")
        #expect(silent[0].closedByPeer(within: 5), "the oldest silent connection kept its slot")
        #expect(!silent[3].closedByPeer(within: 0.3), "a newer silent connection was closed instead of the oldest")
        #expect(net.daemon("bravo").log.contains("closed the oldest connection still in its handshake"))
        #expect(try net.inbox("bravo") == [id])
    }

    @Test("many new sources share one budget of handshakes; a partner's address is not counted", .timeLimit(.minutes(2)))
    func newSourcesShareABudget() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: """
            retry-initial-seconds = 1
            retry-maximum-seconds = 2
            new-source-handshakes-per-second = 1
            new-source-handshake-burst = 4
            """)
        try net.startAll()
        // Alpha's session from 127.0.0.1 carries a message: bravo knows it as alpha's address.
        let first = try net.send(Array("before the flood".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(first, from: "alpha", to: ["bravo"]))
        sleep(3)   // alpha's session ends (it lingers 2 s): its next package needs a new handshake
        // New addresses, one connection each (each well within its own share), 50 a second
        // against a budget of one a second: it stays empty while alpha dials again.
        let port = net.ports["bravo"]!
        let flooding = NIOLockedValueBox(true)
        let flood = Thread {
            for n in 2...250 where flooding.withLockedValue({ $0 }) {
                _ = try? LoopbackSocket.connect(port: port, from: "127.0.0.\(n)", timeoutSeconds: 1)
                usleep(20_000)
            }
        }
        flood.start()
        usleep(500_000)
        let second = try net.send(Array("during the flood".utf8), from: "alpha", to: ["bravo"])
        let delivered = try net.waitDelivered(second, from: "alpha", to: ["bravo"], timeoutSeconds: 30)
        flooding.withLockedValue { $0 = false }
        #expect(delivered)
        let log = net.daemon("bravo").log
        #expect(log.contains("handshake refused: 127.0.0.") && log.contains("such sources are over their budget"), "the flood was not held back")
        #expect(!log.contains("handshake refused: 127.0.0.1 is"), "the partner's address was counted with the new ones")
        #expect(log.components(separatedBy: "handshake accepted from alpha").count - 1 >= 2, "alpha did not dial again during the flood")
    }

    @Test("a peer holds at most max-sessions-per-peer sessions: one past it is closed after its handshake")
    func sessionsPerPeer() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "max-sessions-per-peer = 2\n")
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravo = try ProtocolClient.publicKeys(home: net.home("bravo"))
        var sessions: [ProtocolClient] = []
        for _ in 0..<2 {
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: alpha.transport, remote: bravo.transport)
            sessions.append(client)
        }
        var third = try ProtocolClient(port: net.ports["bravo"]!)
        try third.handshake(local: alpha.transport, remote: bravo.transport)
        #expect(third.socket.closedByPeer(within: 5), "a third session with the same peer stayed open")
        #expect(net.daemon("bravo").log.contains("alpha already has 2 sessions open (max-sessions-per-peer)"))
        for client in sessions { #expect(!client.socket.closedByPeer(within: 0.3), "a session within the limit was closed") }
        // One ends: a new one is let in.
        sessions.removeFirst()
        var replacement = try ProtocolClient(port: net.ports["bravo"]!)
        let deadline = Date().addingTimeInterval(10)
        var admitted = false
        while !admitted && Date() < deadline {
            try replacement.handshake(local: alpha.transport, remote: bravo.transport)
            admitted = !replacement.socket.closedByPeer(within: 0.5)
            if !admitted { replacement = try ProtocolClient(port: net.ports["bravo"]!) }
        }
        #expect(admitted, "a session was refused after another with the peer ended")
    }

    @Test("one peer's handshakes are limited whatever source it dials from: past the burst, message 1 gets nothing back")
    func handshakesPerPeer() throws {
        // 8 a minute: 2 at once, then one every 7.5 s.
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "peer-handshakes-per-minute = 8\n")
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravo = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let accepted = { () -> Int in try net.auditEvents("bravo").filter { $0.kind == .handshakeAccepted }.count }
        // A message 1 seen on the wire, replayed again and again, uses up none of alpha's handshakes.
        let (_, captured) = try ProtocolClient.message1(local: alpha.transport, remote: bravo.transport, timestamp: ProtocolClient.nowNanos())
        for attempt in 0..<6 {
            let replay = try ProtocolClient(port: net.ports["bravo"]!, from: "127.0.0.\(10 + attempt)")
            try replay.socket.sendFrame(captured)
            if attempt == 0 {
                _ = try replay.socket.receiveFrame()   // the first one is a handshake like any other
            } else {
                #expect(replay.socket.closedByPeer(within: 5), "a replayed message 1 was answered")
            }
        }
        var second = try ProtocolClient(port: net.ports["bravo"]!, from: "127.0.0.3")
        try second.handshake(local: alpha.transport, remote: bravo.transport)
        // A third source, within its own source's limit, but not within the peer's.
        var third = try ProtocolClient(port: net.ports["bravo"]!, from: "127.0.0.4")
        #expect(throws: (any Error).self, "a handshake past the peer's burst was answered") {
            try third.handshake(local: alpha.transport, remote: bravo.transport)
        }
        #expect(net.daemon("bravo").log.contains("more than 8 handshakes a minute from it (peer-handshakes-per-minute)"))
        #expect(try accepted() == 2, "a refused handshake was recorded as accepted")
        #expect(try net.auditEvents("bravo").filter { $0.kind == .handshakeRejected && $0.reason?.hasPrefix("handshake.replay") == true }.count == 5)
        let refused = try net.auditEvents("bravo").filter { $0.kind == .handshakeRejected && $0.reason?.hasPrefix("handshake.peer-rate") == true }
        #expect(refused.count == 1)
    }
}
