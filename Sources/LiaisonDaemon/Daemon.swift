import Foundation
import LiaisonCore
import LiaisonCrypto
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Liaison daemon: loads the node, then runs its services — the transport
/// listener, the delivery scheduler and the control socket — in one
/// `ServiceGroup`. SIGTERM and SIGINT shut it down gracefully: it stops accepting
/// work and lets transfers in flight finish (bounded by the drain timeout).
public struct Daemon {
    let context: DaemonContext

    /// Loads the node at `home` (decrypting its keys with `passphrase`).
    public init(home: String, passphrase: PassphraseSource, logger: Logger) throws {
        let configuration = try NodeHome(path: home).loadConfiguration()
        try self.init(home: home, passphrase: passphrase, logger: logger, settings: DaemonSettings(configuration.daemon))
    }

    init(home: String, passphrase: PassphraseSource, logger: Logger, settings: DaemonSettings) throws {
        let nodeHome = NodeHome(path: home)
        let configuration = try nodeHome.loadConfiguration()
        let secrets = try nodeHome.loadSecrets(configuration, passphrase: passphrase)
        context = try DaemonContext(home: nodeHome, configuration: configuration, secrets: secrets, settings: settings, logger: logger)
    }

    /// Runs until SIGTERM/SIGINT.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = TransportListener(context: context, group: group)
        let scheduler = DeliveryScheduler(context: context, group: group)
        let control = ControlServer(context: context, group: group)
        let serviceGroup = ServiceGroup(configuration: .init(
            services: [.init(service: listener), .init(service: scheduler), .init(service: control)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: context.logger))
        context.logger.notice("liaisond \(context.configuration.name) (\(context.fingerprint.short)) starting")
        try await serviceGroup.run()
        context.logger.notice("liaisond stopped")
    }
}
