/// Functions applied to a field value before comparing (`tolower(proc.name) = bash`).
/// `val(field)` is not a transformer of the value but marks a field used as a right-hand value.
public enum FieldTransformer: String, Hashable, Sendable, CaseIterable {
    case tolower, toupper, b64, basename, len

    /// Apply to one text value. `len` is handled by the caller (it changes the type).
    func apply(_ s: String) -> String? {
        switch self {
        case .tolower: return String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        case .toupper: return String(decoding: s.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
        case .basename:
            let bytes = Array(s.utf8)
            var end = bytes.count
            while end > 1 && bytes[end - 1] == 47 { end -= 1 }
            if end == 1 && bytes.first == 47 { return "" }
            var start = end
            while start > 0 && bytes[start - 1] != 47 { start -= 1 }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        case .b64: return Base64.decode(s).map { String(decoding: $0, as: UTF8.self) }
        case .len: return s
        }
    }
}
