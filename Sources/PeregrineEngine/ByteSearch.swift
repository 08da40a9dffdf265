#if canImport(Glibc)
import Glibc
#endif

/// Byte-level text tests over borrowed buffers: no String, no allocation.
enum ByteSearch {
    /// One or two byte pairs, looked for at every offset of a text 16 offsets a step (SSE2
    /// compares): about 17 instructions per 16 bytes where a byte loop costs ~5 a byte. The
    /// bytes are kept broadcast, ready to compare.
    struct PairSet {
        private var first0, second0, first1, second1: SIMD16<UInt8>
        /// Two different pairs (else the second is the first, and not compared).
        private var two: Bool

        /// nil for none or more than two pairs.
        init?(_ pairs: [(UInt8, UInt8)]) {
            guard let a = pairs.first, pairs.count <= 2 else { return nil }
            let b = pairs.last!
            first0 = SIMD16(repeating: a.0)
            second0 = SIMD16(repeating: a.1)
            first1 = SIMD16(repeating: b.0)
            second1 = SIMD16(repeating: b.1)
            two = a != b
        }

        /// The first offset `i >= start` where `b[i]` and `b[i + 1]` are one of the pairs. Inlined:
        /// called on a set in the index's buffer, a call would copy the set (80 bytes) first.
        @inline(__always)
        func firstOffset(in b: UnsafeRawBufferPointer, from start: Int) -> Int? {
            let n = b.count
            guard let base = b.baseAddress, start <= n - 2 else { return nil }
            guard n >= 17 else {
                let p = base.assumingMemoryBound(to: UInt8.self)
                for i in start..<(n - 1) {
                    if p[i] == first0[0] && p[i + 1] == second0[0] { return i }
                    if two && p[i] == first1[0] && p[i + 1] == second1[0] { return i }
                }
                return nil
            }
            var next = start
            while next <= n - 2 {
                // The last step overlaps the one before rather than reading past the end.
                let at = min(next, n - 17)
                let v = base.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self)
                let w = base.loadUnaligned(fromByteOffset: at + 1, as: SIMD16<UInt8>.self)
                var hits = (v .== first0) .& (w .== second0)
                if two { hits = hits .| ((v .== first1) .& (w .== second1)) }
                if any(hits) {
                    for j in (next - at)..<16 where hits[j] { return at + j }
                }
                next = at + 16
            }
            return nil
        }
    }

    @inline(__always)
    static func hasPrefix(_ s: UnsafeRawBufferPointer, _ p: [UInt8]) -> Bool {
        guard s.count >= p.count else { return false }
        if p.isEmpty { return true }
        return p.withUnsafeBytes { memcmp(s.baseAddress!, $0.baseAddress!, p.count) == 0 }
    }

    @inline(__always)
    static func hasSuffix(_ s: UnsafeRawBufferPointer, _ p: [UInt8]) -> Bool {
        guard s.count >= p.count else { return false }
        if p.isEmpty { return true }
        return p.withUnsafeBytes { memcmp(s.baseAddress! + (s.count - p.count), $0.baseAddress!, p.count) == 0 }
    }

    // The same tests with the pattern as borrowed bytes (the matcher keeps its constants in
    // buffers it owns, so reading one costs no reference counting).

    @inline(__always)
    static func hasPrefix(_ s: UnsafeRawBufferPointer, _ p: UnsafeRawBufferPointer) -> Bool {
        guard s.count >= p.count else { return false }
        return p.isEmpty || memcmp(s.baseAddress!, p.baseAddress!, p.count) == 0
    }

    @inline(__always)
    static func hasSuffix(_ s: UnsafeRawBufferPointer, _ p: UnsafeRawBufferPointer) -> Bool {
        guard s.count >= p.count else { return false }
        return p.isEmpty || memcmp(s.baseAddress! + (s.count - p.count), p.baseAddress!, p.count) == 0
    }

    static func contains(_ s: UnsafeRawBufferPointer, _ p: UnsafeRawBufferPointer) -> Bool {
        if p.isEmpty { return true }
        guard s.count >= p.count, let base = s.baseAddress, let needle = p.baseAddress else { return false }
        let first = Int32(p[0])
        var offset = 0
        let last = s.count - p.count
        while offset <= last {
            guard let hit = memchr(base + offset, first, last - offset + 1) else { return false }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, needle, p.count) == 0 { return true }
            offset = at + 1
        }
        return false
    }

    /// `contains`, looking first for the byte of `p` at `anchor` (see `anchor(_:)`) rather than
    /// its first: a '/' starting a pattern is found at every component of a path, each a false
    /// start to compare.
    static func contains(_ s: UnsafeRawBufferPointer, _ p: UnsafeRawBufferPointer, anchor: Int) -> Bool {
        if p.isEmpty { return true }
        guard s.count >= p.count, let base = s.baseAddress, let needle = p.baseAddress else { return false }
        let byte = Int32(p[anchor])
        // A match starting at j has the anchor byte at j + anchor, for j in 0...(s.count - p.count).
        var offset = anchor
        let last = s.count - p.count + anchor
        while offset <= last {
            guard let hit = memchr(base + offset, byte, last - offset + 1) else { return false }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + (at - anchor), needle, p.count) == 0 { return true }
            offset = at + 1
        }
        return false
    }

    /// The offset of the byte of `p` least common in paths and command lines, by a fixed
    /// ranking (separators, then letters by their frequency in English text, then digits,
    /// upper case and everything else): where `contains` should look first.
    static func anchor(_ p: [UInt8]) -> Int {
        var best = 0
        var bestRank = Int.max
        for (i, c) in p.enumerated() {
            let rank = commonness(c)
            if rank < bestRank {
                best = i
                bestRank = rank
            }
        }
        return best
    }

    private static let lettersByFrequency = Array("etaoinsrhldcumfpgwybvkxjqz".utf8)

    private static func commonness(_ c: UInt8) -> Int {
        switch c {
        case UInt8(ascii: "/"), UInt8(ascii: "."): return 100
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: " "): return 90
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 80 - (lettersByFrequency.firstIndex(of: c) ?? 0)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 50
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 40
        default: return 30
        }
    }

    /// `p` is already lower-case.
    static func containsIgnoringCase(_ s: UnsafeRawBufferPointer, _ p: UnsafeRawBufferPointer) -> Bool {
        if p.isEmpty { return true }
        guard s.count >= p.count else { return false }
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
        for start in 0...(s.count - p.count) {
            var i = 0
            while i < p.count && lower(s[start + i]) == p[i] { i += 1 }
            if i == p.count { return true }
        }
        return false
    }

    static func contains(_ s: UnsafeRawBufferPointer, _ p: [UInt8]) -> Bool {
        if p.isEmpty { return true }
        guard s.count >= p.count, let base = s.baseAddress else { return false }
        // memchr for the first byte, memcmp for the rest (glibc's memmem is not imported).
        return p.withUnsafeBytes { needle in
            let first = Int32(p[0])
            var offset = 0
            let last = s.count - p.count
            while offset <= last {
                guard let hit = memchr(base + offset, first, last - offset + 1) else { return false }
                let at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, needle.baseAddress!, p.count) == 0 { return true }
                offset = at + 1
            }
            return false
        }
    }

    /// `p` is already lower-case.
    static func containsIgnoringCase(_ s: UnsafeRawBufferPointer, _ p: [UInt8]) -> Bool {
        if p.isEmpty { return true }
        guard s.count >= p.count else { return false }
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
        for start in 0...(s.count - p.count) {
            var i = 0
            while i < p.count && lower(s[start + i]) == p[i] { i += 1 }
            if i == p.count { return true }
        }
        return false
    }

    /// Falco's pmatch: `prefix` equals the path or is a whole-component prefix of it.
    static func pathHasPrefix(_ s: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
        if prefix == [UInt8(ascii: "/")] { return s.first == UInt8(ascii: "/") }
        guard hasPrefix(s, prefix) else { return false }
        return s.count == prefix.count || s[prefix.count] == UInt8(ascii: "/")
    }
}

