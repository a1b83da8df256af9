import Foundation
import LiaisonCore
import LiaisonCrypto

// liaison-bench: prints the throughput of Liaison's primitives and package format.
// Build with `swift build -c release --product liaison-bench`; run with no arguments
// for everything, or `primitives`, `package`, `memory [MiB]`.
// Deploy/bench/run.sh runs this and compares the CLI with gpg and age+minisign.

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
case "all":
    try PrimitiveBenchmarks.run()
    try PackageBenchmarks.run()
default:
    FileHandle.standardError.write(Data("usage: liaison-bench [all|primitives|package|memory [MiB]]\n".utf8))
    exit(64)
}
