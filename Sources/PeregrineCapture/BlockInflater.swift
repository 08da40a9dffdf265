import CZlib

/// Inflates the zlib-compressed events blocks of our capture format, one after another,
/// with one zlib stream and one output buffer for the whole file.
///
/// Why not `uncompress`: it sets up and tears down zlib's state (about 40 KiB) for every
/// block, and checks the stream's Adler-32, which costs as much as a third of inflating.
/// Each block's CRC-32 over its compressed bytes is verified before we get here, so the
/// Adler-32 would only re-check what the CRC already covers; the raw deflate data is
/// inflated and the trailer is skipped.
final class BlockInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var ready = false
    /// The last block's bytes, valid until the next `inflate`.
    private(set) var output: [UInt8] = []

    init() {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if ready { inflateEnd(stream) }
        stream.deallocate()
    }

    /// Inflates a zlib stream (RFC 1950) that must produce exactly `expected` bytes, into
    /// `output[0..<expected]`. Returns nil on success, else what was wrong.
    func inflate(_ compressed: UnsafeRawBufferPointer, expected: Int) -> String? {
        guard compressed.count >= 6 else { return "compressed data too short" }
        let cmf = compressed[0], flg = compressed[1]
        guard cmf & 0x0f == 8, (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0, flg & 0x20 == 0 else {
            return "not a zlib stream (header \(String(cmf, radix: 16)) \(String(flg, radix: 16)))"
        }
        if !ready {
            // Negative window bits: raw deflate, no header or trailer handled by zlib.
            let rc = inflateInit2_(stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else { return "zlib inflateInit2 failed (\(rc))" }
            ready = true
        } else {
            inflateReset(stream)
        }
        if output.count < expected { output = [UInt8](repeating: 0, count: expected) }
        let body = compressed.count - 2 - 4  // minus header and Adler-32 trailer
        let rc = output.withUnsafeMutableBytes { out -> Int32 in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress!.assumingMemoryBound(to: Bytef.self) + 2)
            stream.pointee.avail_in = uInt(body)
            stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(expected)
            return CZlib.inflate(stream, Z_FINISH)
        }
        let produced = expected - Int(stream.pointee.avail_out)
        guard rc == Z_STREAM_END else {
            return rc == Z_BUF_ERROR && produced == expected
                ? "inflates to more than the \(expected) bytes it claims"
                : "does not decompress (zlib \(rc))"
        }
        guard produced == expected else { return "inflates to \(produced) bytes, not the \(expected) it claims" }
        return nil
    }
}
