import CDeflate
import CZlib

/// zlib's formats, wrapped once: gzip for .scap files, CRC-32 for block checksums (the
/// capture blocks themselves: `BlockCompressor`, `BlockInflater`).
public enum Zlib {
    /// zlib's CRC-32 (the same polynomial and seeding as its `crc32`), computed by libdeflate,
    /// which folds with carry-less multiplication where the CPU has it: zlib's own costs
    /// ~4 instructions a byte, about 90 per replayed event.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return seed }
        return libdeflate_crc32(seed, base, bytes.count)
    }
}

extension Zlib {
    /// What `gunzip` produced: the bytes it could inflate, and why it stopped early if it did.
    /// A damaged or truncated stream still hands back everything before the damage, so a
    /// reader can use the valid part and report the failure at the point where it begins.
    public struct Inflated {
        public var bytes: [UInt8]
        /// nil when the gzip stream ended properly.
        public var failure: String?
    }

    /// The gzip magic (RFC 1952): 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Inflates a gzip stream (one member; bytes after it are ignored). Output beyond `limit`
    /// bytes stops inflation with a failure, so a small file cannot make us allocate without
    /// bound.
    public static func gunzip(_ input: [UInt8], limit: Int) -> Inflated {
        // zlib keeps a pointer back to the stream: it must stay at one address, so it lives
        // on the heap rather than in a Swift variable that closures could copy.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        let initResult = inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initResult == Z_OK else {
            return Inflated(bytes: [], failure: "zlib inflateInit2 failed (\(initResult))")
        }
        defer { inflateEnd(stream) }

        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 1 << 16)))
        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var failure: String?

        input.withUnsafeBufferPointer { inBuffer in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.pointee.avail_in = uInt(inBuffer.count)
            while true {
                let (result, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(chunkSize)
                    let r = inflate(stream, Z_NO_FLUSH)
                    return (r, chunkSize - Int(stream.pointee.avail_out))
                }
                if produced > 0 {
                    if output.count + produced > limit {
                        output.append(contentsOf: chunk[0..<(limit - output.count)])
                        failure = "decompressed size exceeds the limit of \(limit) bytes"
                        return
                    }
                    output.append(contentsOf: chunk[0..<produced])
                }
                switch result {
                case Z_STREAM_END:
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible with fresh output room: the input ended inside
                    // the stream.
                    failure = "gzip stream is truncated"
                    return
                default:
                    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "code \(result)"
                    failure = "gzip data is corrupt (\(detail))"
                    return
                }
            }
        }
        return Inflated(bytes: output, failure: failure)
    }
}
