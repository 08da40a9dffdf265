#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PeregrineCapture
import PeregrineEvents
import Synchronization

/// A capture file written while the agent runs (`peregrine capture`, `peregrine run --capture`).
///
/// The consumer thread copies each record into the block being gathered and, when the block
/// is full (or once a second), compresses it there, while its records are still in this
/// core's cache. The finished block goes through a bounded queue to a thread that only
/// writes, so a slow or stuck disk never stalls the consumer: when the queue is full the
/// block is dropped and counted instead. A file that fails is counted the same way. What was
/// dropped is written into the file's end block, so whoever replays it is told.
///
/// Why compress here and not on the writer thread (CPU per event of the whole process, the
/// variants alternated under one open load): with raw 256 KiB blocks compressed there,
/// `capture` cost ~15-20% more than the single-threaded writer this replaced; compressing
/// 1 MiB blocks here costs ~3% more than that writer; and in `run --capture`, raw 1 MiB blocks
/// compressed on the writer thread cost ~4% more than compressing them here.
///
/// With a size limit the capture rotates, as logs do: once the file has reached the limit
/// it is closed with its end block and renamed `FILE.1` (`FILE.1` becoming `FILE.2`, and so
/// on; the oldest beyond the files kept is removed), and a new `FILE` starts with a header
/// and a snapshot of the processes at that moment. Each file replays on its own. So an agent
/// left recording keeps its latest events in a bounded amount of disk.
public final class CaptureOutput: @unchecked Sendable {
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Size-based rotation (see the type's description).
    public struct Rotation: Sendable {
        /// A file is closed once it holds this many bytes (it may pass it by its last block).
        public var maxBytes: UInt64
        /// Files kept, the one being written included (at least 1: then the full file is
        /// replaced by the new one).
        public var files: Int

        public init(maxBytes: UInt64, files: Int) {
            self.maxBytes = maxBytes
            self.files = max(files, 1)
        }
    }

    /// What a new file needs, asked for on the consumer thread when one starts.
    public struct Sources {
        /// The processes to snapshot (the agent's process table, or a scan of /proc).
        public var processes: () -> [PeregrineEvents.ProcessInfo]
        /// The probe's totals so far: records it tried to deliver, and lost.
        public var kernel: () -> (attempted: UInt64, lost: UInt64)

        public init(processes: @escaping () -> [PeregrineEvents.ProcessInfo], kernel: @escaping () -> (attempted: UInt64, lost: UInt64)) {
            self.processes = processes
            self.kernel = kernel
        }
    }

    /// What happened to the records handed to the output (totals since it opened, over all
    /// files).
    public struct Counters: Sendable, Equatable {
        public var received: UInt64 = 0
        public var written: UInt64 = 0
        /// Not written: the queue was full, the file had failed, shutdown did not wait, or the
        /// record was longer than the probe ever writes.
        public var dropped: UInt64 = 0
        public var bytesWritten: UInt64 = 0
        /// Files closed by rotation.
        public var rotations: UInt64 = 0
        /// The failure that stopped the capture, if one did.
        public var failure: String?
    }

    public let path: String
    private let queue: BoundedQueue<Item>

    /// What the writer thread is handed, in file order.
    enum Item {
        /// A block ready for write(2), and how many records it holds.
        case block(bytes: [UInt8], records: UInt64)
        /// Close the file with `end`, shift the older files along, and start a new one with
        /// `start` (its header and process snapshot).
        case rotate(end: [UInt8], start: [UInt8])
    }

    // Consumer thread only.
    private let gathering = RecordBlock()
    private let encoder: BlockEncoder
    private let bootToEpochNs: Int64
    private let metadata: [(String, String)]
    private let rotation: Rotation?
    private let sources: Sources
    private var lastHandOffNs: UInt64
    private var received: UInt64 = 0
    /// Records never queued: the queue was full, or the record could not be stored.
    private var droppedBeforeQueue: UInt64 = 0
    /// The current file, as queued: its size, its records, what was dropped while it was
    /// current, the kernel's totals when it started, and the evt.num of the next block's
    /// first record (a dropped block does not count, so the numbering has no gap).
    private var fileBytes: UInt64 = 0
    private var fileRecords: UInt64 = 0
    private var fileDropped: UInt64 = 0
    private var fileKernelStart: (attempted: UInt64, lost: UInt64) = (0, 0)
    private var nextNumber: UInt64 = 1
    /// The current file is full: a new one starts before the next block.
    private var rotationDue = false
    private var rotations: UInt64 = 0

    // Writer thread; the counters are read by the consumer.
    private var fd: Int32
    private let written = Atomic<UInt64>(0)
    private let droppedByWriter = Atomic<UInt64>(0)
    private let bytesWritten = Atomic<UInt64>(0)
    private let idle = Atomic<Bool>(true)
    private let stopped = Atomic<Bool>(false)
    private let failure = Mutex<String?>(nil)

    /// Creates (or replaces) `path` and writes the file header and the process snapshot at
    /// once; records follow through `append`. `queueBlocks`: finished blocks that may wait for
    /// the writer (each at most `CaptureFormat.maxRawEventBytes` plus one record, compressed).
    public init(path: String, level: Int32, bootToEpochNs: Int64, metadata: [(String, String)],
                sources: Sources, rotation: Rotation? = nil, queueBlocks: Int = 4, nowNs: UInt64) throws {
        self.path = path
        self.bootToEpochNs = bootToEpochNs
        self.metadata = metadata
        self.rotation = rotation
        self.sources = sources
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OpenError(description: "\(path): cannot create: \(String(cString: strerror(errno)))") }
        encoder = BlockEncoder(level: level)
        queue = BoundedQueue(capacity: queueBlocks)
        lastHandOffNs = nowNs
        let start = fileStart()
        if let problem = Self.writeAll(fd, start) {
            close(fd)
            throw OpenError(description: "\(path): \(problem)")
        }
        bytesWritten.store(UInt64(start.count), ordering: .relaxed)
        let thread = Thread { [self] in writeItems() }
        thread.name = "peregrine-capture"
        thread.start()
    }

