import Testing
@testable import PeregrineRules

@Suite struct FalcoCompatibilityTests {
    @Test func stableRulesLoadAndEveryRuleCompiles() {
        let result = RuleLoader().load([Fixtures.falcoStable])
        #expect(!Fixtures.falcoStable.text.isEmpty)
        let errors = result.errors
        #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
        #expect(result.ruleSet.rules.count == 25)
        for rule in result.ruleSet.rules {
            switch rule.status {
            case .enabled, .unsupportedEventTypes: break
            default: Issue.record("rule '\(rule.name)' is \(rule.status)")
            }
            #expect(rule.condition != nil, "rule '\(rule.name)' did not compile")
        }
        #expect(result.ruleSet.rules.contains { $0.isEnabled })
        // Indexed by event type: every enabled rule shows up under each supported type it needs.
        for type in EventTypeSet.supported {
            let names = result.ruleSet.rules(for: type).map(\.name)
            let expected = result.ruleSet.rules.filter { $0.isEnabled && ($0.eventTypes?.contains(type) ?? true) }.map(\.name)
            #expect(names == expected, "\(type)")
        }
        #expect(!result.ruleSet.rules(for: "execve").isEmpty)
        #expect(result.ruleSet.rules(for: "connect").isEmpty)
    }

    @Test func incubatingAndSandboxLoadWithoutCrashing() {
        for files in [[Fixtures.falcoIncubating], [Fixtures.falcoSandbox],
                      [Fixtures.falcoStable, Fixtures.falcoIncubating, Fixtures.falcoSandbox]] {
            let result = RuleLoader().load(files)
            #expect(!result.ruleSet.rules.isEmpty)
        }
    }

    @Test func stableIncubatingAndSandboxTogetherHaveNoErrors() {
        let result = RuleLoader().load([Fixtures.falcoStable, Fixtures.falcoIncubating, Fixtures.falcoSandbox])
        #expect(result.errors.isEmpty, "\(result.errors.prefix(5).map(\.description).joined(separator: "\n"))")
    }

    @Test func mlRulesLoadOnTopOfFalcoRules() {
        let result = RuleLoader().load([Fixtures.falcoStable, Fixtures.mlRules])
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description).joined(separator: "\n"))")
        for name in ["Model File Download from Untrusted Source", "Pickle Deserialization in ML Container",
                     "GPU Device Access by Non-ML Container"] {
            #expect(result.ruleSet[name]?.isEnabled == true, "\(name)")
        }
    }

    @Test func mlRulesLoadOnTopOfDefaults() {
        let result = RuleLoader().loadWithDefaults([Fixtures.mlRules])
        #expect(result.errors.isEmpty, "\(result.errors.map(\.description).joined(separator: "\n"))")
        #expect(result.ruleSet["GPU Device Access by Non-ML Container"]?.isEnabled == true)
        #expect(result.ruleSet["GPU Device Access by Non-ML Container"]?.eventTypes == ["open", "openat", "openat2"])
    }
}
