import Foundation
import LiaisonControl
import LiaisonCore

/// What a control-socket caller may do.
enum ControlRole: String, Sendable {
    /// Every command.
    case `operator`
    /// Read-only: status and receipts (and the audit log, when it lands).
    case auditor

    /// Commands an auditor may run: nothing that changes state or reveals plaintext.
    static let auditorCommands: Set<ControlRequest.Command> = [.status, .receipts]

    func permits(_ command: ControlRequest.Command) -> Bool {
        self == .operator || Self.auditorCommands.contains(command)
    }

    /// The role of a caller: root and the daemon's own user are operators; others by
    /// the groups in `[access]`; anyone else (or unknown credentials) has none.
    static func of(uid: UInt32, gid: UInt32, daemonUID: UInt32, access: AccessSettings,
                   groupsOf: (UInt32, UInt32) -> [String]) -> ControlRole? {
        if uid == 0 || uid == daemonUID { return .operator }
        let groups = Set(groupsOf(uid, gid))
        if !groups.isDisjoint(with: access.operatorGroups) { return .operator }
        if !groups.isDisjoint(with: access.auditorGroups) { return .auditor }
        return nil
    }

    /// The names of `uid`'s primary group `gid` and its supplementary groups.
    static func systemGroups(uid: UInt32, gid: UInt32) -> [String] {
        var names: [String] = []
        if let group = getgrgid(gid) { names.append(String(cString: group.pointee.gr_name)) }
        guard let user = getpwuid(uid) else { return names }
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user.pointee.pw_name, gid, &ids, &count) == -1, count > 64 {
            ids = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(user.pointee.pw_name, gid, &ids, &count)
        }
        for id in ids.prefix(Int(max(0, count))) {
            if let group = getgrgid(id) { names.append(String(cString: group.pointee.gr_name)) }
        }
        return names
    }
}
