/// The rules built into the binary (from `rules/*.yaml`, embedded by `scripts/gen-default-rules`).
public enum DefaultRules {
    /// The name `-r default` refers to.
    public static let argument = "default"

    public static var sources: [RuleSource] {
        generatedFiles.map { RuleSource(name: "<default>/" + $0.name, text: $0.text) }
    }
}
