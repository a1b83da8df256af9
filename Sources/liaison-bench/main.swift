import Foundation
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

// liaison-bench: prints the throughput of Liaison's primitives and package format.
// Build with `swift build -c release --product liaison-bench`; run with no arguments
// for the in-process figures, or `primitives`, `package`, `memory [MiB]`, or
// `daemon [packages] [large MiB] [clients]` for two real daemons on loopback, or
// `audit [events]` for the audit log.
// Deploy/bench/run.sh runs this and compares the CLI with gpg and age+minisign.

SQLiteSetup.applyAtProcessStart()   // as the daemon and the CLI do, before any thread opens a database
let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? "all"
print("liaison-bench — libsodium \(Sodium.version), \(ProcessInfo.processInfo.activeProcessorCount) cores, one thread")
switch mode {
case "primitives":
    try PrimitiveBenchmarks.run()
case "package":
    try PackageBenchmarks.run()
case "memory":
    let mib = arguments.count > 1 ? Int(arguments[1]) ?? 1024 : 1024
    try MemoryBenchmark.run(mebibytes: mib)
case "daemon":
    let small = arguments.count > 1 ? Int(arguments[1]) ?? 3000 : 3000
    let largeMiB = arguments.count > 2 ? Int(arguments[2]) ?? 100 : 100
    let clients = arguments.count > 3 ? Int(arguments[3]) ?? 16 : 16
    try DaemonBenchmark.run(small: small, concurrency: clients, largeMiB: largeMiB)
case "audit":
    let events = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
    try await AuditBenchmark.run(events: events)
case "all":
    try PrimitiveBenchmarks.run()
    try PackageBenchmarks.run()
default:
    FileHandle.standardError.write(Data("usage: liaison-bench [all|primitives|package|memory [MiB]|daemon [packages] [large MiB] [clients]|audit [events]]\n".utf8))
    exit(64)
}
