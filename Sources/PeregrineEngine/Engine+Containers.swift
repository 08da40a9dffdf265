import PeregrineRules

extension Engine {
    /// Names of the fields answered from the container runtime's metadata (`container.image`,
    /// `k8s.pod.name`, ...): not `container.id`, which the kernel's cgroup path gives at once.
    public static var containerMetadataFields: Set<String> { FieldCode.containerMetadataFieldNames }

    /// Whether the rule's condition or output reads container metadata.
    public static func needsContainerMetadata(_ rule: CompiledRule) -> Bool {
        let names = FieldCode.containerMetadataFieldNames
        if let output = rule.output, output.fields.contains(where: { $0.fields.contains { names.contains($0.name) } }) { return true }
        guard let condition = rule.condition else { return false }
        return reads(condition, names)
    }

    /// Event types for which some enabled rule reads container metadata; `all` when such a rule
    /// applies to every event type.
    public var eventTypesNeedingContainerMetadata: (all: Bool, types: Set<String>) {
        var types: Set<String> = []
        for rule in rules.rules where rule.isEnabled && Self.needsContainerMetadata(rule) {
            guard let t = rule.eventTypes else { return (true, []) }
            types.formUnion(t)
        }
        return (false, types)
    }

    private static func reads(_ c: CompiledCondition, _ names: Set<String>) -> Bool {
        switch c {
        case .and(let xs), .or(let xs): return xs.contains { reads($0, names) }
        case .not(let x): return reads(x, names)
        case .constant: return false
        case .check(let check):
            if check.operand.fields.contains(where: { names.contains($0.name) }) { return true }
            if case .operand(let other) = check.value { return other.fields.contains { names.contains($0.name) } }
            return false
        }
    }
}
