/// A condition after compiling: macros inlined, lists expanded, fields resolved against the
/// catalogue, constants typed. This is what the reference evaluator runs and what a fast engine
/// lowers into its own instructions.
public indirect enum CompiledCondition: Sendable, Hashable {
    case and([CompiledCondition])
    case or([CompiledCondition])
    case not(CompiledCondition)
    case check(CompiledCheck)
    case constant(Bool)
}

/// An argument given to a field: `[2]` or `[app]` or `.flags`.
public enum FieldArgument: Sendable, Hashable, CustomStringConvertible {
    case index(Int)
    case key(String)

    public var description: String {
        switch self {
        case .index(let i): String(i)
        case .key(let k): k
        }
    }
}

/// A field from the catalogue plus its argument.
public struct ResolvedField: Sendable, Hashable, CustomStringConvertible {
    public var info: FieldInfo
    public var argument: FieldArgument?

    public init(info: FieldInfo, argument: FieldArgument? = nil) {
        self.info = info
        self.argument = argument
    }

    public var name: String { info.name }
    /// Multi-valued for this use: ancestor fields without an index, and list fields.
    public var isMultiValued: Bool {
        switch info.multiplicity {
        case .single: false
        case .anyAncestor: argument == nil
        case .list: argument == nil
        }
    }

    public var description: String {
        guard let argument else { return info.name }
        if info.argumentAfterDot, case .key(let k) = argument { return "\(info.name).\(k)" }
        return "\(info.name)[\(argument)]"
    }
}

/// A field, possibly passed through transformers, or a value combined from several arguments.
public indirect enum CompiledOperand: Sendable, Hashable, CustomStringConvertible {
    case field(ResolvedField)
    case transformed(FieldTransformer, CompiledOperand)
    /// `join(sep, list)` or `concat(a, b, ...)`.
    case combined(FieldTransformer, [CompiledOperand])
    /// A constant argument of `join`/`concat`.
    case text(String)
    /// `(a, b, ...)` as an argument of `join`.
    case list([CompiledOperand])

    /// Every field the operand reads, in written order.
    public var fields: [ResolvedField] {
        switch self {
        case .field(let f): [f]
        case .transformed(_, let inner): inner.fields
        case .combined(_, let xs), .list(let xs): xs.flatMap(\.fields)
        case .text: []
        }
    }

    /// The field when the operand is one field, possibly transformed.
    public var singleField: ResolvedField? {
        switch self {
        case .field(let f): f
        case .transformed(_, let inner): inner.singleField
        default: nil
        }
    }

    /// Has several values per event (any-ancestor and list fields, `( ... )` lists).
    public var isMultiValued: Bool {
        switch self {
        case .field(let f): f.isMultiValued
        case .transformed(.len, _): false
        case .transformed(_, let inner): inner.isMultiValued
        case .combined, .text: false
        case .list: true
        }
    }

    /// A list field (not an ancestor field): `in` needs all its values, `intersects` any.
    public var isListField: Bool {
        switch self {
        case .field(let f): f.info.multiplicity == .list
        case .transformed(.len, _): false
        case .transformed(_, let inner): inner.isListField
        default: false
        }
    }

    /// The type of the value after transformers.
    public var type: FieldInfo.ValueType {
        switch self {
        case .field(let f): f.info.type
        case .transformed(.len, _): .uint64
        case .transformed(_, _), .combined, .text, .list: .string
        }
    }

    public var description: String {
        switch self {
        case .field(let f): f.description
        case .transformed(let t, let inner): "\(t.rawValue)(\(inner))"
        case .combined(let t, let xs): "\(t.rawValue)(" + xs.map(\.description).joined(separator: ", ") + ")"
        case .text(let s): QuotedText.quote(s)
        case .list(let xs): "(" + xs.map(\.description).joined(separator: ", ") + ")"
        }
    }
}

/// A typed constant.
public enum Constant: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case bytes([UInt8])

    public var description: String {
        switch self {
        case .string(let s): QuotedText.needsQuotes(s) ? QuotedText.quote(s) : s
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .bool(let b): b ? "true" : "false"
        case .bytes(let b): b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
    }
}

/// A compiled regular expression (whole-string match), kept with its source text.
public final class CompiledRegex: @unchecked Sendable, Hashable {
    public let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        self.regex = try Regex(pattern)
    }

    public func matches(_ s: String) -> Bool { (try? regex.wholeMatch(in: s)) != nil }

    public static func == (a: CompiledRegex, b: CompiledRegex) -> Bool { a.pattern == b.pattern }
    public func hash(into h: inout Hasher) { h.combine(pattern) }
}

/// The right-hand side of a check.
public enum CompiledValue: Sendable, Hashable {
    case none
    case constant(Constant)
    /// `in` / `intersects` values, in written order, with a set for lookup.
    case set([Constant], Set<Constant>)
    /// `pmatch` path prefixes, normalised without trailing slashes.
    case pathPrefixes([String])
    case regex(CompiledRegex)
    /// `regex oneof (...)`: one expression per item.
    case regexes([CompiledRegex])
    case operand(CompiledOperand)
}

public struct CompiledCheck: Sendable, Hashable {
    public var operand: CompiledOperand
    public var op: ComparisonOperator
    public var value: CompiledValue
    /// With a modifier the value is a list (`.set` or `.regexes`) compared item by item.
    public var modifier: CheckModifier? = nil
}

extension CompiledCondition: CustomStringConvertible {
    public var description: String {
        switch self {
        case .and(let xs): "(" + xs.map(\.description).joined(separator: " and ") + ")"
        case .or(let xs): "(" + xs.map(\.description).joined(separator: " or ") + ")"
        case .not(let x): "not " + x.description
        case .constant(let b): b ? "(always true)" : "(always false)"
        case .check(let c): Self.describe(c)
        }
    }

    static func describe(_ c: CompiledCheck) -> String {
        let m = c.modifier.map { $0.rawValue + " " } ?? ""
        return switch c.value {
        case .none: "\(c.operand) \(c.op.rawValue)"
        case .constant(let k): "\(c.operand) \(c.op.rawValue) \(k)"
        case .set(let xs, _): "\(c.operand) \(c.op.rawValue) \(m)(" + xs.map(\.description).joined(separator: ", ") + ")"
        case .pathPrefixes(let xs): "\(c.operand) \(c.op.rawValue) (" + xs.map { Constant.string($0).description }.joined(separator: ", ") + ")"
        case .regex(let r): "\(c.operand) \(c.op.rawValue) \(QuotedText.quote(r.pattern))"
        case .regexes(let rs): "\(c.operand) \(c.op.rawValue) \(m)(" + rs.map { QuotedText.quote($0.pattern) }.joined(separator: ", ") + ")"
        case .operand(let o): "\(c.operand) \(c.op.rawValue) val(\(o))"
        }
    }
}
