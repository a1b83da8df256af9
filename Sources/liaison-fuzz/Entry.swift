import Foundation

// liaison-fuzz: the parsers that take outside input, under a coverage-guided fuzzer.
//
// Built by Deploy/fuzz/run.sh with `--sanitize fuzzer` and `-D LIAISON_FUZZ`:
// libFuzzer then provides `main` and calls `LLVMFuzzerTestOneInput` with the
// target named by the LIAISON_FUZZ_TARGET environment variable. In an ordinary
// build the same executable replays inputs (`liaison-fuzz TARGET FILE…`), to
// reproduce a finding under a debugger, and writes starting corpora
// (`liaison-fuzz seeds DIR`).

/// The target this process fuzzes, read once.
private let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["LIAISON_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("set LIAISON_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(64)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    fuzzTarget.run(bytes)
    return 0
}

#if !LIAISON_FUZZ
@main
struct Replay {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "seeds", arguments.count == 2 {
            try FuzzSeeds.write(to: arguments[1])
            return
        }
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[0]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: liaison-fuzz \(names) FILE…   or   liaison-fuzz seeds DIR\n".utf8))
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(66)
            }
            target.run(Array(data))
            print("\(path): no finding")
        }
    }
}
#endif
