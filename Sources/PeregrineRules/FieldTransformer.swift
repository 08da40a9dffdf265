/// Functions applied to a field value before comparing (`tolower(proc.name) = bash`).
/// `val(field)` is not a transformer of the value but marks a field used as a right-hand value.
///
/// `join` and `concat` take several arguments (fields, transformers, quoted strings, numbers and,
/// for `join`, a parenthesised list): `join("-", (fd.directory, fd.name))`,
/// `concat(proc.name, ":", user.name)`. Both produce one text value.
public enum FieldTransformer: String, Hashable, Sendable, CaseIterable {
    case tolower, toupper, b64, basename, len, join, concat

    /// Takes an argument list rather than one field or transformer.
    public var takesArguments: Bool { self == .join || self == .concat }

    /// Apply to one text value. `len` is handled by the caller (it changes the type); `join`
    /// and `concat` combine several values and are evaluated by the caller too.
    func apply(_ s: String) -> String? {
        switch self {
        case .tolower: return String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        case .toupper: return String(decoding: s.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
        case .basename:
            // Everything after the last '/', as libsinsp does: "/hello/" and "/" give "".
            let bytes = Array(s.utf8)
            var start = bytes.count
            while start > 0 && bytes[start - 1] != 47 { start -= 1 }
            return String(decoding: bytes[start...], as: UTF8.self)
        case .b64: return Base64.decode(s).map { String(decoding: $0, as: UTF8.self) }
        case .len, .join, .concat: return s
        }
    }
}

/// How a check compares one value with each value of a list (`proc.name startswith anyof (py, ju)`):
/// `anyof` holds when at least one item satisfies the operator, `allof` when every item does (and
/// the list is not empty), `oneof` when exactly one does. An empty list never matches.
public enum CheckModifier: String, Hashable, Sendable, CaseIterable {
    case oneof, anyof, allof

    /// Whether `matched` of `total` items satisfying the operator makes the check true.
    public func holds(matched: Int, total: Int) -> Bool {
        guard total > 0 else { return false }
        switch self {
        case .oneof: return matched == 1
        case .anyof: return matched >= 1
        case .allof: return matched == total
        }
    }
}
