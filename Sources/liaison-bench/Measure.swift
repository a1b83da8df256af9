import Foundation
import LiaisonCore

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

    /// CPU time, in seconds, of this process's threads called `name` (as
    /// `/proc/self/task/*/comm` shows them), those still running. Read from each
    /// thread's CPU-time clock (Linux's clock id for a thread id), to the nanosecond.
    static func threadCPUSeconds(named name: String) -> Double {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var seconds = 0.0
        for task in tasks {
            guard let tid = Int32(task),
                  let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .newlines) == name else { continue }
            // MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in the kernel's posix-timers.h.
            var time = timespec()
            guard clock_gettime(clockid_t((~tid) << 3 | 6), &time) == 0 else { continue }
            seconds += Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        return seconds
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
