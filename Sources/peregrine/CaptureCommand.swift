#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import PeregrineCapture
import PeregrineEvents
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
        let fd = open(w, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            printError("\(w): cannot create: \(String(cString: strerror(errno)))")
            throw ExitCodeError.badInput
        }
        defer { close(fd) }
        var file = OutputStream(fd: fd)

        let probe = try openProbe(Probe.Options())
        file.write(CaptureWriter.header(bootToEpochNs: BootClock.bootToEpochOffsetNs(), metadata: hostMetadata()))
        file.write(CaptureWriter.processSnapshot(ProcScanner.scan()))
        file.flush()

        var writer = CaptureWriter(compressionLevel: level)
        var lastFlush = Deadline.nowNs()
        let stats = LiveLoop(probe: probe, deadline: Deadline(seconds: duration)).run(
            onRecord: { record in
                if let block = writer.append(record) {
                    file.write(block)
                    file.flush()
                }
            },
            onTick: {
                if Deadline.nowNs() - lastFlush >= 1_000_000_000, let block = writer.flush() {
                    file.write(block)
                    file.flush()
                    lastFlush = Deadline.nowNs()
                }
                return !file.failed
            }
        )
        if let block = writer.flush() { file.write(block) }
        file.write(CaptureWriter.end(events: writer.recordsWritten, kernelAttempted: stats.attempted, kernelLost: stats.lost))
        file.flush()
        probe.close()
        if file.failed {
            printError("\(w): write failed: \(String(cString: strerror(errno)))")
            throw ExitCodeError.badInput
        }
        printError("\(w): \(writer.recordsWritten) events; kernel lost \(stats.lost)")
    }

    private func hostMetadata() -> [(String, String)] {
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
