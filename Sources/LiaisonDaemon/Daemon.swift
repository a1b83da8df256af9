import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import Logging
import Metrics
import Prometheus
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The Liaison daemon: loads the node, then runs its services — the transport
/// listener, the delivery scheduler and the control socket — in one
/// `ServiceGroup`. SIGTERM, SIGINT and SIGHUP (unless ignored from the start:
/// ``ShutdownSignals``) shut it down gracefully: it stops accepting work and lets
/// transfers in flight finish (bounded by the drain timeout).
public struct Daemon {
    let context: DaemonContext
    /// Held while the daemon lives: one daemon per node.
    private let lock: HomeLock

    /// Loads the node at `home` (decrypting its keys with `passphrase`).
    public init(home: String, passphrase: PassphraseSource, logger: Logger) throws {
        let configuration = try NodeHome(path: home).loadConfiguration()
        try self.init(home: home, passphrase: passphrase, logger: logger, settings: DaemonSettings(configuration.daemon))
    }

    init(home: String, passphrase: PassphraseSource, logger: Logger, settings: DaemonSettings) throws {
        let nodeHome = NodeHome(path: home)
        let loaded = try nodeHome.loadConfiguration()
        // Before anything is changed: a rotation finished, files swept, the socket taken.
        lock = try HomeLock(home: nodeHome)
        // A control socket path the kernel cannot take fails the start here, said plainly.
        let socket = ControlFraming.socketPath(home: nodeHome.path)
        let socketLimit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        guard socket.utf8.count <= socketLimit else {
            throw CoreError(.invalidArgument, "the control socket \(socket) would be \(socket.utf8.count) bytes long, over the \(socketLimit) a Unix socket path may have: move the node's home to a shorter path, or give --home as a shorter relative path")
        }
        // Fail closed, before anything starts: a configuration that makes auditors operators.
        if let problem = ControlRole.misconfiguration(of: loaded.access, socketGroup: ControlRole.socketGroup(home: nodeHome)) {
            throw CoreError(.malformedConfig, problem)
        }
        // A `keys rotate` cut off by a crash is finished before anything else.
        let loadedText = try? String(contentsOfFile: nodeHome.configurationPath, encoding: .utf8)
        let configuration = try nodeHome.completingInterruptedRotation(loaded)
        let (secrets, sealing): (NodeSecrets, KeyFile.SealingKey)
        do {
            (secrets, sealing) = try nodeHome.loadSecretsRetainingKey(configuration, passphrase: passphrase)
        } catch let error as CoreError where error.code == .keyFileMalformed && configuration.publicKeys != loaded.publicKeys {
            // The key file does not hold the keys the rotation statement names (found in an
            // operator's trial: a backup copied over a node that had rotated since): no
            // rotation was cut off, or the key file would be the new one. liaison.toml is put
            // back as it was (without reading the passphrase again: it may come from a pipe).
            guard let loadedText else { throw error }
            try AtomicOutputFile.write(Array(loadedText.utf8), to: nodeHome.configurationPath, mode: 0o600)
            throw CoreError(.keyFileMalformed, "keys/rotation.txt says this node rotated to \(configuration.publicKeys.fingerprint), but its key file does not hold those keys: the home mixes files from before and after that rotation (a backup copied over a node that rotated since?); liaison.toml was left as it was. Restore the whole home from one backup, with the daemon stopped")
        }
        if configuration.publicKeys != loaded.publicKeys {
            logger.notice("finished a key rotation that was interrupted: this node's keys are those of \(configuration.publicKeys.fingerprint)")
        }
        context = try DaemonContext(home: nodeHome, configuration: configuration, secrets: secrets, sealing: sealing,
                                    settings: settings, logger: logger)
    }

