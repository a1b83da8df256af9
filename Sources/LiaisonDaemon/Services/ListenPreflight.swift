import NIOCore
import NIOPosix

/// Binds each listen address (and the metrics address) once, and lets it go, before
/// the daemon writes anything: a start that cannot listen (the address taken by
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
        for (address, setting, purpose) in addresses {
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { continue }
            let host = String(address[..<colon]).trimmingCharacters(in: ["[", "]"])
            do {
                let channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: host, port: port).get()
                try await channel.close()
            } catch {
                throw BindFailure.error(error, address: address, setting: setting, purpose: purpose)
            }
        }
    }
}
