import PeregrineEvents
import PeregrineRules

/// Events in, alerts out: the one path live agent, replay and rule tests share.
///
/// Rules are bucketed by event type when the engine is built, so an event is only checked
/// against the rules that can match its type. Matching currently runs the reference
/// evaluator (the semantics every faster engine is checked against).
public final class Engine {
    public enum Matching: String, Sendable { case all, first }

    public let rules: RuleSet
    public var context: EngineContext
    public let matching: Matching
    private let buckets: [String: [Int]]
    /// Rules that apply to every event type (no `evt.type` restriction).
    private let anyType: [Int]
    public private(set) var eventsSeen: UInt64 = 0
    public private(set) var alertsRaised: UInt64 = 0
    /// Matches by rule name.
    public private(set) var matchesByRule: [String: UInt64] = [:]

    public init(rules: RuleSet, context: EngineContext, matching: Matching = .all) {
        self.rules = rules
        self.context = context
        self.matching = matching
        var buckets: [String: [Int]] = [:]
        var anyType: [Int] = []
        for (i, rule) in rules.rules.enumerated() where rule.isEnabled && rule.condition != nil && rule.source == "syscall" {
            if let types = rule.eventTypes {
                for t in types { buckets[t, default: []].append(i) }
            } else {
                anyType.append(i)
            }
        }
        // Keep file order inside each bucket: `first` means the first rule in load order.
        for key in buckets.keys { buckets[key] = (buckets[key]! + anyType).sorted() }
        self.buckets = buckets
        self.anyType = anyType
    }

    /// Event types some enabled rule needs: what the probe should report.
    public var neededEventTypes: Set<String> { Set(buckets.keys) }

    /// Checks one event; `emit` receives each alert in rule order.
    public func process(_ event: EventView, number: UInt64, processes: ProcessTable, emit: (Alert) -> Void) {
        eventsSeen &+= 1
        let fields = EventFields(event: event, number: number, processes: processes, context: context)
        let type = fields.eventType
        let candidates = buckets[type] ?? anyType
        for index in candidates {
            let rule = rules.rules[index]
            guard let condition = rule.condition, ReferenceEvaluator.evaluate(condition, on: fields) else { continue }
            alertsRaised &+= 1
            matchesByRule[rule.name, default: 0] &+= 1
            emit(Alert(rule: rule, time: fields.timeNs, hostname: context.hostname, fields: fields))
            if matching == .first { return }
        }
    }
}
