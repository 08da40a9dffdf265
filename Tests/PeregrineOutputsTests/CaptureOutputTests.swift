#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PeregrineCapture
import PeregrineEvents
import PeregrineOutputs
import Synchronization
import Testing

/// The live capture file: records in on one thread, blocks written on another, and every
/// record that did not make it into the file counted there and in the end block.
typealias ProcessInfo = PeregrineEvents.ProcessInfo

@Suite struct CaptureOutputTests {
    static func records(_ n: Int) -> [[UInt8]] {
        (0..<n).map { i in
            var w = RecordWriter(kind: .open, syscall: .openat, timestampBootNs: UInt64(1000 + i), pid: UInt32(100 + i % 7),
                                 ppid: 1, uid: 1000, comm: "python3")
            w.put(Int64(3), at: WireLayout.Open.res)
            w.put(UInt32(0o101), at: WireLayout.Open.flags)
            // Lengths vary, so records need different padding.
            w.string("/data/" + String(repeating: "d", count: i % 13) + "/model-\(i).pt", at: WireLayout.Open.path)
            w.string("model-\(i).pt", at: WireLayout.Open.raw)
            return w.bytes()
        }
    }

    static func path(_ name: String) -> String { "/tmp/pg-capture-output-\(getpid())-\(name)" }

    struct ReadBack {
        var records: [[UInt8]] = []
        var numbers: [UInt64] = []
        var processes: [ProcessInfo] = []
        var summary: CaptureReader.Summary?
    }

    static func read(_ path: String) throws -> ReadBack {
        var r = ReadBack()
        let reader = try CaptureReader(path: path)
        r.summary = try reader.read(processes: { r.processes += $0 }, record: { n, b in
            r.numbers.append(n)
            r.records.append(Array(b))
        })
        return r
    }

    /// Sources for a test: a fixed process list, and kernel totals the test sets.
    final class Kernel: @unchecked Sendable {
        var attempted: UInt64 = 0
        var lost: UInt64 = 0
    }

    static func sources(_ kernel: Kernel = Kernel(), processes: @escaping () -> [ProcessInfo] = { [] }) -> CaptureOutput.Sources {
        CaptureOutput.Sources(processes: processes, kernel: { (kernel.attempted, kernel.lost) })
    }

    static func process(_ pid: UInt32) -> ProcessInfo {
        ProcessInfo(pid: pid, ppid: 1, name: "python3", exePath: "/usr/bin/python3", args: ["train.py"], cwd: "/srv")
    }

    @Test func writesEveryRecordInOrderWithItsEndBlock() throws {
        let file = Self.path("all")
        defer { unlink(file) }
        // Appending here outruns any compressor: the queue holds all of it (none is dropped).
        let input = Self.records(20_000)
        var now: UInt64 = 1_000_000_000
        let kernel = Kernel()
        let output = try CaptureOutput(path: file, level: 1, bootToEpochNs: 42, metadata: [("hostname", "node-1")],
                                       sources: Self.sources(kernel, processes: { [Self.process(100)] }), queueBlocks: 64, nowNs: now)
        for (i, r) in input.enumerated() {
            r.withUnsafeBytes { output.append($0) }
            if i % 3_000 == 2_999 {
                now += 1_000_000_000
                output.tick(nowNs: now)  // a small block, as the agent hands over once a second
            }
        }
        (kernel.attempted, kernel.lost) = (20_003, 3)
        let counters = output.finish(timeoutNs: 60_000_000_000)
        #expect(counters.received == 20_000 && counters.written == 20_000 && counters.dropped == 0)
        #expect(counters.failure == nil)
        var size = stat()
        stat(file, &size)
        #expect(counters.bytesWritten == UInt64(size.st_size))

        let back = try Self.read(file)
        #expect(back.records == input)
        #expect(back.numbers == Array(1...20_000))
        #expect(back.processes.map(\.pid) == [100])
        #expect(back.summary?.closedCleanly == true)
        #expect(back.summary?.kernelAttempted == 20_003 && back.summary?.kernelLost == 3)
        #expect(back.summary?.writerDropped == 0 && back.summary?.missing == 3)
    }

    /// The file is a FIFO nobody reads at first: the writer blocks in write(2) on its first
    /// events block, the queue fills, and later blocks are dropped. Appending never waits.
    /// Once a reader drains the FIFO, what was queued is written and the end block counts the rest.
    @Test func aWriterThatFallsBehindCostsBlocksCountedInTheEndBlock() throws {
        let fifo = Self.path("fifo")
        unlink(fifo)
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // A reader must exist before the writer's open returns; it reads nothing yet.
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #expect(readEnd >= 0)
        // Level 0: a block of 1 MiB stays that size, more than the FIFO's 64 KiB buffer.
        let kernel = Kernel()
        let output = try CaptureOutput(path: fifo, level: 0, bootToEpochNs: 42, metadata: [], sources: Self.sources(kernel),
                                       queueBlocks: 2, nowNs: 0)
        let input = Self.records(60_000)
        for r in input { r.withUnsafeBytes { output.append($0) } }
        let behind = output.counters
        #expect(behind.received == 60_000)
        #expect(behind.written == 0)
        #expect(behind.dropped > 0)

        // Now drain the FIFO to its end (the output closes it in `finish`).
        _ = fcntl(readEnd, F_SETFL, 0)
        let drained = Mutex<[UInt8]>([])
        let done = Atomic<Bool>(false)
        let reader = Thread {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                drained.withLock { $0 += chunk[0..<n] }
            }
            done.store(true, ordering: .releasing)
        }
        reader.start()
        kernel.attempted = 60_000
        let counters = output.finish(timeoutNs: 20_000_000_000)
        while !done.load(ordering: .acquiring) { usleep(1_000) }
        close(readEnd)