    /// A new file's header and process snapshot; its counts start from here.
    private func fileStart() -> [UInt8] {
        let start = CaptureWriter.header(bootToEpochNs: bootToEpochNs, metadata: metadata)
            + CaptureWriter.processSnapshot(sources.processes())
        fileBytes = UInt64(start.count)
        fileRecords = 0
        fileDropped = 0
        fileKernelStart = sources.kernel()
        nextNumber = 1
        return start
    }

    /// The current file's end block: its records, the kernel's counts while it was current,
    /// and what the capture dropped meanwhile (plus `undelivered`).
    private func fileEnd(undelivered: UInt64 = 0) -> [UInt8] {
        let kernel = sources.kernel()
        return CaptureWriter.end(events: fileRecords, kernelAttempted: kernel.attempted &- fileKernelStart.attempted,
                                 kernelLost: kernel.lost &- fileKernelStart.lost, writerDropped: fileDropped + undelivered)
    }

    /// One record, on the consumer thread: a copy into the block being gathered. In the
    /// agent, call it after the record has updated the process table, so a file that starts
    /// here snapshots the table its first record follows.
    @inline(__always)
    public func append(_ record: UnsafeRawBufferPointer) {
        received &+= 1
        if !gathering.append(record) { drop(1) }
        if gathering.isFull { handOff(nowNs: nil) }
    }

    /// From the consumer loop between polls: hands over what has gathered once a second, so
    /// the file is never more than about a second behind.
    public func tick(nowNs: UInt64) {
        if gathering.recordCount > 0 && nowNs &- lastHandOffNs >= 1_000_000_000 { handOff(nowNs: nowNs) }
    }

    private func handOff(nowNs: UInt64?) {
        lastHandOffNs = nowNs ?? Self.monotonicNs()
        let records = UInt64(gathering.recordCount)
        // A rotation the queue had no room for is retried first; blocks wait behind it.
        if rotationDue && !queueRotation() {
            gathering.removeAll()
            drop(records)
            return
        }
        let bytes = encoder.eventsBlock(gathering, firstNumber: nextNumber)
        gathering.removeAll()
        guard queue.push(.block(bytes: bytes, records: records)) else {
            drop(records)
            return
        }
        queued(records: records, bytes: bytes.count)
    }

    /// A block of the current file is in the queue; the file may now be full.
    private func queued(records: UInt64, bytes: Int) {
        nextNumber += records
        fileRecords += records
        fileBytes += UInt64(bytes)
        if let rotation, fileBytes >= rotation.maxBytes {
            rotationDue = true
            _ = queueRotation()
        }
    }

    private func drop(_ records: UInt64) {
        droppedBeforeQueue &+= records
        fileDropped &+= records
    }

    /// Queues the end of this file and the start of the next; false when the queue is full.
    private func queueRotation() -> Bool {
        let saved = (fileBytes, fileRecords, fileDropped, fileKernelStart, nextNumber)
        let end = fileEnd()
        guard queue.push(.rotate(end: end, start: fileStart())) else {
            (fileBytes, fileRecords, fileDropped, fileKernelStart, nextNumber) = saved
            return false
        }
        rotationDue = false
        rotations += 1
        return true
    }

    public var counters: Counters {
        Counters(received: received, written: written.load(ordering: .acquiring),
                 dropped: droppedBeforeQueue + droppedByWriter.load(ordering: .acquiring),
                 bytesWritten: bytesWritten.load(ordering: .relaxed), rotations: rotations, failure: failure.withLock { $0 })
    }

