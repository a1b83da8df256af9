import LiaisonCore
import NIOCore
import NIOPosix

/// Binds each listen address (and the metrics address) once, and lets them go, before
/// the daemon writes its `daemon.started` entry or signs a checkpoint (what opening
/// its databases did before is upkeep, not a record): a start that cannot listen (the address taken by
/// another liaisond — a copy of this node started by mistake, say — or another
/// program) then fails before its `daemon.started` entry and its first checkpoint.
/// Found in an operator's trial: such a start on a backup's copy of a node wrote
/// both into that copy's log and signed a checkpoint of it with the node's key.
/// The services bind again for good a moment later; what takes an address between
/// the two still fails the start, as before.
enum ListenPreflight {
    /// Throws the listener's own error (``BindFailure``) for the first address that cannot be bound.
    static func check(listen: [String], metrics: String?, group: any EventLoopGroup) async throws {
        let addresses = listen.map { ($0, "listen", "partner daemons") } + (metrics.map { [($0, "metrics-listen", "metrics")] } ?? [])
        // All held until the last is bound: addresses that clash with each other (the
        // same one twice, 0.0.0.0:P beside 127.0.0.1:P) fail here too.
        var bound: [any Channel] = []
        defer { for channel in bound { channel.close(promise: nil) } }
        for (address, setting, purpose) in addresses {
            guard let (host, port) = NetworkAddress.hostAndPort(address) else { continue }
            do {
                bound.append(try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    // A connection that lands in this moment is not served: closed at once.
                    .childChannelInitializer { $0.close() }
                    .bind(host: host, port: port).get())
            } catch {
                throw BindFailure.error(error, address: address, setting: setting, purpose: purpose)
            }
        }
    }
}
