import CDeflate
import PeregrineEvents

/// Turns records into capture blocks. Pure: it returns finished blocks as bytes and the
/// caller writes each with one write(2), so memory stays bounded by one block and a crash
/// leaves a file that is valid up to its last complete block.
public struct CaptureWriter {
    private var pending: [UInt8] = []
    private var pendingCount: UInt32 = 0
    private var firstNumber: UInt64 = 1
    public private(set) var recordsWritten: UInt64 = 0
    private let compressor: BlockCompressor

    /// `compressionLevel`: libdeflate's, 1...12; 1 is fast and still shrinks records about
    /// 10x (paths and argv repeat a lot).
    public init(compressionLevel: Int32 = 1) {
        pending.reserveCapacity(CaptureFormat.maxRawEventBytes + WireLayout.maxRecord)
        compressor = BlockCompressor(level: compressionLevel)
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

    public static func end(events: UInt64, kernelAttempted: UInt64, kernelLost: UInt64) -> [UInt8] {
        var e = ByteEncoder()
        e.u64(events); e.u64(kernelAttempted); e.u64(kernelLost)
        return block(.end, e.bytes)
    }

    /// Adds one record; returns an events block when enough has gathered.
    public mutating func append(_ record: UnsafeRawBufferPointer) -> [UInt8]? {
        pending.append(contentsOf: record)
        let padding = (8 - record.count % 8) % 8
        if padding > 0 { pending.append(contentsOf: repeatElement(0, count: padding)) }
        pendingCount += 1
        recordsWritten += 1
        return pending.count >= CaptureFormat.maxRawEventBytes ? flush() : nil
    }

    /// The events gathered so far as a block (nil if none): call on a timer and at the end.
    public mutating func flush() -> [UInt8]? {
        guard pendingCount > 0 else { return nil }
        var e = ByteEncoder()
        e.u32(pendingCount)
        e.u32(UInt32(pending.count))
        e.u64(firstNumber)
        pending.withUnsafeBytes { compressor.compress($0, appendingTo: &e.bytes) }
        firstNumber += UInt64(pendingCount)
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
        return Self.block(.events, e.bytes)
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

/// A libdeflate compressor and its output room, reused block after block. The output is an
/// RFC 1950 zlib stream (what the format specifies; zlib itself inflates it too). Why not
/// zlib's `compress2`: libdeflate compresses whole buffers, which is what a block is, at
/// level 1 about 1.6x faster than zlib's level 1 (1,074 → 652 ns per event over
/// bench/workload.pgcap's records, one core) and 8% smaller.
final class BlockCompressor {
    private let compressor: OpaquePointer
    private var room: [UInt8] = []

    init(level: Int32) {
        // nil: a level outside 0...12, or out of memory.
        guard let c = libdeflate_alloc_compressor(level) else { fatalError("libdeflate: no compressor for level \(level)") }
        compressor = c
    }

    deinit { libdeflate_free_compressor(compressor) }

    func compress(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
        let bound = libdeflate_zlib_compress_bound(compressor, input.count)
        if room.count < bound { room = [UInt8](repeating: 0, count: bound) }
        let length = room.withUnsafeMutableBytes { r in
            libdeflate_zlib_compress(compressor, input.baseAddress, input.count, r.baseAddress, bound)
        }
        // 0 means the output did not fit, which the bound rules out.
        precondition(length > 0, "libdeflate: a block did not fit the bound it gave")
        out += room[0..<length]
    }
}
