import Foundation

// The daemon (transport, delivery, control socket) is built in a later issue.
FileHandle.standardError.write(Data("liaisond: the daemon is not built yet; use `liaison package seal/open` offline.\n".utf8))
exit(69)
