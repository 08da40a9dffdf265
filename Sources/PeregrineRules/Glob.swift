/// Shell-style wildcard matching over bytes: `*` any run (slashes included), `?` one byte,
/// `[abc]`, `[a-z]`, `[!x]` classes, `\` escapes.
enum Glob {
    static func matches(_ pattern: [UInt8], _ s: [UInt8]) -> Bool {
        var p = 0, i = 0
        var starP = -1, starI = 0
        while i < s.count {
            if p < pattern.count {
                let c = pattern[p]
                if c == 42 { starP = p; starI = i; p += 1; continue }
                if let (ok, next) = single(pattern, p, s[i]), ok { p = next; i += 1; continue }
            }
            if starP >= 0 { p = starP + 1; starI += 1; i = starI; continue }
            return false
        }
        while p < pattern.count && pattern[p] == 42 { p += 1 }
        return p == pattern.count
    }

    /// Does the pattern element at `p` match byte `b`? Returns the index after the element.
    static func single(_ pattern: [UInt8], _ p: Int, _ b: UInt8) -> (Bool, Int)? {
        let c = pattern[p]
        if c == 63 { return (true, p + 1) }
        if c == 92 && p + 1 < pattern.count { return (pattern[p + 1] == b, p + 2) }
        if c == 91 {
            var j = p + 1
            var negate = false
            if j < pattern.count && (pattern[j] == 33 || pattern[j] == 94) { negate = true; j += 1 }
            var matched = false
            var first = true
            while j < pattern.count && (pattern[j] != 93 || first) {
                first = false
                if j + 2 < pattern.count && pattern[j + 1] == 45 && pattern[j + 2] != 93 {
                    if b >= pattern[j] && b <= pattern[j + 2] { matched = true }
                    j += 3
                } else {
                    if pattern[j] == b { matched = true }
                    j += 1
                }
            }
            if j >= pattern.count { return (c == b, p + 1) }  // no closing bracket: literal '['
            return (matched != negate, j + 1)
        }
        return (c == b, p + 1)
    }
}