        #expect(counters.failure == nil)
        #expect(counters.written > 0 && counters.dropped > 0)
        #expect(counters.written + counters.dropped == 60_000)
        #expect(counters.dropped >= behind.dropped)
        let copy = Self.path("fifo-copy")
        defer { unlink(copy) }
        let bytes = drained.withLock { $0 }
        #expect(UInt64(bytes.count) == counters.bytesWritten)
        let fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let back = try Self.read(copy)
        // Numbered without gaps (the reader would reject a missing block), each record intact
        // and in order: the file holds whole blocks of what was appended.
        #expect(back.numbers == Array(1...counters.written))
        #expect(back.records.count == Int(counters.written))
        var next = 0
        for r in back.records {
            guard let at = input[next...].firstIndex(of: r) else {
                Issue.record("a record read back is not among those appended after the previous one")
                break
            }
            next = at + 1
        }
        #expect(back.summary?.closedCleanly == true)
        #expect(back.summary?.writerDropped == counters.dropped)
        #expect(back.summary?.missing == counters.dropped)
    }

    /// With a size limit the capture rotates: the files kept hold the latest records, each
    /// one a capture of its own (header, its own process snapshot, numbering from 1, an end
    /// block with its own counts), and the oldest beyond the files kept are gone.
    @Test func rotationKeepsTheLatestRecordsInFilesThatEachReplay() throws {
        let file = Self.path("rotating")
        func name(_ k: Int) -> String { k == 0 ? file : "\(file).\(k)" }
        defer { for k in 0...4 { unlink(name(k)) } }
        let kernel = Kernel()
        var snapshots: UInt32 = 0
        // Level 0: blocks are their raw size. A tick every 500 records makes blocks of about
        // 64 KiB, so a 160 KiB limit closes a file every three blocks.
        let output = try CaptureOutput(path: file, level: 0, bootToEpochNs: 42, metadata: [],
                                       sources: Self.sources(kernel, processes: {
                                           snapshots += 1
                                           return [Self.process(1000 + snapshots)]
                                       }),
                                       rotation: CaptureOutput.Rotation(maxBytes: 160 << 10, files: 3), queueBlocks: 64, nowNs: 0)
        let input = Self.records(20_000)
        var now: UInt64 = 0
        for (i, r) in input.enumerated() {
            kernel.attempted += 1
            r.withUnsafeBytes { output.append($0) }
            if i % 500 == 499 {
                now += 1_000_000_000
                output.tick(nowNs: now)
            }
        }
        let counters = output.finish(timeoutNs: 60_000_000_000)
        #expect(counters.failure == nil)
        #expect(counters.written == 20_000 && counters.dropped == 0)
        #expect(counters.rotations >= 10)
        #expect(access(name(3), F_OK) != 0)

        // Oldest first, the files kept hold one unbroken run of the latest records.
        var held: [[UInt8]] = []
        var pids: [UInt32] = []
        for k in [2, 1, 0] {
            let back = try Self.read(name(k))
            #expect(back.numbers == Array(1...UInt64(back.records.count)))
            #expect(back.summary?.closedCleanly == true)
            // The kernel's counts while this file was current: one record attempted per record.
            #expect(back.summary?.kernelAttempted == UInt64(back.records.count))
            #expect(back.summary?.writerDropped == 0)
            #expect(back.processes.count == 1)
            pids += back.processes.map(\.pid)
            held += back.records
        }
        #expect(held == Array(input.suffix(held.count)))
        #expect(held.count >= 2_000)
        // Each file snapshots the processes when it starts: the later the file, the later the snapshot.
        #expect(pids == pids.sorted() && Set(pids).count == 3)
    }

    /// A record longer than the probe ever writes would stop a reader at its block: it is
    /// counted as dropped instead, and the records around it are kept.
    @Test func aRecordLongerThanTheProbeWritesIsCountedNotStored() throws {
        let file = Self.path("oversized")
        defer { unlink(file) }
        let output = try CaptureOutput(path: file, level: 1, bootToEpochNs: 0, metadata: [], sources: Self.sources(), nowNs: 0)
        let input = Self.records(3)
        var huge = input[0] + [UInt8](repeating: 0x41, count: WireLayout.maxRecord)
        let size = UInt32(huge.count)
        huge.withUnsafeMutableBytes { $0.storeBytes(of: size.littleEndian, as: UInt32.self) }
        input[0].withUnsafeBytes { output.append($0) }
        huge.withUnsafeBytes { output.append($0) }
        input[2].withUnsafeBytes { output.append($0) }
        let counters = output.finish(timeoutNs: 60_000_000_000)
        #expect(counters.received == 3 && counters.written == 2 && counters.dropped == 1)
        let back = try Self.read(file)
        #expect(back.records == [input[0], input[2]])
        #expect(back.summary?.writerDropped == 1)
    }

    @Test func aFileThatCannotBeWrittenIsAnErrorNamingIt() {
        for path in ["/nonexistent-dir/capture.pgcap", "/dev/full"] {
            do {
                _ = try CaptureOutput(path: path, level: 1, bootToEpochNs: 0, metadata: [], sources: Self.sources(), nowNs: 0)
                Issue.record("\(path): no error")
            } catch {
                #expect("\(error)".hasPrefix(path + ": "))
            }
        }
    }
}
