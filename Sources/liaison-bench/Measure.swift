import Foundation

/// Timing helpers: run a body repeatedly for about `seconds` and report a rate.
enum Measure {
    /// Calls `body` in batches until `seconds` have passed; returns operations per second.
    static func rate(seconds: Double = 1.0, batch: Int = 100, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<batch { try body() }  // warm-up
        let clock = ContinuousClock()
        let start = clock.now
        var operations = 0
        var elapsed: Double = 0
        repeat {
            for _ in 0..<batch { try body() }
            operations += batch
            elapsed = (clock.now - start).seconds
        } while elapsed < seconds
        return Double(operations) / elapsed
    }

    /// Runs `body` once and returns the elapsed seconds.
    static func once(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return (clock.now - start).seconds
    }

    static func row(_ name: String, _ value: String, target: String = "") {
        let padded = name.padding(toLength: 46, withPad: " ", startingAt: 0)
        print("  \(padded) \(value.padding(toLength: 16, withPad: " ", startingAt: 0)) \(target)")
        fflush(nil)
    }

    static func perSecond(_ rate: Double) -> String {
        rate >= 1000 ? String(format: "%.1fk/s", rate / 1000) : String(format: "%.0f/s", rate)
    }

    static func megabytesPerSecond(_ bytes: Double, _ seconds: Double) -> String {
        String(format: "%.0f MB/s", bytes / seconds / 1e6)
    }

    /// User plus system CPU time, in seconds, of this process's threads called
    /// `name` (as `/proc/self/task/*/comm` shows them), those still running.
    static func threadCPUSeconds(named name: String) -> Double {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var ticks = 0.0
        for task in tasks {
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .newlines) == name,
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the command name, utime and stime are the 12th and 13th fields.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            ticks += user + system
        }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// User plus system CPU time this process has used, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident set size of this process, in MiB.
    static func peakResidentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
