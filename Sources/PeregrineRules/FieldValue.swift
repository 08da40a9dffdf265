/// A field's value for one event, as supplied by a `FieldValueSource`.
public enum FieldValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case bytes([UInt8])
    /// Several values: every ancestor for `proc.aname`, every item of a list field.
    case list([FieldValue])

    /// Text as shown in outputs.
    public var text: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .bool(let b): b ? "true" : "false"
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        case .list(let xs): xs.map(\.text).joined(separator: ",")
        }
    }
}

/// Supplies field values for one event. Return nil when the field has no value for this event
/// ("missing"): every check on it is then false, except that `exists` is false too and `not`
/// inverts as usual.
public protocol FieldValueSource {
    func value(of field: ResolvedField) -> FieldValue?
}

/// A `FieldValueSource` backed by a dictionary keyed by the field as written
/// (`proc.name`, `proc.aname[2]`, `evt.arg.flags`), for tests and replay tools. An unindexed
/// ancestor field (`proc.aname`) holds the ancestors from the parent up, as a `.list`.
public struct FieldValueTable: FieldValueSource, Sendable {
    public var values: [String: FieldValue]

    public init(_ values: [String: FieldValue]) { self.values = values }

    public func value(of field: ResolvedField) -> FieldValue? {
        if let v = values[field.description] { return v }
        // An indexed ancestor field can be answered from the unindexed list: [1] is the parent.
        if case .index(let i) = field.argument, field.info.multiplicity == .anyAncestor,
           case .list(let xs)? = values[field.info.name] {
            if i == 0 { return values["proc." + field.info.name.dropFirst(6)] }
            return i <= xs.count ? xs[i - 1] : nil
        }
        return nil
    }
}
