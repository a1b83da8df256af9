import LiaisonCore
import Testing
@testable import LiaisonDaemon

@Suite("Settings the daemon warns about at start")
struct StartupWarningsTests {
    private func configuration() throws -> NodeConfiguration {
        NodeConfiguration(name: "alpha", created: 1_795_651_200, listen: ["127.0.0.1:7401"],
                          publicKeys: try NodeSecrets.generate().publicKeys, protection: .none)
    }

    @Test("a sound configuration gets no warning")
    func none() throws {
        var configuration = try configuration()
        configuration.access.operatorGroups = ["root"]
        #expect(StartupWarnings.of(configuration, keyring: try Keyring(peers: [])).isEmpty)
    }

    @Test("a wildcard listen without advertise, a witness that is no peer, and a group the system does not know are each said")
    func each() throws {
        var configuration = try configuration()
        configuration.listen = ["0.0.0.0:7401"]
        configuration.audit.witnesses = ["nosuch"]
        configuration.access.operatorGroups = ["liaison-operatorz"]
        configuration.access.auditorGroups = ["root"]
        let warnings = StartupWarnings.of(configuration, keyring: try Keyring(peers: []))
        #expect(warnings.count == 3, "\(warnings)")
        #expect(warnings.contains { $0.contains("0.0.0.0:7401") && $0.contains("advertise") })
        #expect(warnings.contains { $0.contains("witnesses names nosuch") })
        #expect(warnings.contains { $0.contains("operator-groups names the group liaison-operatorz") })
        configuration.advertise = ["liaison.example.org:7401"]
        #expect(StartupWarnings.of(configuration, keyring: try Keyring(peers: [])).count == 2)
    }
}