    /// Runs until SIGTERM, SIGINT or SIGHUP.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = TransportListener(context: context, group: group)
        let scheduler = DeliveryScheduler(context: context, group: group)
        let control = ControlServer(context: context, group: group)
        let checkpointer = AuditCheckpointer(context: context, witnessing: WitnessClient(context: context, group: group))
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: listener), .init(service: scheduler), .init(service: control), .init(service: checkpointer),
            .init(service: RevocationRetrier(context: context, group: group)),
            .init(service: RotationRetrier(context: context, group: group)),
            .init(service: SpoolSweeper(context: context)),
            // Ends once it has spoken; that must not stop the others.
            .init(service: ShutdownNotice(context: context), successTerminationBehavior: .ignore),
        ]
        if let address = context.configuration.daemon.metricsListen {
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.durationHistogramBuckets[DaemonMetrics.deliverySecondsLabel] = DaemonMetrics.deliverySecondsBuckets
            MetricsSystem.bootstrap(factory)
            DaemonMetrics.registerAlertSeries()
            services.append(.init(service: MetricsServer(address: address, registry: registry, group: group, logger: context.logger)))
        }
        var configuration = ServiceGroupConfiguration(services: services,
                                                      gracefulShutdownSignals: ShutdownSignals.hangUpStops ? [.sigterm, .sigint, .sighup] : [.sigterm, .sigint],
                                                      logger: context.logger)
        // Transfers in flight get this long to finish after SIGTERM, then are cancelled.
        configuration.maximumGracefulShutdownDuration = .nanoseconds(context.settings.drainTimeout.nanoseconds)
        let serviceGroup = ServiceGroup(configuration: configuration)
        context.logger.notice("liaisond \(context.configuration.name) (\(context.fingerprint.short)) starting")
        for warning in StartupWarnings.of(context.configuration, keyring: context.peers.keyring) { context.logger.warning("\(warning)") }
        if let warning = FileDescriptorBudget.raise(for: context.settings) { context.logger.warning("\(warning)") }
        // Nothing is written (no `daemon.started`, no checkpoint) by a start that cannot listen.
        try await ListenPreflight.check(listen: context.configuration.listen, metrics: context.configuration.daemon.metricsListen, group: group)
        do {
            // A daemon that cannot audit does not run. What a crash left in the store's
            // audit journal goes into the log first.
            try await context.carryOverAuditJournal()
            // names-receipts: this version's package.delivered and package.received name
            // their receipt (`liaison audit match` checks receipts from then on).
            var started = ["pid": String(getpid()), "audit-size": String(try context.auditLog.size()), "names-receipts": "true"]
            if let renumbering = context.journalRenumbering {
                context.logger.warning("the store's audit journal stood at \(renumbering.storeWasAt), behind the audit log's mark \(renumbering.logMark) for it: liaison.db was restored from a backup or replaced, or a power cut took back its newest receipts (they come again with their packages); its journal now numbers on from \(renumbering.logMark)")
                started["journal-renumbered"] = "\(renumbering.storeWasAt)->\(renumbering.logMark)"
            }
            try await context.audit(context.event(.daemonStarted, details: started))
            await context.failDeliveriesToAbsentPeers()
            // A peer revoked by an older release had only its current key on file.
            for peer in context.peers.keyring.peers where peer.revoked {
                do {
                    try context.home.recordRevokedPeers(context.home.identitiesEverHeld(by: peer))
                } catch {
                    context.logger.warning("the earlier keys of revoked peer \(peer.name) could not be recorded revoked: \(error)")
                }
            }
            let orphans: (files: Int, bytes: UInt64)
            do {
                let known = try context.store.inboxFileNames()
                orphans = InboxOrphans.setAside(directory: context.inboxDirectory, known: known) { [logger = context.logger] name, why in
                    logger.warning("inbox/\(name) names no received package but could not be moved aside (\(why)); left where it is")
                }
            } catch {
                context.logger.warning("the inbox's files were not checked for orphans: the received packages could not be read (\(error))")
                orphans = (0, 0)
            }
            if orphans.files > 0 {
                context.logger.warning("moved \(orphans.files) package file(s) that no received package names (\(orphans.bytes) bytes) to inbox/\(InboxOrphans.directoryName)/: left by receptions that could not be recorded, or liaison.db was restored from a backup older than they are; `liaison package open` opens them")
            }
            try await serviceGroup.run()
        } catch {
            await context.auditAfterTheFact(context.event(.daemonStopped, .failed, reason: "\(error)"))
            checkpointIntoFiles()
            throw error
        }
        await context.auditAfterTheFact(context.event(.daemonStopped))
        // Sign the tail, the stop itself included (witnesses see it at the next start).
        _ = try? context.signCheckpoint()
        checkpointIntoFiles()
        context.logger.notice("liaisond stopped")
    }

    /// Both databases into their own files, once the services have stopped (cleanly
    /// or not): a copy of a stopped node's liaison.db or audit.db is then complete
    /// without its -wal file.
    private func checkpointIntoFiles() {
        for (path, checkpoint) in [(context.store.path, context.store.checkpointIntoFile), (context.auditLog.path, context.auditLog.checkpointIntoFile)] {
            do { try checkpoint() } catch {
                context.logger.warning("\(path) keeps part of its content in \(path)-wal (\(error)); copy both files together")
            }
        }
    }
}
