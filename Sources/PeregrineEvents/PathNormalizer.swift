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
    public static func isNormalAbsolute(_ path: UnsafeRawBufferPointer) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard path.first == slash else { return false }
        if path.count == 1 { return true }
        if path.last == slash { return false }
        var componentStart = 1
        var i = 1
        while i <= path.count {
            if i == path.count || path[i] == slash {
                let length = i - componentStart
                if length == 0 { return false }
                if length == 1 && path[componentStart] == dot { return false }
                if length == 2 && path[componentStart] == dot && path[componentStart + 1] == dot { return false }
                componentStart = i + 1
            }
            i += 1
        }
        return true
    }

    /// Removes `.`, `..` and empty components; the result starts with `/` if the input did.
    public static func normalize(_ path: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        let absolute = path.first == slash
        var components: [ArraySlice<UInt8>] = []
        for part in path.split(separator: slash, omittingEmptySubsequences: true) {
            if part.count == 1 && part.first == UInt8(ascii: ".") { continue }
            if part.count == 2 && part.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                if !components.isEmpty && components.last! != [UInt8(ascii: "."), UInt8(ascii: ".")][...] {
                    components.removeLast()
                } else if !absolute {
                    components.append(part)
                }
                continue
            }
            components.append(part)
        }
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        if absolute { out.append(slash) }
        for (i, c) in components.enumerated() {
            if i > 0 { out.append(slash) }
            out.append(contentsOf: c)
        }
        if out.isEmpty { out.append(UInt8(ascii: ".")) }
        return out
    }
}
