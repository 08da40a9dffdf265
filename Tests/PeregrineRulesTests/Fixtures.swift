import Foundation
import Testing
@testable import PeregrineRules

/// Files the tests read: the Falco rule files and the seed rules under ../shared.
enum Fixtures {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    static func source(_ relative: String) -> RuleSource {
        let url = shared.appendingPathComponent(relative)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("cannot read \(url.path): the tests expect the shared rule files next to the package (../shared)")
            return RuleSource(name: url.lastPathComponent, text: "")
        }
        return RuleSource(name: url.lastPathComponent, text: text)
    }

    static var falcoStable: RuleSource { source("falco-rules/falco_rules.yaml") }
    static var falcoIncubating: RuleSource { source("falco-rules/falco-incubating_rules.yaml") }
    static var falcoSandbox: RuleSource { source("falco-rules/falco-sandbox_rules.yaml") }
    static var mlRules: RuleSource { source("seed-rules/ml_rules.yaml") }

    static func load(_ yaml: String, name: String = "test.yaml") -> RuleLoader.Result {
        RuleLoader().load([RuleSource(name: name, text: yaml)])
    }
}
