import LiaisonDaemon

await DaemonCommand.runFromCommandLine()
