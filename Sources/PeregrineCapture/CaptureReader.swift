import CZlib
import PeregrineEvents

/// Reads a Peregrine capture file block by block (memory bounded by one block). Every
/// record before a damaged spot is delivered; the damage is then thrown as a `CaptureError`
/// naming the byte offset.
public final class CaptureReader {
    public struct Header: Sendable {
        public var formatVersion: UInt16
        public var wireVersion: UInt32
        public var bootToEpochNs: Int64
        public var metadata: [(String, String)]
    }

    /// What the End block said, if the capture was closed cleanly.
    public struct Summary: Sendable {
        public var records: UInt64 = 0
        public var closedCleanly = false
        public var kernelAttempted: UInt64 = 0
        public var kernelLost: UInt64 = 0
        /// Records the writer received but did not write (see `CaptureFormat`).
        public var writerDropped: UInt64 = 0

        /// Events the capture does not hold though they happened while it was written.
        public var missing: UInt64 { kernelLost + writerDropped }
    }

    public let header: Header
    private let input: FileInput
    private var nextNumber: UInt64 = 1
    private let inflater = BlockInflater()

    public static func isCapture(prefix: [UInt8]) -> Bool {
        prefix.count >= 16 && Array(prefix[8..<16]) == CaptureFormat.magic
    }

    public convenience init(path: String) throws {
        try self.init(input: FileInput(path: path))
    }

    init(input: FileInput) throws {
        self.input = input
        let path = input.path
        guard let (type, body, start) = try Self.readBlock(input) else {
            throw CaptureError(file: path, offset: 0, "empty file: not a Peregrine capture")
        }
        guard type == CaptureFormat.BlockType.fileHeader.rawValue else {
            throw CaptureError(file: path, offset: start, "not a Peregrine capture (first block is not a file header)")
        }
        header = try body.withUnsafeBytes { raw throws -> Header in
            var d = ByteDecoder(raw)
            guard raw.count >= 8, Array(raw[0..<8]) == CaptureFormat.magic else {
                throw CaptureError(file: path, offset: start + 8, "wrong magic: not a Peregrine capture")
            }
            d.offset = 8
            guard let format = d.u16(), d.u16() != nil, let bom = d.u32(), let wire = d.u32(), let boot = d.i64(),
                  let n = d.u16() else {
                throw CaptureError(file: path, offset: start + 8, "file header too short")
            }
            guard bom == CaptureFormat.byteOrderMark else {
                throw CaptureError(file: path, offset: start + 20, "byte-order mark 0x\(String(bom, radix: 16)) is not 0x1a2b3c4d: written on a big-endian host or corrupt")
            }
            guard format == CaptureFormat.version else {
                throw CaptureError(file: path, offset: start + 16, "capture format version \(format) is not supported (this build reads \(CaptureFormat.version))")
            }
            guard wire == WireLayout.version else {
                throw CaptureError(file: path, offset: start + 24, "probe record version \(wire) is not supported (this build reads \(WireLayout.version))")
            }
            var metadata: [(String, String)] = []
            for _ in 0..<n {
                guard let k = d.str16(), let v = d.str16() else {
                    throw CaptureError(file: path, offset: start + 8 + d.offset, "file header metadata is cut short")
                }
                metadata.append((k, v))
            }
            return Header(formatVersion: format, wireVersion: wire, bootToEpochNs: boot, metadata: metadata)
        }
    }

    /// Reads to the end, handing over process snapshots and records (with their evt.num).
    /// Record bytes are valid only during the call.
    public func read(processes: ([ProcessInfo]) -> Void,
                     record: (UInt64, UnsafeRawBufferPointer) -> Void) throws -> Summary {
        var summary = Summary()
        while let (type, body, start) = try Self.readBlock(input) {
            guard let kind = CaptureFormat.BlockType(rawValue: type) else {
                throw CaptureError(file: input.path, offset: start, "unknown block type 0x\(String(type, radix: 16))")
            }
            if summary.closedCleanly {
                throw CaptureError(file: input.path, offset: start, "\(kind.name) block after the end block")
            }
            switch kind {
            case .fileHeader:
                throw CaptureError(file: input.path, offset: start, "a second file header block")
            case .processSnapshot:
                guard let list = body.withUnsafeBytes({ ProcessSnapshotCodec.decode($0) }) else {
                    throw CaptureError(file: input.path, offset: start, "malformed process snapshot block")
                }
                processes(list)
            case .events:
                try decodeEvents(body, at: start, summary: &summary, record)
            case .end:
                try body.withUnsafeBytes { raw throws in
                    var d = ByteDecoder(raw)
                    guard let events = d.u64(), let attempted = d.u64(), let lost = d.u64() else {
                        throw CaptureError(file: input.path, offset: start, "end block too short")
                    }
                    if events != summary.records {
                        throw CaptureError(file: input.path, offset: start, "end block counts \(events) events but the file holds \(summary.records)")
                    }
                    summary.kernelAttempted = attempted
                    summary.kernelLost = lost
                    summary.writerDropped = d.u64() ?? 0
                }
                summary.closedCleanly = true
            }
        }
        return summary
    }

