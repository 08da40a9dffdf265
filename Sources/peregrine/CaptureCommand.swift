#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PeregrineCapture
import PeregrineEvents
import PeregrineOutputs
import PeregrineProbe

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Record live kernel events into a capture file for `peregrine replay`.",
        discussion: "SIGINT, SIGTERM or --duration close the file cleanly. After a crash the file is readable up to its last complete block (blocks are flushed at least every second)."
    )

    @Option(name: .short, help: "The capture file to write (replaced if it exists).")
    var w: String

    @Option(help: "Stop cleanly after this many seconds.")
    var duration: Double?

    @Option(help: "Block compression level (libdeflate, zlib format): 1 (default) is the fastest that compresses; 0 stores blocks uncompressed (least CPU, ~5x the size); up to 12 (smallest, slowest).")
    var level: Int32 = 1

    func validate() throws {
        guard (0...12).contains(level) else { throw ValidationError("--level must be 0 to 12, not \(level)") }
    }

    func run() throws {
        StopSignal.install()
        let probe = try openProbe(Probe.Options())
        let output = try Self.openCapture(w, level: level, bootToEpochNs: BootClock.bootToEpochOffsetNs())
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: { output.append($0) },
            onTick: {
                output.tick(nowNs: Deadline.nowNs())
                return !output.hasFailed
            }
        )
        let result = output.finish(kernelAttempted: stats.attempted, kernelLost: stats.lost, timeoutNs: 10_000_000_000)
        probe.close()
        if let failure = result.failure {
            printError("\(w): \(failure)")
            throw ExitCodeError.badInput
        }
        printError("\(w): " + Self.summary(result, kernelLost: stats.lost))
    }

    /// Creates the capture file with its header and a snapshot of the running processes (so
    /// replay knows the processes that were there before the first record), or exits 1.
    /// `bootToEpochNs`: the clock offset the agent stamps alerts with, so that replay stamps
    /// the same events with the same times.
    static func openCapture(_ path: String, level: Int32, bootToEpochNs: Int64) throws -> CaptureOutput {
        do {
            return try CaptureOutput(path: path, level: level, bootToEpochNs: bootToEpochNs,
                                     metadata: hostMetadata(), processes: ProcScanner.scan(), nowNs: Deadline.nowNs())
        } catch {
            printError("\(error)")
            throw ExitCodeError.badInput
        }
    }

    static func summary(_ c: CaptureOutput.Counters, kernelLost: UInt64) -> String {
        "\(c.written) events; kernel lost \(kernelLost); writer dropped \(c.dropped)"
    }

    private static func hostMetadata() -> [(String, String)] {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        }
        return [
            ("hostname", field(u.nodename)), ("kernel", field(u.release)), ("machine", field(u.machine)),
            ("writer", "peregrine"),
        ]
    }
}
