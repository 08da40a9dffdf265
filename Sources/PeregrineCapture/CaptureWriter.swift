import CDeflate
import PeregrineEvents

/// Turns records into capture blocks. Pure: it returns finished blocks as bytes and the
/// caller writes each with one write(2), so memory stays bounded by one block and a crash
/// leaves a file that is valid up to its last complete block.
///
/// The two halves also work apart, for a writer on another thread (`CaptureOutput`):
/// `RecordBlock` gathers records where they arrive, `BlockEncoder` makes the block where
/// there is time to compress it.
public struct CaptureWriter {
    private let pending: RecordBlock
    private var firstNumber: UInt64 = 1
    public private(set) var recordsWritten: UInt64 = 0
    private let encoder: BlockEncoder

    /// `compressionLevel`: libdeflate's, 0...12 (see `BlockEncoder`).
    public init(compressionLevel: Int32 = 1) {
        pending = RecordBlock()
        encoder = BlockEncoder(level: compressionLevel)
    }

    /// The file header block.
    public static func header(bootToEpochNs: Int64, metadata: [(String, String)]) -> [UInt8] {
        var e = ByteEncoder()
        e.bytes += CaptureFormat.magic
        e.u16(CaptureFormat.version)
        e.u16(0)
        e.u32(CaptureFormat.byteOrderMark)
        e.u32(WireLayout.version)
        e.i64(bootToEpochNs)
        e.u16(UInt16(metadata.count))
        for (k, v) in metadata { e.str16(k); e.str16(v) }
        return block(.fileHeader, e.bytes)
    }

    public static func processSnapshot(_ processes: [ProcessInfo]) -> [UInt8] {
        block(.processSnapshot, ProcessSnapshotCodec.encode(processes))
    }

    /// `writerDropped`: records the writer received but could not write (a writer that fell
    /// behind or failed); only written when not 0, so a complete capture keeps the original
    /// three fields.
    public static func end(events: UInt64, kernelAttempted: UInt64, kernelLost: UInt64, writerDropped: UInt64 = 0) -> [UInt8] {
        var e = ByteEncoder()
        e.u64(events); e.u64(kernelAttempted); e.u64(kernelLost)
        if writerDropped > 0 { e.u64(writerDropped) }
        return block(.end, e.bytes)
    }

    /// Adds one record (see `RecordBlock.append`); returns an events block when enough has gathered.
    public mutating func append(_ record: UnsafeRawBufferPointer) -> [UInt8]? {
        pending.append(record)
        return pending.isFull ? flush() : nil
    }

    /// The events gathered so far as a block (nil if none): call on a timer and at the end.
    public mutating func flush() -> [UInt8]? {
        guard pending.recordCount > 0 else { return nil }
        let bytes = encoder.eventsBlock(pending, firstNumber: firstNumber)
        firstNumber += UInt64(pending.recordCount)
        recordsWritten += UInt64(pending.recordCount)
        pending.removeAll()
        return bytes
    }

    static func block(_ type: CaptureFormat.BlockType, _ body: [UInt8]) -> [UInt8] {
        var e = ByteEncoder()
        e.u32(type.rawValue)
        e.u32(UInt32(body.count + CaptureFormat.blockOverhead))
        e.bytes += body
        let crc = e.bytes.withUnsafeBytes { Zlib.crc32($0) }
        e.u32(crc)
        return e.bytes
    }
}

/// The records of one events block, as the format stores them (each padded to 8 bytes), in
/// memory this object owns: adding one is a copy, with no array growth or uniqueness check
/// per record. Full at `CaptureFormat.maxRawEventBytes`; it has room for one more record
/// beyond that, so `append` never refuses.
public final class RecordBlock: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    public private(set) var byteCount = 0
    public private(set) var recordCount: UInt32 = 0

    public init() {
        storage = .allocate(byteCount: CaptureFormat.maxRawEventBytes + WireLayout.maxRecord + 8, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// Enough gathered for a block.
    public var isFull: Bool { byteCount >= CaptureFormat.maxRawEventBytes }

    /// Copies `record` in. One longer than `WireLayout.maxRecord`, which the probe never
    /// writes, is refused (false): stored, it would stop a reader at its block.
    @discardableResult
    public func append(_ record: UnsafeRawBufferPointer) -> Bool {
        precondition(!isFull, "RecordBlock: append to a full block")
        let n = record.count
        guard n <= WireLayout.maxRecord else { return false }
        let padded = (n + 7) & ~7
        if let source = record.baseAddress, n > 0 {
            (storage.baseAddress! + byteCount).copyMemory(from: source, byteCount: n)
        }
        if padded > n { (storage.baseAddress! + byteCount + n).initializeMemory(as: UInt8.self, repeating: 0, count: padded - n) }
        byteCount += padded
        recordCount += 1
        return true
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<byteCount]) }

    public func removeAll() {
        byteCount = 0
        recordCount = 0
    }
}

/// Makes events blocks: a libdeflate compressor and its output room, reused block after block.
/// The output is an RFC 1950 zlib stream (what the format specifies; zlib itself inflates it
/// too). Why not zlib's `compress2`: libdeflate compresses whole buffers, which is what a
/// block is, at level 1 about 1.6x faster than zlib's level 1 (1,074 → 652 ns per event over
/// bench/workload.pgcap's records, one core) and 8% smaller. Level 0 stores the records
/// (least CPU, 10-50x the size); 12 is the smallest and slowest.
public final class BlockEncoder: @unchecked Sendable {
    private let compressor: OpaquePointer
    private var room: UnsafeMutableRawBufferPointer

    public init(level: Int32) {
        // nil: a level outside 0...12, or out of memory.
        guard let c = libdeflate_alloc_compressor(level) else { fatalError("libdeflate: no compressor for level \(level)") }
        compressor = c
        room = .allocate(byteCount: 0, alignment: 8)
    }

    deinit {
        libdeflate_free_compressor(compressor)
        room.deallocate()
    }

    /// The events block of `records`, numbered from `firstNumber` (the evt.num of its first
    /// record: the records written to the file before it, plus one).
    public func eventsBlock(_ records: RecordBlock, firstNumber: UInt64) -> [UInt8] {
        let input = records.bytes
        let bound = libdeflate_zlib_compress_bound(compressor, input.count)
        let head = 8 + 16  // block type and length, then the events header
        if room.count < head + bound + 4 {
            room.deallocate()
            room = .allocate(byteCount: head + bound + 4, alignment: 8)
        }
        // Compressed straight into place between the block's header and its checksum.
        let length = libdeflate_zlib_compress(compressor, input.baseAddress, input.count, room.baseAddress! + head, bound)
        // 0 means the output did not fit, which the bound rules out.
        precondition(length > 0, "libdeflate: a block did not fit the bound it gave")
        let total = head + length + 4
        func put32(_ v: UInt32, _ at: Int) { room.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self) }
        put32(CaptureFormat.BlockType.events.rawValue, 0)
        put32(UInt32(total), 4)
        put32(records.recordCount, 8)
        put32(UInt32(input.count), 12)
        room.storeBytes(of: firstNumber.littleEndian, toByteOffset: 16, as: UInt64.self)
        put32(Zlib.crc32(UnsafeRawBufferPointer(rebasing: room[0..<(head + length)])), head + length)
        return Array(UnsafeRawBufferPointer(rebasing: room[0..<total]))
    }
}
