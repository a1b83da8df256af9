import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

/// Options of commands that talk to the running daemon.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's home directory (default: $LIAISON_HOME, else ~/.liaison).", valueName: "dir"))
    var home: String?

    @Option(name: .long, help: ArgumentHelp("The daemon's control socket (default: <home>/liaisond.sock).", valueName: "path"))
    var socket: String?

    @Flag(name: .long, help: "Print machine-readable JSON instead of text for people.")
    var json = false

    var socketPath: String {
        if let socket { return socket }
        return ControlFraming.socketPath(home: HomeOptions.resolve(home).path)
    }

    /// Says on standard error when `--socket` reached the daemon of another node than
    /// the home (`--home`, `$LIAISON_HOME` or the default) names, which then `did` what
    /// was asked, as itself. Silent without `--socket`, or when the home's
    /// configuration cannot be read (an operator by group, say).
    func warnIfAnotherNode(_ node: String?, did: String) {
        guard let socket, let node, let own = try? HomeOptions.resolve(home).loadConfiguration().name, own != node else { return }
        FileHandle.standardError.write(Data("warning: the daemon at \(socket) is node \(node), not \(own) (the home's node): \(node) \(did), as itself\n".utf8))
    }

    /// A connection to the daemon. When nothing listens at the home's socket, says
    /// whether no node lives there at all (a mistyped --home), its daemon is starting
    /// or stopping (it holds the node's lock), or it is not running, with the home's
    /// own path in the command that starts it.
    func connect() throws -> ControlClient {
        do {
            return try ControlClient(path: socketPath)
        } catch let failure as ControlFailure where failure.code == "control.daemon-not-running" && socket == nil {
            let node = HomeOptions.resolve(home)
            var info = stat()
            // Only a home known to hold no node: one this user may not look into is not "missing".
            if stat(node.configurationPath, &info) != 0 && errno == ENOENT {
                throw CoreError(.nodeMissing, "no node at \(node.path); check --home (or $LIAISON_HOME), or create one with `liaison init --home \(node.path) --name NAME`")
            }
            // A daemon that holds the node's lock but serves no socket is starting, or
            // stopping while its transfers in flight finish: starting another would fail.
            if let pid = try? DaemonLock.holder(of: node, otherwise: "") {
                throw ControlFailure(code: "control.not-ready",
                                     message: "liaisond\(pid.isEmpty ? "" : " (pid \(pid))") runs for the node at \(node.path) but does not answer on \(socketPath): it is starting, or stopping while transfers in flight finish (up to 20 s); retry in a moment")
            }
            throw ControlFailure(code: failure.code,
                                 message: "liaisond is not running for the node at \(node.path) (no listener at \(socketPath)); start it with `liaisond --home \(node.path)` (given the key passphrase: --passphrase-file FILE or $LIAISON_PASSPHRASE) or `systemctl start liaisond`")
        } catch let failure as ControlFailure where failure.code == "control.permission-denied" && socket == nil {
            let node = HomeOptions.resolve(home)
            // The socket may be open to the group while the home around it is not.
            guard access(node.path, X_OK) != 0 else { throw failure }
            throw ControlFailure(code: failure.code,
                                 message: "cannot reach \(socketPath): the node's home \(node.path) is closed to you; for the node's group to use the socket, open the home to it (`chgrp GROUP \(node.path) && chmod 0750 \(node.path)`; the systemd unit does this with StateDirectoryMode=0750), and ask to be added to an operator or auditor group")
        }
    }
}
