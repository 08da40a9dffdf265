import CZlib
import Testing
@testable import PeregrineCapture

/// The events-block inflater: exact sizes, and a clear reason for every kind of bad stream.
struct BlockInflaterTests {
    static func zlib(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, uLong(i.count), 1) }
        }
        precondition(rc == Z_OK)
        return Array(out.prefix(Int(length)))
    }

    static let plain: [UInt8] = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }

    @Test func inflatesBlockAfterBlockIntoOneBuffer() {
        let inflater = BlockInflater()
        for size in [5000, 17, 5000, 1] {
            let block = Array(Self.plain.prefix(size))
            let failure = Self.zlib(block).withUnsafeBytes { inflater.inflate($0, expected: size) }
            #expect(failure == nil)
            #expect(Array(inflater.output.prefix(size)) == block)
        }
    }

    @Test func rejectsWrongSizesAndDamagedStreams() {
        let inflater = BlockInflater()
        let good = Self.zlib(Self.plain)
        func failure(_ bytes: [UInt8], expected: Int) -> String {
            bytes.withUnsafeBytes { inflater.inflate($0, expected: expected) } ?? "no failure"
        }
        #expect(failure(good, expected: 4000).contains("more than the 4000 bytes"))
        #expect(failure(good, expected: 6000).contains("not the 6000"))
        var header = good
        header[0] = 0x79
        #expect(failure(header, expected: 5000).contains("not a zlib stream"))
        var body = good
        body[2] ^= 0xff  // the first deflate block header: a reserved block type
        #expect(failure(body, expected: 5000).contains("does not decompress"))
        #expect(failure([0x78, 0x01], expected: 1).contains("too short"))
        // The inflater recovers: the next good block inflates.
        #expect(failure(good, expected: 5000) == "no failure")
    }

    /// The format says zlib (RFC 1950): the stream inside an events block our encoder makes,
    /// zlib itself must inflate, Adler-32 trailer included, back to the records as padded.
    @Test func theWritersBlocksAreStreamsZlibItselfInflates() {
        let records = RecordBlock()
        let record = Array(Self.plain.prefix(4999))  // not a multiple of 8: padded to 5000
        record.withUnsafeBytes { records.append($0) }
        #expect(records.byteCount == 5000 && records.recordCount == 1)
        let block = BlockEncoder(level: 1).eventsBlock(records, firstNumber: 7)
        let stream = Array(block[24..<(block.count - 4)])
        #expect(stream.count < Self.plain.count)
        var length = uLong(5000)
        var out = [UInt8](repeating: 0, count: 5000)
        let rc = out.withUnsafeMutableBufferPointer { o in
            stream.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count)) }
        }
        #expect(rc == Z_OK)
        #expect(Int(length) == 5000)
        #expect(out == record + [0])
    }

    /// Block checksums are zlib's CRC-32, whoever computes them: the standard check value,
    /// zlib's own result on the same bytes, and a checksum continued from a seed.
    @Test func blockChecksumsAreZlibsCRC32() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { Zlib.crc32($0) } == 0xCBF4_3926)
        let bytes = Self.plain
        let zlibs = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        #expect(bytes.withUnsafeBytes { Zlib.crc32($0) } == zlibs)
        let head = bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[..<1000])) }
        #expect(bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[1000...]), seed: head) } == zlibs)
    }
}
