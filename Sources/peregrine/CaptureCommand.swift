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

    @Option(help: "Block compression level (libdeflate, zlib format): 1 (default) is the fastest that compresses; 0 stores blocks uncompressed (least CPU, 10-50x the size); up to 12 (smallest, slowest).")
    var level: Int32 = 1

    @Option(name: .customLong("max-mb"), help: "Rotate: once the file reaches this many MiB, it becomes FILE.1 (FILE.1 becomes FILE.2, ...) and a new FILE starts (default: one file, no limit).")
    var maxMiB: UInt64?

    @Option(help: "With --max-mb: files kept, the one being written included.")
    var files = 4

    func validate() throws {
        guard (0...12).contains(level) else { throw ValidationError("--level must be 0 to 12, not \(level)") }
        try Self.validateRotation(maxMiB: maxMiB, files: files, names: ("--max-mb", "--files"))
    }

    func run() throws {
        try Self.checkWritable(w)
        StopSignal.install()
        let probe = try openProbe(Probe.Options())
        let output = try Self.openCapture(w, level: level, bootToEpochNs: BootClock.bootToEpochOffsetNs(),
                                          rotation: Self.rotation(maxMiB: maxMiB, files: files), probe: probe,
                                          processes: { ProcScanner.scan() })
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: { output.append($0) },
            onTick: {
                output.tick(nowNs: Deadline.nowNs())
                return !output.hasFailed
            }
        )
        let result = output.finish(timeoutNs: 10_000_000_000)
        probe.close()
        if let failure = result.failure {
            printError(failure)
            throw ExitCodeError.badInput
        }
        printError("\(w): " + Self.summary(result, kernelLost: stats.lost))
    }

    /// Creates the capture file with its header and a snapshot of `processes` (so replay knows
    /// the processes that were there before the first record), or exits 1.
    /// `bootToEpochNs`: the clock offset the agent stamps alerts with, so that replay stamps
    /// the same events with the same times.
    static func openCapture(_ path: String, level: Int32, bootToEpochNs: Int64, rotation: CaptureOutput.Rotation?,
                            probe: Probe, processes: @escaping () -> [PeregrineEvents.ProcessInfo]) throws -> CaptureOutput {
        let sources = CaptureOutput.Sources(processes: processes, kernel: {
            let s = probe.stats()
            return (s.attempted, s.lost)
        })
        do {
            return try CaptureOutput(path: path, level: level, bootToEpochNs: bootToEpochNs, metadata: hostMetadata(),
                                     sources: sources, rotation: rotation, nowNs: Deadline.nowNs())
        } catch {
            printError("\(error)")
            throw ExitCodeError.badInput
        }
    }

    /// Exits 1 at once, before the probe is loaded, when the capture's folder does not exist
    /// or cannot be written (the file itself is created once the probe is attached).
    static func checkWritable(_ path: String) throws {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        guard access(folder.isEmpty ? "/" : folder, W_OK | X_OK) == 0 else {
            printError("\(path): cannot create: \(String(cString: strerror(errno)))")
            throw ExitCodeError.badInput
        }
    }

    static func validateRotation(maxMiB: UInt64?, files: Int, names: (String, String)) throws {
        if let maxMiB, maxMiB > 1 << 40 { throw ValidationError("\(names.0) \(maxMiB) is more than any disk") }
        guard (1...1000).contains(files) else { throw ValidationError("\(names.1) must be 1 to 1000, not \(files)") }
    }

    /// nil for no limit (0 MiB, or none given).
    static func rotation(maxMiB: UInt64?, files: Int) -> CaptureOutput.Rotation? {
        guard let maxMiB, maxMiB > 0 else { return nil }
        return CaptureOutput.Rotation(maxBytes: maxMiB << 20, files: files)
    }

    static func summary(_ c: CaptureOutput.Counters, kernelLost: UInt64) -> String {
        "\(c.written) events; kernel lost \(kernelLost); writer dropped \(c.dropped)" + (c.rotations > 0 ? "; \(c.rotations) files rotated" : "")
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
