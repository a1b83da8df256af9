import Foundation
import LiaisonCore
import NIOCore

/// A listening socket that could not be opened, told so that an operator knows
/// what to do: which address, for what, and the likely fix.
enum BindFailure {
    /// `error`, met binding `address` (the `setting` of liaison.toml) for `purpose`.
    static func error(_ error: any Error, address: String, setting: String, purpose: String) -> CoreError {
        let reason: String
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE:
                reason = "the address is already in use (another liaisond, or another program: `ss -ltnp` shows which); stop it or change \(setting) in liaison.toml"
            case EADDRNOTAVAIL:
                reason = "no interface of this machine has that address; change \(setting) in liaison.toml"
            case EACCES:
                reason = "permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE); choose another port in \(setting) of liaison.toml"
            default:
                reason = String(cString: strerror(io.errnoCode))
            }
        } else {
            reason = "\(error); check \(setting) in liaison.toml"
        }
        return CoreError(.io, "cannot listen on \(address) for \(purpose): \(reason)")
    }
}
