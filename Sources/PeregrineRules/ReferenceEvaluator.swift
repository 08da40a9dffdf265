/// A direct, unoptimised evaluator of compiled conditions with Falco's semantics. It is the
/// reference that tests and faster engines are checked against: correctness over speed.
///
/// - A missing field makes every check on it false, `exists` included.
/// - Multi-valued fields (ancestors without index, list fields) match if any value matches;
///   for list fields `in` needs every value in the set and `intersects` any.
public enum ReferenceEvaluator {
    public static func evaluate(_ condition: CompiledCondition, on source: some FieldValueSource) -> Bool {
        switch condition {
        case .and(let xs): return xs.allSatisfy { evaluate($0, on: source) }
        case .or(let xs): return xs.contains { evaluate($0, on: source) }
        case .not(let x): return !evaluate(x, on: source)
        case .constant(let b): return b
        case .check(let c): return check(c, source)
        }
    }

    /// Does the rule match this event? (Enabled, event type applies, condition true.) `evt.type`
    /// is answered with `eventType` when the source has no value for it.
    public static func matches(_ rule: CompiledRule, eventType: String, on source: some FieldValueSource) -> Bool {
        guard rule.applies(to: eventType), let c = rule.condition else { return false }
        return evaluate(c, on: WithEventType(base: source, eventType: eventType))
    }

    private struct WithEventType<Base: FieldValueSource>: FieldValueSource {
        let base: Base
        let eventType: String
        func value(of field: ResolvedField) -> FieldValue? {
            if let v = base.value(of: field) { return v }
            return field.name == "evt.type" || field.name == "syscall.type" ? .string(eventType) : nil
        }
    }

    /// The operand's value after transformers, or nil when missing.
    public static func value(of operand: CompiledOperand, in source: some FieldValueSource) -> FieldValue? {
        switch operand {
        case .field(let f): return source.value(of: f)
        case .transformed(let t, let inner):
            guard let v = value(of: inner, in: source) else { return nil }
            return transform(t, v)
        case .text(let s):
            return .string(s)
        case .list(let items):
            // Every item must have a value; a list-valued item contributes all its values.
            var out: [FieldValue] = []
            for item in items {
                guard let v = value(of: item, in: source) else { return nil }
                if case .list(let xs) = v { out += xs } else { out.append(v) }
            }
            return .list(out)
        case .combined(.join, let args):
            guard args.count == 2, let sep = value(of: args[0], in: source), let items = value(of: args[1], in: source) else { return nil }
            if case .list(let xs) = items { return .string(xs.map(\.text).joined(separator: sep.text)) }
            return .string(items.text)
        case .combined(_, let args):
            var out = ""
            for a in args {
                guard let v = value(of: a, in: source) else { return nil }
                out += v.text
            }
            return .string(out)
        }
    }

    static func transform(_ t: FieldTransformer, _ v: FieldValue) -> FieldValue? {
        if case .list(let xs) = v {
            if t == .len { return .uint(UInt64(xs.count)) }
            return .list(xs.compactMap { transform(t, $0) })
        }
        if t == .len {
            if case .bytes(let b) = v { return .uint(UInt64(b.count)) }
            return .uint(UInt64(v.text.utf8.count))
        }
        return t.apply(v.text).map(FieldValue.string)
    }

    static func check(_ c: CompiledCheck, _ source: some FieldValueSource) -> Bool {
        guard let v = value(of: c.operand, in: source) else { return false }
        if c.op == .exists { return true }
        if let m = c.modifier { return modified(v, m, c, source) }
        if case .list(let xs) = v {
            if c.operand.isListField, case .set(_, let set) = c.value {
                if c.op == .in { return !xs.isEmpty && xs.allSatisfy { set.contains(constant(of: $0)) } }
                if c.op == .intersects { return xs.contains { set.contains(constant(of: $0)) } }
            }
            return xs.contains { scalarCheck($0, c, source) }
        }
        return scalarCheck(v, c, source)
    }

    /// `op oneof/anyof/allof (items)`: each item is compared on its own and the count of items
    /// that hold decides. A multi-valued operand matches when any of its values does.
    static func modified(_ v: FieldValue, _ m: CheckModifier, _ c: CompiledCheck, _ source: some FieldValueSource) -> Bool {
        var items: [CompiledValue] = []
        switch c.value {
        case .set(let xs, _): items = xs.map { .constant($0) }
        case .regexes(let rs): items = rs.map { .regex($0) }
        default: return false
        }
        func holds(_ one: FieldValue) -> Bool {
            var matched = 0
            for item in items {
                let single = CompiledCheck(operand: c.operand, op: c.op, value: item)
                if scalarCheck(one, single, source) { matched += 1 }
            }
            return m.holds(matched: matched, total: items.count)
        }
        if case .list(let xs) = v { return xs.contains(where: holds) }
        return holds(v)
    }

