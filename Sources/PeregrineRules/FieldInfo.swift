/// One entry of the field catalogue.
public struct FieldInfo: Hashable, Sendable {
    public enum ValueType: String, Hashable, Sendable {
        case string, int64, uint64, bool, double, bytes
        case ipAddress = "ipaddr", ipNetwork = "ipnet", port
        case absoluteTime = "abstime", relativeTime = "reltime"

        public var isNumeric: Bool {
            switch self {
            case .int64, .uint64, .double, .port, .absoluteTime, .relativeTime: true
            default: false
            }
        }
    }

    /// What goes inside `[...]` (or after the last dot for `evt.arg.name`).
    public enum ArgumentKind: String, Hashable, Sendable {
        case none
        case optionalIndex = "index?"
        case requiredIndex = "index"
        case optionalKey = "key?"
        case requiredKey = "key"
        case indexOrKey = "index|key"
    }

    /// How many values the field has for one event.
    public enum Multiplicity: String, Hashable, Sendable {
        case single
        /// Without an index the field stands for every ancestor, and a check matches if any does.
        case anyAncestor = "any-ancestor"
        /// A list of values: `in` needs all of them in the set, `intersects` any, other operators any.
        case list
    }

    public var name: String
    public var type: ValueType
    public var description: String
    public var argument: ArgumentKind
    /// `evt.arg.flags` spells the argument after a dot.
    public var argumentAfterDot: Bool
    public var multiplicity: Multiplicity
    /// Event types that carry a value; nil means every event.
    public var eventTypes: Set<String>?
    /// False when Falco knows the field but Peregrine's probe cannot provide it (network fds, ...).
    public var supplied: Bool
    /// Position in its catalogue: a dense id an engine can index per-event caches with.
    public internal(set) var id: Int = -1
}
