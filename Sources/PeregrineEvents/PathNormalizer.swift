/// Lexical path arithmetic for paths the kernel could not resolve for us (a failed open of a
/// relative path, a mount target): join with the directory it is relative to, then remove
/// `.`, `..` and repeated slashes. Symlinks cannot be resolved here; successful opens never
/// need this, because the probe reports the path of the file really opened.
public enum PathNormalizer {
    /// `base` joined with `path` (unless `path` is absolute), normalized. Both are bytes.
    public static func resolve(_ path: UnsafeRawBufferPointer, relativeTo base: UnsafeRawBufferPointer) -> [UInt8] {
        var joined: [UInt8] = []
        joined.reserveCapacity(base.count + path.count + 1)
        if path.first != UInt8(ascii: "/") {
            joined.append(contentsOf: base)
            joined.append(UInt8(ascii: "/"))
        }
        joined.append(contentsOf: path)
        return normalize(joined)
    }

    /// True when `path` is absolute and already normal (no empty, `.` or `..` components, no
    /// trailing slash): the common case, which then needs no copy.
    ///
    /// Only a '/' followed by '/' or '.' can make a path not normal, and most paths have none:
    /// those pairs are looked for 16 bytes at a time (the engine asks this for every refused
    /// open of an absolute path, and a byte loop cost ~5 instructions a byte).
    public static func isNormalAbsolute(_ path: UnsafeRawBufferPointer) -> Bool {
        let slash = UInt8(ascii: "/")
        guard !path.isEmpty, let base = path.baseAddress, path[0] == slash else { return false }
        let n = path.count
        if n == 1 { return true }
        if path[n - 1] == slash { return false }
        guard n >= 17 else { return !hasOddComponent(path, from: 0, to: n - 1) }
        let slashes = SIMD16<UInt8>(repeating: slash), dots = SIMD16<UInt8>(repeating: UInt8(ascii: "."))
        var next = 0
        while next < n - 1 {
            // The last step overlaps the one before rather than reading past the end.
            let at = min(next, n - 17)
            let v = base.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self)
            let w = base.loadUnaligned(fromByteOffset: at + 1, as: SIMD16<UInt8>.self)
            if any((v .== slashes) .& ((w .== slashes) .| (w .== dots))),
               hasOddComponent(path, from: max(next, at), to: at + 16) {
                return false
            }
            next = at + 16
        }
        return true
    }

    /// Whether a '/' at an offset in `from..<to` starts an empty, `.` or `..` component.
    private static func hasOddComponent(_ path: UnsafeRawBufferPointer, from: Int, to: Int) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let n = path.count
        for i in from..<to where path[i] == slash {
            let c = path[i + 1]
            if c == slash { return true }
            guard c == dot else { continue }
            // "/." then the end or '/', or "/.." then the end or '/'.
            if i + 2 == n || path[i + 2] == slash { return true }
            if path[i + 2] == dot && (i + 3 == n || path[i + 3] == slash) { return true }
        }
        return false
    }

    /// Removes `.`, `..` and empty components; the result starts with `/` if the input did.
    public static func normalize(_ path: [UInt8]) -> [UInt8] {
        var out = path
        let n = out.withUnsafeMutableBytes { normalize(in: $0) }
        out.removeLast(out.count - n)
        if out.isEmpty { out.append(UInt8(ascii: ".")) }
        return out
    }

    /// `base` joined with `path` (unless `path` is absolute) and normalized, written into
    /// `buffer` from its start; returns the length, or nil when `buffer` is too small (it needs
    /// `base.count + path.count + 1` bytes). Allocates nothing.
    public static func resolve(_ path: UnsafeRawBufferPointer, relativeTo base: UnsafeRawBufferPointer,
                               into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var n = 0
        guard buffer.count >= base.count + path.count + 1 else { return nil }
        if path.first != UInt8(ascii: "/") {
            if base.count > 0 { UnsafeMutableRawBufferPointer(rebasing: buffer[0..<base.count]).copyMemory(from: base) }
            n = base.count
            buffer[n] = UInt8(ascii: "/")
            n += 1
        }
        if path.count > 0 { UnsafeMutableRawBufferPointer(rebasing: buffer[n..<(n + path.count)]).copyMemory(from: path) }
        n += path.count
        let length = normalize(in: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
        if length == 0 { buffer[0] = UInt8(ascii: "."); return 1 }
        return length
    }

    /// Normalizes the bytes of `b` in place (the result is never longer) and returns its length;
    /// 0 stands for a relative path that cancels out (".").
    static func normalize(in b: UnsafeMutableRawBufferPointer) -> Int {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let n = b.count
        let absolute = n > 0 && b[0] == slash
        let floor = absolute ? 1 : 0
        var w = floor
        var components = 0
        var i = 0
        while i < n {
            while i < n && b[i] == slash { i += 1 }
            if i >= n { break }
            let start = i
            while i < n && b[i] != slash { i += 1 }
            let length = i - start
            if length == 1 && b[start] == dot { continue }
            if length == 2 && b[start] == dot && b[start + 1] == dot {
                // The last component written, if any: drop it unless it is itself "..".
                var k = w
                while k > floor && b[k - 1] != slash { k -= 1 }
                let lastIsUp = w - k == 2 && b[k] == dot && b[k + 1] == dot
                if components > 0 && !lastIsUp {
                    w = k > floor ? k - 1 : floor
                    components -= 1
                    continue
                }
                if absolute { continue }
            }
            if components > 0 { b[w] = slash; w += 1 }
            // The write position never passes the read position, so an overlapping copy is safe.
            for j in 0..<length { b[w + j] = b[start + j] }
            w += length
            components += 1
        }
        return w
    }
}
