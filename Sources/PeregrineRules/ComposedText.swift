/// A condition or output assembled from one or more scalars (appends join them with a space).
struct ComposedText: Sendable {
    let parts: [ScalarText]
    let text: String

    init(_ parts: [ScalarText]) {
        self.parts = parts
        text = parts.map(\.text).joined(separator: " ")
    }

    func diagnostic(_ code: Diagnostic.Code, _ message: String, offset: Int, hint: String? = nil) -> Diagnostic {
        var start = 0
        var part = parts[0]
        var local = offset
        for p in parts {
            let len = p.text.utf8.count
            part = p
            local = offset - start
            if offset <= start + len { break }
            start += len + 1
        }
        let (line, column) = part.position(of: local)
        return part.file.diagnostic(code, message, line: line, column: column, hint: hint)
    }
}
