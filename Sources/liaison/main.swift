import Foundation
import LiaisonCLI
import LiaisonCore
import LiaisonStore

SQLiteSetup.applyAtProcessStart()   // before any thread opens a database
InterruptCleanup.removeOnTerminatingSignals()   // no half-written --out file outlives ctrl-C
exit(await LiaisonCommand.main())