    private func decodeEvents(_ body: [UInt8], at start: Int, summary: inout Summary,
                              _ record: (UInt64, UnsafeRawBufferPointer) -> Void) throws {
        let path = input.path
        let (count, rawLength, first) = try body.withUnsafeBytes { b throws in
            var d = ByteDecoder(b)
            guard let c = d.u32(), let r = d.u32(), let f = d.u64() else {
                throw CaptureError(file: path, offset: start + 8, "events block too short")
            }
            return (c, r, f)
        }
        guard Int(rawLength) <= 2 * CaptureFormat.maxRawEventBytes + WireLayout.maxRecord else {
            throw CaptureError(file: path, offset: start + 12, "events block claims \(rawLength) uncompressed bytes (limit \(2 * CaptureFormat.maxRawEventBytes + WireLayout.maxRecord))")
        }
        guard first == nextNumber else {
            throw CaptureError(file: path, offset: start + 16, "events block starts at event \(first), expected \(nextNumber): a block is missing")
        }
        let failure = body.withUnsafeBytes { b in inflater.inflate(UnsafeRawBufferPointer(rebasing: b[16...]), expected: Int(rawLength)) }
        if let failure {
            throw CaptureError(file: path, offset: start + 24, "events block \(failure)")
        }
        let all = inflater.output
        var offset = 0
        var seen: UInt32 = 0
        while offset < all.count {
            guard all.count - offset >= WireLayout.Header.byteCount else {
                throw CaptureError(file: path, offset: start, "events block: record \(seen) is cut short")
            }
            let size = Int(UInt32(littleEndian: all.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            guard size >= WireLayout.Header.byteCount, size <= WireLayout.maxRecord, offset + size <= all.count else {
                throw CaptureError(file: path, offset: start, "events block: record \(seen) claims \(size) bytes")
            }
            record(nextNumber, UnsafeRawBufferPointer(rebasing: all[offset..<(offset + size)]))
            nextNumber += 1
            seen += 1
            summary.records += 1
            offset += (size + 7) & ~7
        }
        guard seen == count else {
            throw CaptureError(file: path, offset: start + 8, "events block says \(count) records but holds \(seen)")
        }
    }

    /// One whole, checksummed block, or nil at a clean end of file.
    static func readBlock(_ input: FileInput) throws -> (UInt32, [UInt8], Int)? {
        let start = input.offset
        let head = try input.read(8)
        if head.isEmpty { return nil }
        guard head.count == 8 else {
            throw CaptureError(file: input.path, offset: start, "file ends inside a block header (torn write: the capture was not closed cleanly)")
        }
        let type = head.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) }
        let length = Int(head.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) })
        guard length >= CaptureFormat.blockOverhead, length <= CaptureFormat.maxBlockLength else {
            throw CaptureError(file: input.path, offset: start + 4, "block length \(length) is outside 12...\(CaptureFormat.maxBlockLength)")
        }
        let rest = try input.read(length - 8)
        guard rest.count == length - 8 else {
            throw CaptureError(file: input.path, offset: start, "block of \(length) bytes is cut short at the end of the file (torn write: the capture was not closed cleanly)")
        }
        let stored = rest.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: rest.count - 4, as: UInt32.self)) }
        var body = rest
        body.removeLast(4)  // in place: `rest` is not used again, so nothing is copied
        var crc = head.withUnsafeBytes { Zlib.crc32($0) }
        crc = body.withUnsafeBytes { Zlib.crc32($0, seed: crc) }
        guard crc == stored else {
            throw CaptureError(file: input.path, offset: start, "block checksum mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(crc, radix: 16)))")
        }
        return (type, body, start)
    }
}
