/// One item of a rules file after reading its YAML, before anything is resolved.
enum RuleItem: Sendable {
    case list(ListItem)
    case macro(MacroItem)
    case rule(RuleEntry)

    /// Whether a key was given to replace or append to an earlier definition.
    enum OverrideMode: String, Sendable { case append, replace }

    struct Located<T: Sendable>: Sendable {
        var value: T
        var line: Int
        var column: Int
    }

    struct ListItem: Sendable {
        var name: String
        var file: SourceFile
        var line: Int
        var column: Int
        var items: [Located<String>]?
        var append: Bool
        var override: [String: OverrideMode]
    }

    struct MacroItem: Sendable {
        var name: String
        var file: SourceFile
        var line: Int
        var column: Int
        var condition: ScalarText?
        var append: Bool
        var override: [String: OverrideMode]
    }

    struct ExceptionEntry: Sendable {
        enum Fields: Sendable { case single(String), multiple([String]) }
        /// One value per field; a value may itself be a list (for `in`, `pmatch`, `intersects`).
        enum Value: Sendable { case scalar(String), list([String]) }
        var name: String
        var line: Int
        var column: Int
        var fields: Fields?
        var comps: [Located<String>]?
        var values: [Located<[Value]>]
    }

    struct RuleEntry: Sendable {
        var name: String
        var file: SourceFile
        var line: Int
        var column: Int
        var keys: Set<String> = []
        var description: String?
        var condition: ScalarText?
        var output: ScalarText?
        var priority: Priority?
        var enabled: Bool?
        var tags: [String]?
        var source: String?
        var exceptions: [ExceptionEntry]?
        var warnEvttypes: Bool?
        var skipIfUnknownFilter: Bool?
        var capture: Bool?
        var captureDuration: Int?
        var append: Bool = false
        var override: [String: OverrideMode] = [:]
        /// The item had errors (reported); it is still compiled so its other mistakes show up,
        /// but it never runs.
        var invalid = false

        /// `- rule: X` with only `enabled:`: switches an earlier rule on or off.
        var isEnableToggle: Bool { keys.contains("enabled") && keys.subtracting(["rule", "enabled"]).isEmpty }
        /// Changes an earlier rule rather than defining one.
        var isChange: Bool { append || !override.isEmpty }
    }
}
