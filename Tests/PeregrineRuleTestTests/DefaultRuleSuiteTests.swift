import Foundation
import PeregrineRules
import Testing

@testable import PeregrineRuleTest

/// The suite in rules/tests passes, and it covers every default rule with positive and
/// negative cases (the project's rule: at least two of each).
@Suite struct DefaultRuleSuiteTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func results() throws -> [(RuleTestFile, FileResult)] {
        let folder = root.appendingPathComponent("rules/tests")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        let runner = RuleTestRunner(readFile: { path in try? String(contentsOfFile: path, encoding: .utf8) })
        return try names.map { name in
            let path = folder.appendingPathComponent(name).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let (file, problems) = RuleTestFile.parse(name: path, text: text)
            #expect(problems.isEmpty, "\(problems)")
            return (try #require(file), runner.run(file: path, text: text))
        }
    }

    @Test func everyCasePasses() throws {
        for (_, r) in try Self.results() {
            #expect(r.problems.isEmpty, "\(r.problems)")
            for c in r.cases { #expect(c.passed, "\(r.file): \(c.name): \(c.failures)") }
        }
    }

    @Test func everyDefaultRuleHasTwoPositiveAndTwoNegativeCases() throws {
        let rules = RuleLoader().loadWithDefaults([]).ruleSet.rules.map(\.name)
        #expect(rules.count >= 10)
        var positive: [String: Int] = [:], negative: [String: Int] = [:]
        for (file, result) in try Self.results() {
            let expectedInFile = Set(file.cases.flatMap { $0.expect.filter { $0.count != 0 }.map(\.rule.value) })
            for (c, r) in zip(file.cases, result.cases) {
                let fired = Set(r.alerts.map(\.rule))
                for rule in Set(c.expect.filter { $0.count != 0 }.map(\.rule.value)) where fired.contains(rule) { positive[rule, default: 0] += 1 }
                // A negative case for a rule: named so, in a file that tests the rule, and it stays quiet.
                guard c.name.hasPrefix("negative") else { continue }
                for rule in expectedInFile.union(c.absent.map(\.value)) where !fired.contains(rule) { negative[rule, default: 0] += 1 }
            }
        }
        for rule in rules {
            #expect(positive[rule, default: 0] >= 2, "\(rule): \(positive[rule, default: 0]) positive cases")
            #expect(negative[rule, default: 0] >= 2, "\(rule): \(negative[rule, default: 0]) negative cases")
        }
        // The seed ML rules are covered too.
        for rule in ["Model File Download from Untrusted Source", "Pickle Deserialization in ML Container", "GPU Device Access by Non-ML Container"] {
            #expect(positive[rule, default: 0] >= 2 && negative[rule, default: 0] >= 2, "\(rule)")
        }
    }

    /// Every default rule carries MITRE ATT&CK tags: a technique id and a tactic.
    @Test func defaultRulesAreTaggedWithMitre() {
        for rule in RuleLoader().loadWithDefaults([]).ruleSet.rules {
            #expect(rule.tags.contains { $0.hasPrefix("T1") && $0.dropFirst().allSatisfy { $0.isNumber || $0 == "." } }, "\(rule.name)")
            #expect(rule.tags.contains { $0.hasPrefix("mitre_") }, "\(rule.name)")
            #expect(rule.description.count > 80, "\(rule.name): say why the rule exists")
        }
    }

    /// The seed ML rules still load on top of the defaults without errors.
    @Test func seedRulesLoadOnTopOfTheDefaults() throws {
        let path = Self.root.appendingPathComponent("../shared/seed-rules/ml_rules.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let r = RuleLoader().loadWithDefaults([RuleSource(name: path, text: text)])
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.ruleSet.rules.filter(\.isEnabled).count == r.ruleSet.rules.count)
        #expect(r.ruleSet.lists["approved_ml_images"]?.contains("registry.internal/ml-trainer") == true)
    }
}
