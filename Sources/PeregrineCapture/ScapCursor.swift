/// Bounds-checked reads over one region of the uncompressed stream, in the section's byte
/// order. Every read past `end` throws with the offset where the missing bytes start.
struct ScapCursor {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    let bigEndian: Bool
    /// Code reported when a read runs past `end`.
    var shortCode: ScapError.Code = .malformedBlock
    var what: String = "block"

    init(_ bytes: [UInt8], from start: Int, to end: Int, bigEndian: Bool) {
        self.bytes = bytes
        position = start
        self.end = min(end, bytes.count)
        self.bigEndian = bigEndian
    }

    var remaining: Int { end - position }

    mutating func need(_ count: Int, _ field: String) throws {
        guard count >= 0, count <= remaining else {
            throw ScapFailure(offset: position, code: shortCode,
                              message: "\(what) too short for \(field): need \(count) bytes, \(max(remaining, 0)) left")
        }
    }

    mutating func skip(_ count: Int, _ field: String = "padding") throws {
        try need(count, field)
        position += count
    }

    mutating func u8(_ field: String) throws -> UInt8 {
        try need(1, field)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ field: String) throws -> UInt16 { UInt16(truncatingIfNeeded: try integer(2, field)) }
    mutating func u32(_ field: String) throws -> UInt32 { UInt32(truncatingIfNeeded: try integer(4, field)) }
    mutating func u64(_ field: String) throws -> UInt64 { try integer(8, field) }
    mutating func i64(_ field: String) throws -> Int64 { Int64(bitPattern: try integer(8, field)) }

    private mutating func integer(_ size: Int, _ field: String) throws -> UInt64 {
        try need(size, field)
        defer { position += size }
        return Self.load(bytes, at: position, size: size, bigEndian: bigEndian)
    }

    /// A u16-length-prefixed string (not NUL-terminated on file), at most `max` bytes.
    mutating func lengthPrefixed(_ field: String, max: Int) throws -> [UInt8] {
        let start = position
        let length = Int(try u16("\(field) length"))
        guard length <= max else {
            throw ScapFailure(offset: start, code: .malformedBlock, message: "\(field) length \(length) exceeds \(max)")
        }
        try need(length, field)
        defer { position += length }
        return Array(bytes[position..<(position + length)])
    }

    /// An unsigned integer of `size` bytes (1, 2, 4 or 8) at `offset`; the caller has
    /// checked the bounds.
    /// Steps over a u16-length-prefixed string without copying it.
    mutating func skipLengthPrefixed(_ field: String, max: Int) throws {
        let start = position
        let length = Int(try u16("\(field) length"))
        guard length <= max else {
            throw ScapFailure(offset: start, code: .malformedBlock, message: "\(field) length \(length) exceeds \(max)")
        }
        try skip(length, field)
    }

    static func load(_ bytes: [UInt8], at offset: Int, size: Int, bigEndian: Bool) -> UInt64 {
        bytes.withUnsafeBytes { load($0, at: offset, size: size, bigEndian: bigEndian) }
    }

    @inline(__always)
    static func load(_ raw: UnsafeRawBufferPointer, at offset: Int, size: Int, bigEndian: Bool) -> UInt64 {
        switch size {
            case 1:
                return UInt64(raw[offset])
            case 2:
                let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
                return UInt64(bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v))
            case 4:
                let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                return UInt64(bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v))
            case 8:
                let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                return bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
            default:
                var value: UInt64 = 0
                for i in 0..<size {
                    let b = UInt64(raw[offset + (bigEndian ? i : size - 1 - i)])
                    value = value << 8 | b
                }
                return value
            }
    }
}
