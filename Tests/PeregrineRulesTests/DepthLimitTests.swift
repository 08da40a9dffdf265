import Testing
@testable import PeregrineRules
/// Conditions as deep as the limits allow compile and evaluate without exhausting the stack
/// (Falco allows 1000 levels in a condition).
@Suite struct DepthLimitTests {
    @Test func conditionsAtTheParserLimit() {
        let n = ConditionParser.maxDepth
        for c in [String(repeating: "(", count: n) + "proc.name = a" + String(repeating: ")", count: n),
                  String(repeating: "not not ", count: n / 2) + "proc.name = a",
                  String(repeating: "(proc.name = b or ", count: n) + "proc.name = a" + String(repeating: ")", count: n)] {
            let r = Fixtures.load("- rule: R\n  desc: d\n  condition: \"evt.type = execve and \(c)\"\n  output: x\n  priority: INFO\n")
            #expect(r.errors.isEmpty, "\(r.errors.first?.message ?? "")")
            let cond = r.ruleSet["R"]?.condition
            let ok = cond.map { ReferenceEvaluator.evaluate($0, on: FieldValueTable(["evt.type": .string("execve"), "proc.name": .string("a")])) } ?? false
            #expect(ok)
            _ = cond?.description.count
            _ = cond?.hashValue
        }
    }
}
extension DepthLimitTests {
    @Test func macroChainNearTheExpandedLimit() {
        var yaml = ""
        let count = 21
        for i in 0..<count {
            let inner = i == 0 ? "proc.name = a" : "m\(i - 1)"
            yaml += "- macro: m\(i)\n  condition: " + String(repeating: "not not ", count: 45) + inner + "\n"
        }
        let r = Fixtures.load(yaml + "- rule: R\n  desc: d\n  condition: evt.type = execve and m\(count - 1)\n  output: x\n  priority: INFO\n")
        #expect(r.errors.isEmpty, "\(r.errors.first?.message ?? "")")
        let cond = r.ruleSet["R"]?.condition
        let ok = cond.map { ReferenceEvaluator.evaluate($0, on: FieldValueTable(["evt.type": .string("execve"), "proc.name": .string("a")])) } ?? false
        #expect(ok)
        _ = cond?.description.count
        _ = cond?.hashValue
        _ = cond == cond
    }
}
