import LiaisonDaemon
import LiaisonStore

SQLiteSetup.applyAtProcessStart()   // before any thread opens a database
await DaemonCommand.runFromCommandLine()
