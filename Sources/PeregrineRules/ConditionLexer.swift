/// A byte-level cursor over condition text. The parser asks for the token kind it expects next
/// (as Falco's grammar is context dependent: `a,b` is one bare value after `=` but two list items
/// inside parentheses), so the lexer offers one method per token kind and never allocates unless it
/// returns text.
struct ConditionLexer {
    let bytes: [UInt8]
    var position: Int = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { position >= bytes.count }
    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    static func isBlank(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 8 || b == 11 || b == 12 }
    static func isLetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isWordByte(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == 95 }

    mutating func skipBlanks() {
        while position < bytes.count && Self.isBlank(bytes[position]) { position += 1 }
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        if peek == byte { position += 1; return true }
        return false
    }

    /// True when `word` starts at the cursor and is not followed by a word character.
    func startsWord(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        let w = word.utf8Start
        for i in 0..<n where bytes[position + i] != w[i] { return false }
        if position + n < bytes.count {
            let next = bytes[position + n]
            if Self.isWordByte(next) || next == 46 { return false }
        }
        return true
    }

    mutating func consumeWord(_ word: StaticString) -> Bool {
        guard startsWord(word) else { return false }
        position += word.utf8CodeUnitCount
        return true
    }

    /// True when `word(` starts at the cursor (blanks allowed before the parenthesis).
    func startsCall(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else { return false }
        var i = position + w.count
        while i < bytes.count && Self.isBlank(bytes[i]) { i += 1 }
        return i < bytes.count && bytes[i] == 40
    }

    /// `[a-zA-Z][a-zA-Z0-9_]*`, as a span.
    func identifierEnd(from start: Int) -> Int? {
        guard start < bytes.count, Self.isLetter(bytes[start]) else { return nil }
        var i = start + 1
        while i < bytes.count && Self.isWordByte(bytes[i]) { i += 1 }
        return i
    }

    /// An identifier without dots (a macro or list name).
    mutating func lexIdentifier() -> String? {
        guard let end = identifierEnd(from: position) else { return nil }
        defer { position = end }
        return text(position, end)
    }

    /// Identifier segments joined by dots, at least two segments: a field name.
    mutating func lexFieldName() -> String? {
        guard var end = identifierEnd(from: position) else { return nil }
        var segments = 1
        while end < bytes.count && bytes[end] == 46, let next = identifierEnd(from: end + 1) {
            end = next
            segments += 1
        }
        guard segments >= 2 else { return nil }
        defer { position = end }
        return text(position, end)
    }

    enum QuotedResult { case none, text(String), unterminated }

    /// `"..."` or `'...'` with backslash escapes.
    mutating func lexQuoted() -> QuotedResult {
        guard let q = peek, q == 34 || q == 39 else { return .none }
        var out: [UInt8] = []
        var i = position + 1
        while i < bytes.count {
            let b = bytes[i]
            if b == q { position = i + 1; return .text(String(decoding: out, as: UTF8.self)) }
            if b == 92, i + 1 < bytes.count {
                let e = bytes[i + 1]
                switch e {
                case 34, 39, 92: out.append(e)
                case 110: out.append(10)
                case 116: out.append(9)
                case 114: out.append(13)
                case 98: out.append(8)
                case 102: out.append(12)
                default: out.append(92); out.append(e)
                }
                i += 2
                continue
            }
            out.append(b)
            i += 1
        }
        return .unterminated
    }

    /// A bare value: bytes up to a blank, parenthesis, comma, `=` or quote.
    mutating func lexBareValue() -> String? {
        var i = position
        while i < bytes.count {
            let b = bytes[i]
            if Self.isBlank(b) || b == 40 || b == 41 || b == 44 || b == 61 || b == 34 || b == 39 { break }
            i += 1
        }
        guard i > position else { return nil }
        defer { position = i }
        return text(position, i)
    }

    /// A bare field argument: bytes up to a blank, bracket or quote.
    mutating func lexBareArgument() -> String? {
        var i = position
        while i < bytes.count {
            let b = bytes[i]
            if Self.isBlank(b) || b == 91 || b == 93 || b == 34 || b == 39 { break }
            i += 1
        }
        guard i > position else { return nil }
        defer { position = i }
        return text(position, i)
    }

    /// A number as Falco's grammar writes one: `0x1F`, `-12`, `3.5`, `1.0e+3`.
    mutating func lexNumber() -> String? {
        var i = position
        if i + 2 < bytes.count, bytes[i] == 48, bytes[i + 1] == 120 || bytes[i + 1] == 88 {
            var j = i + 2
            while j < bytes.count, Self.isDigit(bytes[j]) || (bytes[j] | 32 >= 97 && bytes[j] | 32 <= 102) { j += 1 }
            if j > i + 2 { defer { position = j }; return text(position, j) }
        }
        if i < bytes.count, bytes[i] == 43 || bytes[i] == 45 { i += 1 }
        let digits = i
        while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
        guard i > digits else { return nil }
        if i < bytes.count, bytes[i] == 46 { i += 1; while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 } }
        if i + 2 < bytes.count, bytes[i] | 32 == 101, bytes[i + 1] == 43 || bytes[i + 1] == 45, Self.isDigit(bytes[i + 2]) {
            i += 2
            while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
        }
        defer { position = i }
        return text(position, i)
    }

    /// A symbolic operator (`=`, `==`, `!=`, `<`, `<=`, `>`, `>=`) or a word operator.
    mutating func lexOperator() -> ComparisonOperator? {
        guard let b = peek else { return nil }
        let next: UInt8? = position + 1 < bytes.count ? bytes[position + 1] : nil
        switch b {
        case 61: position += next == 61 ? 2 : 1; return .equal
        case 33 where next == 61: position += 2; return .notEqual
        case 60: if next == 61 { position += 2; return .lessOrEqual }; position += 1; return .less
        case 62: if next == 61 { position += 2; return .greaterOrEqual }; position += 1; return .greater
        default: break
        }
        for op in ComparisonOperator.words {
            let w = op.rawValue
            let u = Array(w.utf8)
            guard position + u.count <= bytes.count, Array(bytes[position..<position + u.count]) == u else { continue }
            if position + u.count < bytes.count, Self.isWordByte(bytes[position + u.count]) || bytes[position + u.count] == 46 { continue }
            position += u.count
            return op
        }
        return nil
    }

    /// The word at the cursor, for messages.
    func wordAt(_ at: Int) -> String {
        var i = at
        while i < bytes.count && !Self.isBlank(bytes[i]) && bytes[i] != 40 && bytes[i] != 41 && i - at < 30 { i += 1 }
        return i > at ? text(at, i) : (at < bytes.count ? text(at, at + 1) : "")
    }

    func text(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
}
