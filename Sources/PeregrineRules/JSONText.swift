/// JSON text building without Foundation.
public enum JSONText {
    /// A JSON string literal. Control characters are escaped, quotes and backslashes too; bytes that
    /// are not valid UTF-8 were already replaced by U+FFFD when the text became a `String`.
    public static func string(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || u.value == 0x7F || u.value == 0x2028 || u.value == 0x2029 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Text from bytes that may not be UTF-8 (invalid sequences become U+FFFD), as a JSON string.
    public static func string(bytes: some Collection<UInt8>) -> String {
        string(String(decoding: bytes, as: UTF8.self))
    }

    /// A field value as JSON: numbers as numbers, booleans, strings; nil as null.
    public static func value(_ v: FieldValue?) -> String {
        guard let v else { return "null" }
        switch v {
        case .string(let s): return string(s)
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .bool(let b): return b ? "true" : "false"
        case .bytes(let b): return string(bytes: b)
        case .list(let xs): return "[" + xs.map { value($0) }.joined(separator: ",") + "]"
        }
    }
}
