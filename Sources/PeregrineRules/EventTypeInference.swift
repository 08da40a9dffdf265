/// Which event types can a condition match? Follows Falco: `evt.type` checks (`=`, `in`, `!=`)
/// give sets, `and` intersects, `or` unites, `not` complements within the known types, and any
/// other check allows every type.
public enum EventTypeInference {
    /// nil means "every event type" (no restriction).
    public static func eventTypes(of condition: CompiledCondition, universe: Set<String>) -> Set<String>? {
        let s = types(condition, negated: false, universe)
        return s == universe ? nil : s
    }

    static func types(_ c: CompiledCondition, negated: Bool, _ all: Set<String>) -> Set<String> {
        switch c {
        case .and(let xs):
            let sets = xs.map { types($0, negated: negated, all) }
            return negated ? sets.reduce(Set()) { $0.union($1) } : sets.reduce(all) { $0.intersection($1) }
        case .or(let xs):
            let sets = xs.map { types($0, negated: negated, all) }
            return negated ? sets.reduce(all) { $0.intersection($1) } : sets.reduce(Set()) { $0.union($1) }
        case .not(let x):
            return types(x, negated: !negated, all)
        case .constant(let b):
            return b != negated ? all : []
        case .check(let k):
            guard case .field(let f) = k.operand, f.info.name == "evt.type" || f.info.name == "syscall.type" else { return all }
            var named: Set<String>
            switch k.value {
            case .constant(.string(let s)): named = [s]
            case .set(let xs, _): named = Set(xs.compactMap { if case .string(let s) = $0 { s } else { nil } })
            default: return all
            }
            switch k.op {
            case .equal, .in: return negated ? all.subtracting(named) : named.intersection(all).union(named)
            case .notEqual: return negated ? named : all.subtracting(named)
            default: return all
            }
        }
    }
}