    /// Whether the capture has failed (nothing more will be written).
    public var hasFailed: Bool { failure.withLock { $0 != nil } }

    /// Hands over the last records, waits up to `timeoutNs` for the writer to write what is
    /// queued, then closes the file with its end block. If the writer does not finish in
    /// time the end block is left out, which a reader reports as a capture stopped abruptly;
    /// the records it did not write are counted as dropped.
    public func finish(timeoutNs: UInt64) -> Counters {
        let deadline = Self.monotonicNs() &+ timeoutNs
        // Behind a rotation still due, the last records, encoded once; the queue has room
        // again as soon as the writer has taken an item.
        var last: (bytes: [UInt8], records: UInt64)?
        // A full file with nothing left for a new one just ends.
        if gathering.recordCount == 0 { rotationDue = false }
        while rotationDue || gathering.recordCount > 0 || last != nil {
            if rotationDue { _ = queueRotation() }
            if !rotationDue {
                if last == nil && gathering.recordCount > 0 {
                    last = (encoder.eventsBlock(gathering, firstNumber: nextNumber), UInt64(gathering.recordCount))
                    gathering.removeAll()
                }
                if let block = last, queue.push(.block(bytes: block.bytes, records: block.records)) {
                    last = nil
                    // Not `queued`: a file full now is closed below, with no new one after it.
                    nextNumber += block.records
                    fileRecords += block.records
                    break
                }
            }
            if Self.monotonicNs() >= deadline {
                drop((last?.records ?? 0) + UInt64(gathering.recordCount))
                gathering.removeAll()
                break
            }
            usleep(1_000)
        }
        while !(queue.count == 0 && idle.load(ordering: .acquiring)) && Self.monotonicNs() < deadline { usleep(1_000) }
        let drained = queue.count == 0 && idle.load(ordering: .acquiring)
        queue.close()
        while drained && !stopped.load(ordering: .acquiring) { usleep(1_000) }
        var c = counters
        // Received but neither written nor counted yet: left in the queue.
        c.dropped = c.received - c.written
        if drained {
            if c.failure == nil {
                let end = fileEnd()
                if let problem = Self.writeAll(fd, end) { c.failure = "\(path): \(problem)" } else { c.bytesWritten += UInt64(end.count) }
            }
            close(fd)
        }
        return c
    }

    /// The writer thread: writes each item in order, or counts its records once the capture
    /// has failed.
    private func writeItems() {
        while true {
            guard let item = queue.peek(waitingUpTo: 100_000_000) else {
                if queue.isClosed { break }
                continue
            }
            idle.store(false, ordering: .releasing)
            let failed = failure.withLock { $0 } != nil
            switch item {
            case .block(let bytes, let records):
                let problem = failed ? nil : Self.writeAll(fd, bytes).map { "\(path): \($0)" }
                if let problem { failure.withLock { $0 = problem } }
                if failed || problem != nil {
                    droppedByWriter.add(records, ordering: .releasing)
                } else {
                    bytesWritten.add(UInt64(bytes.count), ordering: .relaxed)
                    written.add(records, ordering: .releasing)
                }
            case .rotate(let end, let start):
                if !failed, let problem = rotate(end: end, start: start) { failure.withLock { $0 = problem } }
            }
            queue.removeFirst()
            idle.store(true, ordering: .releasing)
        }
        stopped.store(true, ordering: .releasing)
    }

    /// Closes the current file with `end`, shifts FILE.k to FILE.k+1 (removing the oldest
    /// beyond the files kept) and FILE to FILE.1, and opens a new FILE with `start`.
    private func rotate(end: [UInt8], start: [UInt8]) -> String? {
        if let problem = Self.writeAll(fd, end) { return "\(path): \(problem)" }
        bytesWritten.add(UInt64(end.count), ordering: .relaxed)
        close(fd)
        fd = -1
        let kept = rotation?.files ?? 1
        func name(_ k: Int) -> String { k == 0 ? path : "\(path).\(k)" }
        if kept == 1 {
            unlink(path)
        } else {
            unlink(name(kept - 1))
            for k in stride(from: kept - 2, through: 0, by: -1) where access(name(k), F_OK) == 0 {
                if Glibc.rename(name(k), name(k + 1)) != 0 {
                    return "\(name(k)): cannot rename to \(name(k + 1)): \(String(cString: strerror(errno)))"
                }
            }
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "\(path): cannot create: \(String(cString: strerror(errno)))" }
        if let problem = Self.writeAll(fd, start) { return "\(path): \(problem)" }
        bytesWritten.add(UInt64(start.count), ordering: .relaxed)
        return nil
    }

    /// nil, or why the bytes did not all reach the file.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return "write failed: \(String(cString: strerror(errno)))"
            }
            offset += n
        }
        return nil
    }

    static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
