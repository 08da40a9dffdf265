/// Which event types can a condition match? Follows Falco: `evt.type` checks (`=`, `in`, `!=`)
/// give sets, `and` intersects, `or` unites, `not` complements within the known types, and any
/// other check allows every type.
public enum EventTypeInference {
    /// nil means "every event type" (no restriction).
    public static func eventTypes(of condition: CompiledCondition, universe: Set<String>) -> Set<String>? {
        switch types(condition, negated: false, universe) {
        case .all: return nil
        case .only(let s): return s == universe ? nil : s
        }
    }

    /// "Every type" is kept symbolic so that large conditions do not copy the universe per check.
    enum Types {
        case all
        case only(Set<String>)

        func union(_ o: Types) -> Types {
            switch (self, o) {
            case (.all, _), (_, .all): .all
            case (.only(let a), .only(let b)): .only(a.union(b))
            }
        }

        func intersection(_ o: Types) -> Types {
            switch (self, o) {
            case (.all, let x), (let x, .all): x
            case (.only(let a), .only(let b)): .only(a.intersection(b))
            }
        }
    }

    static func types(_ c: CompiledCondition, negated: Bool, _ universe: Set<String>) -> Types {
        switch c {
        case .and(let xs):
            return negated ? xs.reduce(Types.only([])) { $0.union(types($1, negated: true, universe)) }
                           : xs.reduce(Types.all) { $0.intersection(types($1, negated: false, universe)) }
        case .or(let xs):
            return negated ? xs.reduce(Types.all) { $0.intersection(types($1, negated: true, universe)) }
                           : xs.reduce(Types.only([])) { $0.union(types($1, negated: false, universe)) }
        case .not(let x):
            return types(x, negated: !negated, universe)
        case .constant(let b):
            return b != negated ? .all : .only([])
        case .check(let k):
            guard case .field(let f) = k.operand, f.info.name == "evt.type" || f.info.name == "syscall.type" else { return .all }
            // `= anyof (a, b)` names the types as `in` does; other modifiers are not narrowed.
            if let m = k.modifier, !(m == .anyof && k.op == .equal) { return .all }
            let named: Set<String>
            switch k.value {
            case .constant(.string(let s)): named = [s]
            case .set(let xs, _): named = Set(xs.compactMap { if case .string(let s) = $0 { s } else { nil } })
            default: return .all
            }
            switch k.op {
            case .equal, .in: return negated ? .only(universe.subtracting(named)) : .only(named)
            case .notEqual: return negated ? .only(named) : .only(universe.subtracting(named))
            default: return .all
            }
        }
    }
}
