import Foundation
import LiaisonControl
import LiaisonCore

/// What a control-socket caller may do.
enum ControlRole: String, Sendable {
    /// Every command.
    case `operator`
    /// Read-only: status, receipts and the audit log.
    case auditor

    /// Commands an auditor may run: nothing that changes state or reveals plaintext.
    static let auditorCommands: Set<ControlRequest.Command> = [
        .status, .receipts, .auditQuery, .auditLeaves, .auditCheckpoint, .auditKeys, .auditProve, .auditWitnessed,
    ]

    func permits(_ command: ControlRequest.Command) -> Bool {
        self == .operator || Self.auditorCommands.contains(command)
    }

    /// The uid the kernel reports for a caller it cannot map into the daemon's user
    /// namespace (a unit with `PrivateUsers=`): nobody can be told apart then.
    static let overflowUID: UInt32 = 65_534

    /// The role of a caller: root and the daemon's own user are operators; others by
    /// the groups in `[access]`; anyone else (or unknown credentials) has none.
    static func of(uid: UInt32, gid: UInt32, daemonUID: UInt32, access: AccessSettings,
                   groupsOf: (UInt32, UInt32) -> [String]) -> ControlRole? {
        if uid == 0 || uid == daemonUID { return .operator }
        if uid == overflowUID { return nil }
        let groups = Set(groupsOf(uid, gid))
        if !groups.isDisjoint(with: access.operatorGroups) { return .operator }
        if !groups.isDisjoint(with: access.auditorGroups) { return .auditor }
        return nil
    }

    /// The names of `uid`'s primary group `gid` and its supplementary groups.
    /// Uses the reentrant `getpwuid_r`/`getgrgid_r`: control connections are served
    /// concurrently, and the plain calls share static buffers.
    static func systemGroups(uid: UInt32, gid: UInt32) -> [String] {
        var names: [String] = []
        if let name = groupName(gid) { names.append(name) }
        var buffer = [CChar](repeating: 0, count: 16_384)
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let login = entry.pw_name else { return names }
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(login, gid, &ids, &count) == -1, count > 64, count <= 65_536 {
            ids = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(login, gid, &ids, &count)
        }
        for id in ids.prefix(Int(max(0, min(count, Int32(ids.count))))) {
            if let name = groupName(id) { names.append(name) }
        }
        return names
    }

    /// The name of group `gid`, if it has one.
    static func groupName(_ gid: gid_t) -> String? {
        var buffer = [CChar](repeating: 0, count: 16_384)
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name else { return nil }
        return String(cString: name)
    }

    /// The group the control socket in `home` gets: the home's own if it is setgid,
    /// else this process's.
    static func socketGroup(home: NodeHome) -> String? {
        var info = stat()
        let inherited = stat(home.path, &info) == 0 && (info.st_mode & S_ISGID) != 0
        return groupName(inherited ? info.st_gid : getegid())
    }

    /// Why `access` would make every caller who can open the socket an operator, or
    /// nil: auditors need to open it too, so the socket's group (`socketGroup`, which
    /// lets them) must not be an operator group while auditor groups are named.
    static func misconfiguration(of access: AccessSettings, socketGroup: String?) -> String? {
        guard let socketGroup, !access.auditorGroups.isEmpty, access.operatorGroups.contains(socketGroup) else { return nil }
        return "[access] operator-groups names \"\(socketGroup)\", the control socket's group: auditors (auditor-groups) must be "
            + "in it to open the socket, and would then be operators too. Name a group of their own for operators "
            + "(e.g. operator-groups = [\"liaison-operators\"]) and put operators in both"
    }
}
