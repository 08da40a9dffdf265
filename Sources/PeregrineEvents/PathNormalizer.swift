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
