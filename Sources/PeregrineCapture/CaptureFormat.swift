/// Peregrine's own capture file: the probe's ring-buffer records, verbatim, in checksummed
/// zlib blocks, after a header and a process-table snapshot.
///
///   file   := FileHeader ProcessSnapshot? (Events | ProcessSnapshot)* End?
///   block  := type:u32 length:u32 body[length-12] crc32:u32       (little-endian)
///             `length` counts the whole block; the CRC-32 covers type, length and body.
///
///   FileHeader (PGCF)  magic "PEREGRIN" | format:u16 | reserved:u16 | byteOrder:u32=0x1A2B3C4D
///                      | wireVersion:u32 | bootToEpochNs:i64 | count:u16 | (key:str16 value:str16)*
///   ProcessSnapshot (PGPS)  count:u32 | entry*   (see `ProcessSnapshotCodec`)
///   Events (PGEV)      records:u32 | rawLength:u32 | firstNumber:u64 | zlib(record, record, ...)
///                      each record as the probe wrote it, padded to 8 bytes
///   End (PGEN)         events:u64 | kernelAttempted:u64 | kernelLost:u64 | writerDropped:u64?
///                      the last field only when not 0: records the writer received but did
///                      not write (it fell behind or its file failed); readers ignore what
///                      follows the fields they know
///
/// A block is written with one write(2) once complete, so after a crash the file is valid up
/// to its last complete block; a reader reports a torn last block with its offset.
public enum CaptureFormat {
    public static let magic: [UInt8] = Array("PEREGRIN".utf8)
    public static let version: UInt16 = 1
    public static let byteOrderMark: UInt32 = 0x1A2B_3C4D

    /// Block type tags (ASCII, read as little-endian u32).
    public enum BlockType: UInt32, CaseIterable, Sendable {
        case fileHeader = 0x4643_4750 // "PGCF"
        case processSnapshot = 0x5350_4750 // "PGPS"
        case events = 0x5645_4750 // "PGEV"
        case end = 0x4E45_4750 // "PGEN"

        public var name: String {
            switch self {
            case .fileHeader: return "file header"
            case .processSnapshot: return "process snapshot"
            case .events: return "events"
            case .end: return "end"
            }
        }
    }

    public static let blockOverhead = 12
    /// No block may claim more than this: a length beyond it is corruption, not a big block.
    public static let maxBlockLength = 16 << 20
    /// Records per events block are gathered up to this many uncompressed bytes.
    public static let maxRawEventBytes = 1 << 20
}

/// Little-endian encoding helpers shared by writer and reader.
struct ByteEncoder {
    var bytes: [UInt8] = []

    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func str16(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
        u16(UInt16(utf8.count))
        bytes += utf8
    }
}

/// Bounds-checked little-endian reads; every read can fail instead of trapping.
struct ByteDecoder {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u16() -> UInt16? { read(UInt16.self) }
    mutating func u32() -> UInt32? { read(UInt32.self) }
    mutating func u64() -> UInt64? { read(UInt64.self) }
    mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }

    mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard remaining >= MemoryLayout<T>.size else { return nil }
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func str16() -> String? {
        guard let n = u16(), remaining >= Int(n) else { return nil }
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(n))]), as: UTF8.self)
        offset += Int(n)
        return s
    }
}
