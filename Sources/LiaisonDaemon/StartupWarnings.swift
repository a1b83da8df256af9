import Foundation
import LiaisonCore

/// Settings that start the daemon but will not do what the operator meant: said
/// once, at start, at warning level (the strict parser has already refused what
/// cannot be read at all).
enum StartupWarnings {
    /// The warnings for `configuration` and `keyring`; `groupExists` tells whether
    /// the system knows a group name (getgrnam in the daemon).
    static func of(_ configuration: NodeConfiguration, keyring: Keyring, groupExists: (String) -> Bool = StartupWarnings.groupExists) -> [String] {
        var warnings: [String] = []
        if configuration.listen.isEmpty {
            warnings.append("liaison.toml has no listen address ([node] listen): this node sends, and takes receipts on its own connections, but partners cannot deliver to it; add one, e.g. listen = [\"0.0.0.0:7401\"], with advertise set to where partners reach it")
        }
        if configuration.advertise == nil, let wildcard = configuration.listen.first(where: NetworkAddress.isWildcard) {
            warnings.append("listen \(wildcard) is a wildcard address partners cannot dial, and [node] advertise is not set: `keys card` and `keys rotate` refuse until it is")
        }
        for name in configuration.audit.witnesses ?? [] where keyring.peer(named: name) == nil {
            warnings.append("[audit] witnesses names \(name), which is no peer in the keyring: it witnesses nothing (see `liaison peers list`)")
        }
        let access = configuration.access
        for (key, groups) in [("operator-groups", access.operatorGroups), ("auditor-groups", access.auditorGroups)] {
            for group in groups where !groupExists(group) {
                warnings.append("[access] \(key) names the group \(group), which this system does not know: nobody gets that role through it")
            }
        }
        return warnings
    }

    /// Whether the system's group database knows `name`.
    static func groupExists(_ name: String) -> Bool {
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        return getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0 && result != nil
    }
}
