import CZlib

/// zlib, wrapped once: block compression for our capture format, gzip for .scap files,
/// CRC-32 for block checksums.
public enum Zlib {
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return seed }
        return UInt32(CZlib.crc32(uLong(seed), base, uInt(bytes.count)))
    }
}
