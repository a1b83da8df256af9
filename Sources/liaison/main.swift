import Foundation
import LiaisonCLI
import LiaisonStore

SQLiteSetup.applyAtProcessStart()   // before any thread opens a database
exit(await LiaisonCommand.main())
