/// Double-quoting with the escapes the condition lexer understands.
enum QuotedText {
    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

extension QuotedText {
    static func needsQuotes(_ s: String) -> Bool {
        s.isEmpty || s.utf8.contains { ConditionLexer.isBlank($0) || $0 == 40 || $0 == 41 || $0 == 44 || $0 == 61 || $0 == 34 || $0 == 39 || $0 == 92 }
    }
}
