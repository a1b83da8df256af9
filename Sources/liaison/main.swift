import LiaisonCLI
import Foundation

exit(await LiaisonCommand.main())
