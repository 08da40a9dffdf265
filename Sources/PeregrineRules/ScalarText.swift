import Yams

/// A YAML scalar's text with a map from byte offsets in the text back to file lines and columns,
/// so a mistake inside a condition or output points at its own place in the file, also for
/// multi-line plain, folded (`>`) and literal (`|`) scalars.
struct ScalarText: Sendable {
    struct Anchor: Sendable { var offset: Int; var line: Int; var column: Int }

    let text: String
    let file: SourceFile
    let anchors: [Anchor]
    let line: Int
    let column: Int

    init(text: String, file: SourceFile, line: Int, column: Int, style: Node.Scalar.Style) {
        self.text = text
        self.file = file
        self.line = line
        self.column = column
        let content = Array(text.utf8)
        var anchors: [Anchor] = []
        var pos = 0
        var lineNo = line
        var firstColumn: Int? = column
        switch style {
        case .literal, .folded: lineNo += 1; firstColumn = nil
        case .singleQuoted, .doubleQuoted: firstColumn = column + 1
        default: break
        }
        while pos < content.count && lineNo <= file.lineCount {
            let bytes = file.line(lineNo)
            var col = bytes.startIndex
            if let fc = firstColumn {
                col = bytes.startIndex + fc - 1
                firstColumn = nil
            } else {
                while col < bytes.endIndex && (bytes[col] == 32 || bytes[col] == 9) { col += 1 }
            }
            if col >= bytes.endIndex { lineNo += 1; continue }
            while pos < content.count && (content[pos] == 32 || content[pos] == 10 || content[pos] == 9) && content[pos] != bytes[col] {
                pos += 1
            }
            var n = 0
            while pos + n < content.count && col + n < bytes.endIndex && content[pos + n] == bytes[col + n] { n += 1 }
            if n == 0 { break }
            anchors.append(Anchor(offset: pos, line: lineNo, column: col - bytes.startIndex + 1))
            pos += n
            lineNo += 1
        }
        if anchors.isEmpty { anchors.append(Anchor(offset: 0, line: line, column: column)) }
        self.anchors = anchors
    }

    /// File line and column of byte `offset` of the text.
    func position(of offset: Int) -> (line: Int, column: Int) {
        var best = anchors[0]
        for a in anchors where a.offset <= offset { best = a }
        return (best.line, best.column + max(0, offset - best.offset))
    }
}
