/// The result of loading: every rule in evaluation order, indexed by event type.
public struct RuleSet: Sendable {
    public var rules: [CompiledRule]
    /// Lists after expansion, by name.
    public var lists: [String: [String]]
    /// Macro names in definition order.
    public var macroNames: [String]
    /// For each supported event type, indexes into `rules` of the enabled rules for it, in order.
    public private(set) var rulesByEventType: [String: [Int]]

    public init(rules: [CompiledRule], lists: [String: [String]], macroNames: [String], supported: Set<String>) {
        self.rules = rules
        self.lists = lists
        self.macroNames = macroNames
        var index: [String: [Int]] = [:]
        for t in supported.sorted() { index[t] = [] }
        for (i, r) in rules.enumerated() where r.isEnabled {
            for t in supported where r.eventTypes?.contains(t) ?? true { index[t, default: []].append(i) }
        }
        rulesByEventType = index
    }

    public subscript(name: String) -> CompiledRule? { rules.first { $0.name == name } }

    /// The enabled rules to evaluate for an event of this type, in evaluation order.
    public func rules(for eventType: String) -> [CompiledRule] {
        (rulesByEventType[eventType] ?? []).map { rules[$0] }
    }

    public var enabledRules: [CompiledRule] { rules.filter(\.isEnabled) }
}
