import PeregrineEvents
import PeregrineRules

/// Falco field values for one decoded event and the process table it happened in, as the
/// reference evaluator and output rendering want them. A field that does not apply to the
/// event is nil (missing). Values come from `FieldExtractor`, which the compiled matcher
/// uses too, so both paths mean the same thing by every field.
public struct EventFields: FieldValueSource {
    public let event: EventView
    public let number: UInt64
    public let processes: ProcessTable
    public let context: EngineContext
    /// The engine's extractor for this event, when the engine made these fields: values then
    /// come from it (and its caches) instead of a new extractor per value.
    private let shared: FieldExtractor?

    public init(event: EventView, number: UInt64, processes: ProcessTable, context: EngineContext) {
        self.event = event
        self.number = number
        self.processes = processes
        self.context = context
        shared = nil
    }

    init(extractor: FieldExtractor) {
        event = extractor.event
        number = extractor.number
        processes = extractor.processes
        context = extractor.context
        shared = extractor
    }

    var extractor: FieldExtractor {
        shared ?? FieldExtractor(event: event, number: number, processes: processes, context: context)
    }

    public var eventType: String { EventJSON.eventType(event) }

    public var timeNs: UInt64 { extractor.timeNs }

    public func value(of field: ResolvedField) -> FieldValue? {
        let code = FieldCode.of(field)
        if code == .external {
            return context.extraField?(field, self)
        }
        let x = extractor
        if code.isAncestor, field.argument == nil {
            var values: [FieldValue] = []
            var i = 1
            while true {
                let v = x.ancestorValue(code, index: i)
                guard let r = FieldExtractor.reference(v) else { break }
                values.append(r)
                i += 1
            }
            return values.isEmpty ? nil : .list(values)
        }
        return FieldExtractor.reference(x.value(code, argument: field.argument, field: field))
    }
}
