/// The check operators of Falco's condition language.
public enum ComparisonOperator: String, Hashable, Sendable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case contains, icontains, bcontains, startswith, bstartswith, endswith
    case glob, iglob, regex
    case `in`, intersects, pmatch
    case exists

    /// Operators whose right-hand side is a list of values.
    public var takesList: Bool { self == .in || self == .intersects || self == .pmatch }
    /// Operators that take no right-hand side.
    public var isUnary: Bool { self == .exists }
    /// Operators that only make sense on text.
    public var isTextOnly: Bool {
        switch self {
        case .contains, .icontains, .bcontains, .startswith, .bstartswith, .endswith,
             .glob, .iglob, .regex, .pmatch: true
        default: false
        }
    }
    public var isOrdering: Bool {
        self == .less || self == .lessOrEqual || self == .greater || self == .greaterOrEqual
    }

    /// Word operators: they must be followed by a blank (or `(` for list operators).
    static let words: [ComparisonOperator] = [
        .contains, .icontains, .bcontains, .startswith, .bstartswith, .endswith,
        .glob, .iglob, .regex, .intersects, .in, .pmatch, .exists,
    ]
}
