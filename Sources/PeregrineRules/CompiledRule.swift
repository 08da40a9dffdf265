/// One rule after loading, whether or not it can run.
public struct CompiledRule: Sendable {
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case enabled
        /// `enabled: false` in a rules file.
        case disabledByUser
        /// Every event type the condition needs is one the probe does not produce.
        case unsupportedEventTypes([String])
        /// `source` other than syscall: kept, not compiled for the syscall engine.
        case otherSource(String)
        /// The condition, an exception or the output has errors (see the diagnostics).
        case invalid
        /// `skip-if-unknown-filter: true` and the condition names an unknown field.
        case skippedUnknownField(String)

        public var description: String {
            switch self {
            case .enabled: "enabled"
            case .disabledByUser: "disabled (enabled: false)"
            case .unsupportedEventTypes(let t): "disabled: needs event types the probe does not produce (\(t.joined(separator: ", ")))"
            case .otherSource(let s): "not loaded: source '\(s)' is not syscall"
            case .invalid: "not loaded: errors in the rule"
            case .skippedUnknownField(let f): "skipped: unknown field '\(f)' (skip-if-unknown-filter)"
            }
        }
    }

    public var name: String
    public var description: String
    public var priority: Priority
    public var tags: [String]
    public var source: String
    public var location: SourceLocation
    /// The compiled condition: macros inlined, lists expanded, exceptions appended.
    public var condition: CompiledCondition?
    public var output: OutputFormat?
    /// Event types the condition can match; nil means every event type.
    public var eventTypes: Set<String>?
    public var status: Status
    public var warnEvttypes: Bool
    public var skipIfUnknownFilter: Bool
    public var capture: Bool
    public var captureDuration: Int?

    public var isEnabled: Bool { status == .enabled }

    /// Whether the rule should be evaluated for events of this type.
    public func applies(to eventType: String) -> Bool {
        isEnabled && (eventTypes?.contains(eventType) ?? true)
    }
}
