/// The parsed form of a condition, before names are resolved. Every node carries the byte offset
/// where it starts in the condition text it came from.
public indirect enum ConditionExpr: Sendable, Hashable {
    case and([ConditionExpr], offset: Int)
    case or([ConditionExpr], offset: Int)
    case not(ConditionExpr, offset: Int)
    /// A bare identifier: a macro reference.
    case macro(String, offset: Int)
    case check(Check)

    /// A field with an optional argument, as written: `proc.aname[2]`, `evt.arg.flags`.
    public struct FieldRef: Sendable, Hashable {
        public var name: String
        public var argument: String?
        public var offset: Int
    }

    /// Left-hand side of a check, or a field used as a value.
    public indirect enum Operand: Sendable, Hashable {
        case field(FieldRef)
        case transformed(FieldTransformer, Operand, offset: Int)
        /// `join(sep, list)` / `concat(a, b, ...)`: a transformer over an argument list.
        case combined(FieldTransformer, [Operand], offset: Int)
        /// A quoted string or a number given as a transformer argument.
        case text(String, offset: Int)
        /// `(a, b, ...)` given as a transformer argument.
        case list([Operand], offset: Int)

        public var offset: Int {
            switch self {
            case .field(let f): f.offset
            case .transformed(_, _, let o), .combined(_, _, let o), .text(_, let o), .list(_, let o): o
            }
        }
    }

    public struct Literal: Sendable, Hashable {
        public var text: String
        public var quoted: Bool
        public var offset: Int
    }

    public enum Value: Sendable, Hashable {
        case none
        case literal(Literal)
        /// `(a, b, c)`; items that name a list are expanded later.
        case list([Literal], offset: Int)
        /// `in some_list` written without parentheses.
        case listName(String, offset: Int)
        /// `val(field)` or a transformer applied to a field, compared field-to-field.
        case operand(Operand)
    }

    public struct Check: Sendable, Hashable {
        public var lhs: Operand
        public var op: ComparisonOperator
        public var value: Value
        public var offset: Int
        public var operatorOffset: Int
        /// `oneof`/`anyof`/`allof` written between the operator and a list.
        public var modifier: CheckModifier? = nil
    }

    public var offset: Int {
        switch self {
        case .and(_, let o), .or(_, let o), .not(_, let o), .macro(_, let o): o
        case .check(let c): c.offset
        }
    }
}

extension ConditionExpr: CustomStringConvertible {
    /// A canonical rendering without positions or incidental whitespace: two conditions that differ
    /// only in spacing render the same.
    public var description: String {
        switch self {
        case .and(let xs, _): "(" + xs.map(\.description).joined(separator: " and ") + ")"
        case .or(let xs, _): "(" + xs.map(\.description).joined(separator: " or ") + ")"
        case .not(let x, _): "not " + x.description
        case .macro(let n, _): n
        case .check(let c):
            switch c.value {
            case .none: "\(c.lhs) \(c.op.rawValue)"
            case .literal(let l): "\(c.lhs) \(c.op.rawValue) \(l)"
            case .list(let xs, _): "\(c.lhs) \(c.op.rawValue) " + (c.modifier.map { $0.rawValue + " " } ?? "") + "(" + xs.map(\.description).joined(separator: ", ") + ")"
            case .listName(let n, _): "\(c.lhs) \(c.op.rawValue) \(n)"
            case .operand(let o): "\(c.lhs) \(c.op.rawValue) val(\(o))"
            }
        }
    }
}

extension ConditionExpr.Operand: CustomStringConvertible {
    public var description: String {
        switch self {
        case .field(let f): f.description
        case .transformed(let t, let inner, _): "\(t.rawValue)(\(inner))"
        case .combined(let t, let args, _): "\(t.rawValue)(" + args.map(\.description).joined(separator: ", ") + ")"
        case .text(let s, _): QuotedText.quote(s)
        case .list(let xs, _): "(" + xs.map(\.description).joined(separator: ", ") + ")"
        }
    }
}

extension ConditionExpr.FieldRef: CustomStringConvertible {
    public var description: String { argument.map { "\(name)[\($0)]" } ?? name }
}

extension ConditionExpr.Literal: CustomStringConvertible {
    public var description: String { quoted ? QuotedText.quote(text) : text }
}
