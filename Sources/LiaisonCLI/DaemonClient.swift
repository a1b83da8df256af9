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

    func connect() throws -> ControlClient { try ControlClient(path: socketPath) }
}
