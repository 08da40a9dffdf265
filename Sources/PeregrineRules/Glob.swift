/// Shell-style wildcard matching over bytes: `*` any run (slashes included), `?` one byte,
/// `[abc]`, `[a-z]`, `[!x]` classes, `\` escapes.
public enum Glob {
    @inlinable
    public static func matches<P: RandomAccessCollection<UInt8>, S: RandomAccessCollection<UInt8>>(_ pattern: P, _ s: S) -> Bool
    where P.Index == Int, S.Index == Int {
        let pattern0 = pattern.startIndex, s0 = s.startIndex
        var p = 0, i = 0
        var starP = -1, starI = 0
        while i < s.count {
            if p < pattern.count {
                let c = pattern[pattern0 + p]
                if c == 42 { starP = p; starI = i; p += 1; continue }
                if let (ok, next) = single(pattern, p, s[s0 + i]), ok { p = next; i += 1; continue }
            }
            if starP >= 0 { p = starP + 1; starI += 1; i = starI; continue }
            return false
        }
        while p < pattern.count && pattern[pattern0 + p] == 42 { p += 1 }
        return p == pattern.count
    }

    /// Does the pattern element at `p` (an offset) match byte `b`? Returns the offset after it.
    @inlinable @usableFromInline
    static func single<P: RandomAccessCollection<UInt8>>(_ whole: P, _ p: Int, _ b: UInt8) -> (Bool, Int)? where P.Index == Int {
        let base = whole.startIndex
        let count = whole.count
        func at(_ k: Int) -> UInt8 { whole[base + k] }
        return singleAt(at, count, p, b)
    }

    @inlinable @usableFromInline
    static func singleAt(_ pattern: (Int) -> UInt8, _ patternCount: Int, _ p: Int, _ b: UInt8) -> (Bool, Int)? {
        let c = pattern(p)
        if c == 63 { return (true, p + 1) }
        if c == 92 && p + 1 < patternCount { return (pattern(p + 1) == b, p + 2) }
        if c == 91 {
            var j = p + 1
            var negate = false
            if j < patternCount && (pattern(j) == 33 || pattern(j) == 94) { negate = true; j += 1 }
            var matched = false
            var first = true
            while j < patternCount && (pattern(j) != 93 || first) {
                first = false
                if j + 2 < patternCount && pattern(j + 1) == 45 && pattern(j + 2) != 93 {
                    if b >= pattern(j) && b <= pattern(j + 2) { matched = true }
                    j += 3
                } else {
                    if pattern(j) == b { matched = true }
                    j += 1
                }
            }
            if j >= patternCount { return (c == b, p + 1) }  // no closing bracket: literal '['
            return (matched != negate, j + 1)
        }
        return (c == b, p + 1)
    }
}
