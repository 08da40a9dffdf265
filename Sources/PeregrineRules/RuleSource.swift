/// The text of one rules file and the name diagnostics use for it.
public struct RuleSource: Sendable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// A rules file split into lines, for locations and snippets.
final class SourceFile: Sendable {
    let name: String
    let bytes: [UInt8]
    let lineStarts: [Int]

    init(_ source: RuleSource) {
        name = source.name
        bytes = Array(source.text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
        lineStarts = starts
    }

    var lineCount: Int { lineStarts.count }

    /// Bytes of 1-based line `n`, without the newline.
    func line(_ n: Int) -> ArraySlice<UInt8> {
        guard n >= 1 && n <= lineStarts.count else { return [] }
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
        if end > start && bytes[end - 1] == 13 { end -= 1 }
        return bytes[start..<max(start, end)]
    }

    func lineText(_ n: Int) -> String? {
        guard n >= 1 && n <= lineStarts.count else { return nil }
        return String(decoding: line(n), as: UTF8.self)
    }

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: name, line: line, column: column)
    }

    static let snippetWidth = 160

    func diagnostic(_ code: Diagnostic.Code, _ message: String, line: Int, column: Int, hint: String? = nil) -> Diagnostic {
        let bytes = self.line(line)
        guard bytes.count > Self.snippetWidth else {
            return Diagnostic(code, message, at: location(line: line, column: column), sourceLine: lineText(line), hint: hint)
        }
        // Long line: show a window around the column.
        let start = max(bytes.startIndex, min(bytes.startIndex + column - 1 - Self.snippetWidth / 2, bytes.endIndex - Self.snippetWidth))
        let end = min(bytes.endIndex, start + Self.snippetWidth)
        let prefix = start > bytes.startIndex ? "..." : ""
        var d = Diagnostic(code, message, at: location(line: line, column: column),
                           sourceLine: prefix + String(decoding: bytes[start..<end], as: UTF8.self) + (end < bytes.endIndex ? "..." : ""), hint: hint)
        d.snippetColumn = column - (start - bytes.startIndex) + prefix.count
        return d
    }
}