    /// The value as a constant of the same domain the compiler uses.
    static func constant(of v: FieldValue) -> Constant {
        switch v {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .uint(let u): u <= UInt64(Int64.max) ? .int(Int64(u)) : .uint(u)
        case .bool(let b): .bool(b)
        case .bytes(let b): .string(String(decoding: b, as: UTF8.self))
        case .list(let xs): .string(xs.map(\.text).joined(separator: ","))
        }
    }

    static func scalarCheck(_ v: FieldValue, _ c: CompiledCheck, _ source: some FieldValueSource) -> Bool {
        switch c.value {
        case .none: return true
        case .constant(let k): return compare(constant(of: v), c.op, k)
        case .set(_, let set):
            let mine = constant(of: v)
            if set.contains(mine) { return true }
            // Numbers supplied as text (and the reverse) still compare by value.
            if case .string(let s) = mine, let n = Int64(s) { return set.contains(.int(n)) }
            return false
        case .pathPrefixes(let prefixes):
            let s = v.text
            return prefixes.contains { pathHasPrefix(s, $0) }
        case .regex(let r): return r.matches(v.text)
        case .regexes(let rs): return rs.contains { $0.matches(v.text) }
        case .operand(let other):
            guard let ov = value(of: other, in: source) else { return false }
            if case .list(let ys) = ov { return ys.contains { compare(constant(of: v), c.op, constant(of: $0)) } }
            return compare(constant(of: v), c.op, constant(of: ov))
        }
    }

    static func pathHasPrefix(_ path: String, _ prefix: String) -> Bool {
        if prefix == "/" { return path.hasPrefix("/") }
        guard path.hasPrefix(prefix) else { return false }
        let p = path.utf8, n = prefix.utf8.count
        return p.count == n || p[p.index(p.startIndex, offsetBy: n)] == 47
    }

    static func numeric(_ k: Constant) -> (negative: Bool, magnitude: UInt64)? {
        switch k {
        case .int(let i): (i < 0, i.magnitude)
        case .uint(let u): (false, u)
        case .string(let s):
            if let i = Int64(s) { (i < 0, i.magnitude) } else if let u = UInt64(s) { (false, u) } else { nil }
        default: nil
        }
    }

    /// -1, 0, 1 for numbers; nil when either side is not a number.
    static func numericOrder(_ a: Constant, _ b: Constant) -> Int? {
        guard let x = numeric(a), let y = numeric(b) else { return nil }
        if x.negative != y.negative { return x.negative ? -1 : 1 }
        if x.magnitude == y.magnitude { return 0 }
        let less = x.magnitude < y.magnitude
        return (less != x.negative) ? -1 : 1
    }

    static func compare(_ a: Constant, _ op: ComparisonOperator, _ b: Constant) -> Bool {
        switch op {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: Int
            if case .string(let x) = a, case .string(let y) = b {
                order = x == y ? 0 : (x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1)
            } else if case .bool(let x) = a, case .bool(let y) = b {
                order = x == y ? 0 : (!x ? -1 : 1)
            } else if let n = numericOrder(a, b) {
                order = n
            } else {
                if op == .equal { return a.description == b.description }
                if op == .notEqual { return a.description != b.description }
                return false
            }
            switch op {
            case .equal: return order == 0
            case .notEqual: return order != 0
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        default: break
        }
        let s = text(a)
        switch op {
        case .contains: return Bytes.contains(Array(s.utf8), Array(text(b).utf8))
        case .icontains: return Bytes.contains(Bytes.lower(Array(s.utf8)), Bytes.lower(Array(text(b).utf8)))
        case .startswith: return s.utf8.starts(with: text(b).utf8)
        case .endswith: return s.utf8.reversed().starts(with: text(b).utf8.reversed())
        case .bcontains: return Bytes.contains(Array(s.utf8), bytes(b))
        case .bstartswith: return s.utf8.starts(with: bytes(b))
        case .glob: return Glob.matches(Array(text(b).utf8), Array(s.utf8))
        case .iglob: return Glob.matches(Bytes.lower(Array(text(b).utf8)), Bytes.lower(Array(s.utf8)))
        case .in, .intersects: return compare(a, .equal, b)
        case .pmatch: return pathHasPrefix(s, text(b))
        case .regex: return (try? Regex(text(b)).wholeMatch(in: s)) != nil
        default: return false
        }
    }

    static func text(_ k: Constant) -> String {
        if case .string(let s) = k { return s }
        if case .bytes(let b) = k { return String(decoding: b, as: UTF8.self) }
        return k.description
    }

    static func bytes(_ k: Constant) -> [UInt8] {
        if case .bytes(let b) = k { return b }
        return Array(text(k).utf8)
    }
}
