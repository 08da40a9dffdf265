import PeregrineEvents
import PeregrineRules

/// Events in, alerts out: the one path live agent, replay and rule tests share.
///
/// When built, rules are bucketed by event type and their conditions lowered into a
/// `CompiledMatcher`; per event, only the rules of its type run, over one field cache. The
/// `reference` evaluator mode runs the same rules through `ReferenceEvaluator` instead (the
/// semantics the compiled path is tested against).
public final class Engine {
    public enum Matching: String, Sendable { case all, first }
    public enum Evaluator: Sendable { case compiled, reference }

    public let rules: RuleSet
    public var context: EngineContext { didSet { extractor?.context = context } }
    /// Reused for every event (see `FieldExtractor`); made by the first event that needs it.
    private var extractor: FieldExtractor?
    public let matching: Matching
    public let evaluator: Evaluator
    private let matcher: CompiledMatcher
    /// Rule indices per event-type code, in load order.
    private let buckets: [[Int]]
    /// Per event type, which rules can match which field values (see `RuleIndex`).
    private let indexes: [RuleIndex]
    /// Candidate rules of the current event as a bitmap over rule indices, filled by the
    /// matcher in place: walking its set bits visits them in rule order, once each, without
    /// sorting (a sort of many candidates allocates a merge buffer) or a list to append to.
    /// Memory this object owns: an array here cost a uniqueness check per word written.
    private let candidateBits: UnsafeMutableBufferPointer<UInt64>
    public private(set) var eventsSeen: UInt64 = 0
    /// Events seen per event-type code (the engine has the code anyway: counting here costs
    /// one increment, where a count keyed by name would hash a string per event).
    /// Memory this object owns, like `candidateBits`: an array cost a uniqueness check per event.
    private let seenByType: UnsafeMutableBufferPointer<UInt64> = {
        let p = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: EventTypeCode.names.count)
        p.initialize(repeating: 0)
        return p
    }()
    /// Per event-type code: whether any rule is in its bucket (the buckets' arrays, read per
    /// event, cost a bounds check and a load of their count).
    private let typeHasRules: UnsafeMutableBufferPointer<Bool>
    public private(set) var alertsRaised: UInt64 = 0
    /// Matches per rule index (names via `rules.rules[i].name`).
    public private(set) var matchesByRule: [UInt64]

    public init(rules: RuleSet, context: EngineContext, matching: Matching = .all, evaluator: Evaluator = .compiled) {
        self.rules = rules
        self.context = context
        self.matching = matching
        self.evaluator = evaluator
        let matcher = CompiledMatcher(rules: rules)
        self.matcher = matcher
        var buckets = Array(repeating: [Int](), count: EventTypeCode.names.count)
        for (i, rule) in rules.rules.enumerated() where rule.isEnabled && rule.condition != nil && rule.source == "syscall" {
            for (code, name) in EventTypeCode.names.enumerated() where rule.eventTypes?.contains(name) ?? true {
                buckets[code].append(i)
            }
        }
        self.buckets = buckets
        typeHasRules = .allocate(capacity: buckets.count)
        _ = typeHasRules.initialize(from: buckets.map { !$0.isEmpty })
        indexes = buckets.enumerated().map { matcher.index(for: $0.element, eventType: $0.offset) }
        matchesByRule = Array(repeating: 0, count: rules.rules.count)
        candidateBits = .allocate(capacity: max((rules.rules.count + 63) / 64, 1))
        candidateBits.initialize(repeating: 0)
    }

    deinit {
        candidateBits.deallocate()
        seenByType.deallocate()
        typeHasRules.deallocate()
    }

    /// Events seen by `evt.type` (types never seen are left out), for metrics.
    public var eventsByType: [(type: String, count: UInt64)] {
        seenByType.enumerated().filter { $0.element > 0 }.map { (EventTypeCode.names[$0.offset], $0.element) }
    }

    /// Event types some enabled rule needs: what the probe should report.
    public var neededEventTypes: Set<String> {
        var out: Set<String> = []
        for (code, bucket) in buckets.enumerated() where !bucket.isEmpty { out.insert(EventTypeCode.names[code]) }
        return out
    }

    /// Checks one event; `emit` receives each alert in rule order.
    public func process(_ event: EventView, number: UInt64, processes: ProcessTable, emit: (Alert) -> Void) {
        eventsSeen &+= 1
        let code = EventTypeCode.of(event)
        seenByType[code.index] &+= 1
        if !typeHasRules[code.index] { return }
        // The table is lent to the extractor by address for this call only (see `FieldExtractor`).
        withUnsafePointer(to: processes) { table in
            match(event, type: code, number: number, table: table, emit: emit)
        }
    }

    private func match(_ event: EventView, type code: EventTypeCode, number: UInt64, table: UnsafePointer<ProcessTable>,
                       emit: (Alert) -> Void) {
        if extractor == nil { extractor = FieldExtractor(borrowing: table, event: event, context: context) }
        // Unmanaged, guaranteed references: self keeps the extractor and the indexes alive for
        // the call, and a strong local cost a retain and a release per event each.
        Unmanaged.passUnretained(extractor!)._withUnsafeGuaranteedRef { x in
            Unmanaged.passUnretained(indexes[code.index])._withUnsafeGuaranteedRef { ruleIndex in
                match(event, type: code, number: number, table: table, x, ruleIndex, emit: emit)
            }
        }
    }

    private func match(_ event: EventView, type code: EventTypeCode, number: UInt64, table: UnsafePointer<ProcessTable>,
                       _ x: FieldExtractor, _ ruleIndex: RuleIndex, emit: (Alert) -> Void) {
        x.reset(event: event, type: code, number: number, table: table)
        defer { x.release() }
        matcher.begin()
        // Rule order decides alert order and what `rule_matching: first` keeps. A rule filed
        // under several keys of one value (an `or`) may come twice: the bitmap keeps it once.
        let bits = candidateBits
        switch evaluator {
        case .compiled: matcher.candidates(ruleIndex, x, into: bits)
        case .reference: for index in buckets[code.index] { bits[index >> 6] |= 1 << UInt64(index & 63) }
        }
        var stop = false
        let words = bits.count
        var w = 0
        while w < words {
            // Most words are empty (a thousand rules are sixteen words, an event selects a
            // few rules): four at a time are passed over with one test.
            if w + 4 <= words && bits[w] | bits[w + 1] | bits[w + 2] | bits[w + 3] == 0 {
                w += 4
                continue
            }
            var word = bits[w]
            bits[w] = 0
            while word != 0 && !stop {
                let index = w << 6 | word.trailingZeroBitCount
                word &= word - 1
                let matched: Bool
                switch evaluator {
                case .compiled: matched = matcher.matches(rule: index, in: ruleIndex, x)
                case .reference:
                    guard let condition = rules.rules[index].condition else { continue }
                    matched = ReferenceEvaluator.evaluate(condition, on: x.fields)
                }
                guard matched else { continue }
                alertsRaised &+= 1
                matchesByRule[index] &+= 1
                emit(Alert(rule: rules.rules[index], time: x.timeNs, hostname: context.hostname, fields: x.fields))
                if matching == .first { stop = true }
            }
            w += 1
        }
    }
}
