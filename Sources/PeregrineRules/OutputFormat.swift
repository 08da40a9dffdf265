/// A rule's output template: text with `%field`, `%field[arg]`, `%tolower(field)` and an optional
/// width (`%20proc.name`: the value is padded with spaces or cut to exactly that many bytes, as
/// Falco does). `%%` is a literal percent sign; any other `%` not followed by a field is an error.
/// Missing values render as `<NA>`.
public struct OutputFormat: Sendable {
    public enum Segment: Sendable {
        case text(String)
        case field(CompiledOperand, width: Int?)
    }

    public var segments: [Segment]

    /// Fields in order of first appearance, for `output_fields`.
    public var fields: [CompiledOperand] {
        var seen: Set<String> = []
        var out: [CompiledOperand] = []
        for case .field(let f, _) in segments where seen.insert(f.description).inserted { out.append(f) }
        return out
    }

    /// One `%...` reference found while scanning, before resolving.
    struct Reference {
        var operand: ConditionExpr.Operand
        var width: Int?
        var offset: Int
    }

    enum Piece { case text(String), reference(Reference), stray(offset: Int) }

    /// Splits the template into text and references. A `%` that starts no reference stays text.
    static func scan(_ template: String) -> [Piece] {
        var lexer = ConditionLexer(template)
        var pieces: [Piece] = []
        var text: [UInt8] = []
        let bytes = lexer.bytes
        while lexer.position < bytes.count {
            let b = bytes[lexer.position]
            guard b == 37 else { text.append(b); lexer.position += 1; continue }
            let start = lexer.position
            lexer.position += 1
            if lexer.peek == 37 { text.append(37); lexer.position += 1; continue }
            var width: Int?
            var w = 0, digits = 0
            while let d = lexer.peek, ConditionLexer.isDigit(d), digits < 4 { w = w * 10 + Int(d - 48); digits += 1; lexer.position += 1 }
            if digits > 0 { width = w }
            var parser = ConditionParser(lexer: lexer)
            if let op = try? parser.parseTransformerOperand(allowVal: false) {
                lexer = parser.lexer
                flush(&text, &pieces)
                pieces.append(.reference(Reference(operand: op, width: width, offset: start)))
                continue
            }
            let fieldStart = lexer.position
            if let name = lexer.lexFieldName() {
                var parser = ConditionParser(lexer: lexer)
                if let f = try? parser.parseFieldArgument(name: name, start: fieldStart) {
                    lexer = parser.lexer
                    flush(&text, &pieces)
                    pieces.append(.reference(Reference(operand: .field(f), width: width, offset: start)))
                    continue
                }
                flush(&text, &pieces)
                pieces.append(.reference(Reference(operand: .field(.init(name: name, argument: nil, offset: fieldStart)), width: width, offset: start)))
                continue
            }
            flush(&text, &pieces)
            pieces.append(.stray(offset: start))
        }
        flush(&text, &pieces)
        return pieces
    }

    private static func flush(_ text: inout [UInt8], _ pieces: inout [Piece]) {
        if !text.isEmpty { pieces.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
    }

    /// The rendered text line for one event.
    public func render(_ source: some FieldValueSource) -> String {
        var out = ""
        for s in segments {
            switch s {
            case .text(let t): out += t
            case .field(let f, let width):
                var v = ReferenceEvaluator.value(of: f, in: source).map(\.text) ?? "<NA>"
                if let width {
                    let n = v.utf8.count
                    if n < width { v += String(repeating: " ", count: width - n) }
                    else if n > width { v = String(decoding: v.utf8.prefix(width), as: UTF8.self) }
                }
                out += v
            }
        }
        return out
    }

    /// `output_fields`: each referenced field with its value (nil when missing).
    public func fieldValues(_ source: some FieldValueSource) -> [(String, FieldValue?)] {
        fields.map { ($0.description, ReferenceEvaluator.value(of: $0, in: source)) }
    }
}
