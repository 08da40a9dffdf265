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
/// Why compress here and not on the writer thread: handing raw 256 KiB blocks over to be
/// compressed there cost ~15-20% more CPU per event than the single-threaded writer it
/// replaced; compressing 1 MiB blocks here and handing over only the result costs ~3% more
/// (`scripts/bench-capture`, and the same runs alternated under one load).
public final class CaptureOutput: @unchecked Sendable {
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What happened to the records handed to the output (totals since it opened).
    public struct Counters: Sendable, Equatable {
        public var received: UInt64 = 0
        public var written: UInt64 = 0
        /// Not written: the queue was full, the file had failed, or shutdown did not wait.
        public var dropped: UInt64 = 0
        public var bytesWritten: UInt64 = 0
        /// The write(2) failure that stopped the file, if one did.
        public var failure: String?
    }

    public let path: String
    private let fd: Int32
    private let queue: BoundedQueue<EncodedBlock>

    /// A block ready for write(2), and how many records it holds.
    struct EncodedBlock {
        var bytes: [UInt8]
        var records: UInt64
    }

    // Consumer thread only.
    private let gathering = RecordBlock()
    private let encoder: BlockEncoder
    private var lastHandOffNs: UInt64
    private var received: UInt64 = 0
    private var droppedQueueFull: UInt64 = 0
    /// evt.num of the next block's first record: records queued so far, plus one (a dropped
    /// block does not count, so the file's numbering has no gap).
    private var nextNumber: UInt64 = 1

    // Writer thread, read by the consumer.
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
                processes: [PeregrineEvents.ProcessInfo], queueBlocks: Int = 4, nowNs: UInt64) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OpenError(description: "\(path): cannot create: \(String(cString: strerror(errno)))") }
        encoder = BlockEncoder(level: level)
        queue = BoundedQueue(capacity: queueBlocks)
        lastHandOffNs = nowNs
        let start = CaptureWriter.header(bootToEpochNs: bootToEpochNs, metadata: metadata) + CaptureWriter.processSnapshot(processes)
        if let problem = Self.writeAll(fd, start) {
            close(fd)
            throw OpenError(description: "\(path): \(problem)")
        }
        bytesWritten.store(UInt64(start.count), ordering: .relaxed)
        let thread = Thread { [self] in writeBlocks() }
        thread.name = "peregrine-capture"
        thread.start()
    }

    /// One record, on the consumer thread: a copy into the block being gathered.
    @inline(__always)
    public func append(_ record: UnsafeRawBufferPointer) {
        received &+= 1
        gathering.append(record)
        if gathering.isFull { handOff(nowNs: nil) }
    }

    /// From the consumer loop between polls: hands over what has gathered once a second, so
    /// the file is never more than about a second behind.
    public func tick(nowNs: UInt64) {
        if gathering.recordCount > 0 && nowNs &- lastHandOffNs >= 1_000_000_000 { handOff(nowNs: nowNs) }
    }

    private func handOff(nowNs: UInt64?) {
        let block = finishBlock()
        if queue.push(block) {
            nextNumber += block.records
        } else {
            droppedQueueFull &+= block.records
        }
        lastHandOffNs = nowNs ?? Self.monotonicNs()
    }

    /// The gathered records as a block, numbered as the next in the file; gathering restarts.
    private func finishBlock() -> EncodedBlock {
        let block = EncodedBlock(bytes: encoder.eventsBlock(gathering, firstNumber: nextNumber), records: UInt64(gathering.recordCount))
        gathering.removeAll()
        return block
    }

    public var counters: Counters {
        let w = written.load(ordering: .acquiring)
        return Counters(received: received, written: w, dropped: droppedQueueFull + droppedByWriter.load(ordering: .acquiring),
                        bytesWritten: bytesWritten.load(ordering: .relaxed), failure: failure.withLock { $0 })
    }

    /// Whether the file has failed (nothing more will be written to it).
    public var hasFailed: Bool { failure.withLock { $0 != nil } }

    /// Hands over the last records, waits up to `timeoutNs` for the writer to write what is
    /// queued, then closes the file with its end block (the kernel's counters and what the
    /// writer dropped). If the writer does not finish in time the end block is left out,
    /// which a reader reports as a capture stopped abruptly; the records it did not write are
    /// counted as dropped.
    public func finish(kernelAttempted: UInt64, kernelLost: UInt64, timeoutNs: UInt64) -> Counters {
        let deadline = Self.monotonicNs() &+ timeoutNs
        if gathering.recordCount > 0 {
            let block = finishBlock()
            // The queue has room again as soon as the writer has written a block.
            var queued = queue.push(block)
            while !queued && Self.monotonicNs() < deadline {
                usleep(1_000)
                queued = queue.push(block)
            }
            if queued { nextNumber += block.records }
        }
        while !(queue.count == 0 && idle.load(ordering: .acquiring)) && Self.monotonicNs() < deadline { usleep(1_000) }
        let drained = queue.count == 0 && idle.load(ordering: .acquiring)
        queue.close()
        while drained && !stopped.load(ordering: .acquiring) { usleep(1_000) }
        var c = counters
        // Received but neither written nor counted yet: left in the queue, or the last
        // records when the queue stayed full.
        c.dropped = c.received - c.written
        if drained && c.failure == nil {
            let end = CaptureWriter.end(events: c.written, kernelAttempted: kernelAttempted, kernelLost: kernelLost,
                                        writerDropped: c.dropped)
            if let problem = Self.writeAll(fd, end) { c.failure = problem } else { c.bytesWritten += UInt64(end.count) }
        }
        close(fd)
        return c
    }

    /// The writer thread: writes each block in order, or counts it once the file has failed.
    private func writeBlocks() {
        while true {
            guard let block = queue.peek(waitingUpTo: 100_000_000) else {
                if queue.isClosed { break }
                continue
            }
            idle.store(false, ordering: .releasing)
            if failure.withLock({ $0 }) == nil {
                if let problem = Self.writeAll(fd, block.bytes) {
                    failure.withLock { $0 = problem }
                    droppedByWriter.add(block.records, ordering: .releasing)
                } else {
                    bytesWritten.add(UInt64(block.bytes.count), ordering: .relaxed)
                    written.add(block.records, ordering: .releasing)
                }
            } else {
                droppedByWriter.add(block.records, ordering: .releasing)
            }
            queue.removeFirst()
            idle.store(true, ordering: .releasing)
        }
        stopped.store(true, ordering: .releasing)
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
