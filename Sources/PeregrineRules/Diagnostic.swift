/// One problem found while loading rules. Codes are stable: tools and tests may match on them.
///
/// Codes by stage: PR1xx condition syntax, PR2xx rule file structure, PR3xx names and types,
/// PR4xx compiling and event types, PR5xx outputs. Each code is declared next to the code that
/// emits it, as a static member in an extension of `Diagnostic.Code`.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Comparable {
        case error, warning, note

        private var rank: Int { self == .error ? 2 : self == .warning ? 1 : 0 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public let severity: Severity
        public init(_ rawValue: String, _ severity: Severity) {
            self.rawValue = rawValue
            self.severity = severity
        }
        public var description: String { rawValue }
    }

    public var code: Code
    public var severity: Severity
    public var message: String
    public var location: SourceLocation
    /// The source line the location points into, when known (a window of it for long lines).
    public var sourceLine: String?
    /// Column of the caret within `sourceLine` (differs from `location.column` for windows).
    public var snippetColumn: Int
    /// A one-line suggestion to fix the problem.
    public var hint: String?

    public init(_ code: Code, _ message: String, at location: SourceLocation,
                sourceLine: String? = nil, hint: String? = nil) {
        self.code = code
        self.severity = code.severity
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
        self.snippetColumn = location.column
        self.hint = hint
    }

    /// `file:line:col: error[PR101]: message`, then the line with a caret under the column, then the hint.
    public var description: String {
        var text = "\(location): \(severity.rawValue)[\(code.rawValue)]: \(message)"
        if let line = sourceLine {
            let shown = String(decoding: line.utf8.map { $0 == 9 ? 32 : $0 }, as: UTF8.self)
            text += "\n  | " + shown
            let pad = max(0, snippetColumn - 1)
            text += "\n  | " + String(repeating: " ", count: pad) + "^"
        }
        if let hint { text += "\n  = hint: " + hint }
        return text
    }
}