/// A set of byte strings looked up by borrowed bytes, without building a key per lookup:
/// open addressing on a word-at-a-time hash, candidates compared with memcmp.
struct ByteSet {
    private var table: [Int32]
    private let strings: [[UInt8]]
    var members: [[UInt8]] { strings }
    private let mask: Int

    init(_ items: [[UInt8]]) {
        strings = Array(Set(items))
        var size = 8
        while size < strings.count * 2 { size <<= 1 }
        mask = size - 1
        table = Array(repeating: -1, count: size)
        for (i, s) in strings.enumerated() {
            var h = s.withUnsafeBytes { Self.hash($0) } & mask
            while table[h] >= 0 { h = (h + 1) & mask }
            table[h] = Int32(i)
        }
    }

    /// Eight bytes per step (the byte-at-a-time FNV-1a this replaced cost ~5 instructions a byte).
    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(b.count)
        var off = 0
        while off + 8 <= b.count {
            let m = (h ^ b.loadUnaligned(fromByteOffset: off, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h = m ^ (m >> 29)
            off += 8
        }
        // The last 0-7 bytes without a byte loop: overlapping loads cover them (the length is
        // in the seed, so the overlap cannot make two strings of one length collide).
        var tail: UInt64 = 0
        let rest = b.count - off
        if rest > 0 {
            if b.count >= 8 {
                tail = b.loadUnaligned(fromByteOffset: b.count - 8, as: UInt64.self)
            } else if rest >= 4 {
                tail = UInt64(b.loadUnaligned(fromByteOffset: off, as: UInt32.self))
                    | UInt64(b.loadUnaligned(fromByteOffset: b.count - 4, as: UInt32.self)) << 32
            } else {
                tail = UInt64(b[off]) | UInt64(b[off + rest / 2]) << 8 | UInt64(b[b.count - 1]) << 16
            }
        }
        let m = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: m ^ (m >> 29))
    }

    func contains(_ b: UnsafeRawBufferPointer) -> Bool {
        var h = Self.hash(b) & mask
        while true {
            let i = table[h]
            if i < 0 { return false }
            let s = strings[Int(i)]
            if s.count == b.count && (s.isEmpty || s.withUnsafeBytes { memcmp($0.baseAddress!, b.baseAddress!, s.count) == 0 }) {
                return true
            }
            h = (h + 1) & mask
        }
    }
}
