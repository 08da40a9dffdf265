import Testing
@testable import PeregrineRules

/// Hostile and random input: diagnostics, never a crash or a hang.
@Suite struct RobustnessTests {
    /// Deterministic generator so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func yamlRule(_ condition: String) -> String {
        "- rule: R\n  desc: d\n  condition: \(QuotedText.quote(condition))\n  output: x\n  priority: INFO\n"
    }

    @Test func randomBytesAsConditionsAndFiles() {
        var rng = SplitMix(state: 42)
        for _ in 0..<1500 {
            let n = Int.random(in: 0...120, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = ConditionParser.parse(text)
            _ = OutputFormat.scan(text)
        }
        for _ in 0..<150 {
            let n = Int.random(in: 0...400, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = Fixtures.load(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func randomTokenSoupThroughTheWholeLoader() {
        let vocabulary = ["(", ")", " and ", " or ", "not ", "proc.name", "proc.aname[2]", "fd.name", "evt.type", "proc.pid",
                          " = ", " != ", " in ", " contains ", " pmatch ", " exists", " glob ", " regex ", " < ", "bash", "'q'", "\"",
                          ",", "shells", "m", "tolower(", "val(", "[", "]", "0x1f", "-1", "execve", " ", "\\", "len("]
        var rng = SplitMix(state: 7)
        var accepted = 0
        for _ in 0..<1500 {
            let n = Int.random(in: 1...14, using: &rng)
            let cond = (0..<n).map { _ in vocabulary.randomElement(using: &rng)! }.joined()
            if case .success = ConditionParser.parse(cond) { accepted += 1 }
            let r = Fixtures.load("- list: shells\n  items: [sh]\n- macro: m\n  condition: proc.name = x\n" + Self.yamlRule(cond))
            if r.ruleSet["R"]?.condition != nil {
                _ = ReferenceEvaluator.evaluate(r.ruleSet["R"]!.condition!, on: FieldValueTable(["proc.name": .string("bash")]))
            } else {
                #expect(r.hasErrors || r.ruleSet["R"] == nil || r.ruleSet["R"]?.status != .enabled)
            }
        }
        #expect(accepted > 10)
    }

    @Test func mutatedFalcoRulesNeverCrash() {
        let original = Array(Fixtures.falcoStable.text.utf8)
        var rng = SplitMix(state: 99)
        for _ in 0..<12 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...30, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...127, using: &rng)
                case 1: bytes.remove(at: i)
                default: bytes.insert([40, 41, 34, 39, 58, 10, 32, 45][Int.random(in: 0..<8, using: &rng)], at: i)
                }
            }
            _ = Fixtures.load(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func deepNestingIsRejectedWithADiagnostic() {
        let depth = 10_000
        let cases = [
            String(repeating: "(", count: depth) + "proc.name = a" + String(repeating: ")", count: depth),
            String(repeating: "not ", count: depth) + "proc.name = a",
            String(repeating: "tolower(", count: depth) + "proc.name" + String(repeating: ")", count: depth) + " = a",
            "proc.name = " + String(repeating: "val(", count: depth) + "proc.name" + String(repeating: ")", count: depth),
            String(repeating: "(", count: depth),
        ]
        for c in cases {
            switch ConditionParser.parse(c) {
            case .success: Issue.record("accepted deep nesting")
            case .failure(let e): #expect(e.code == .tooDeep || e.code == .unknownTransformer || e.code == .expectedCheck, "\(e)")
            }
            let r = Fixtures.load(Self.yamlRule(c))
            #expect(r.hasErrors)
        }
        // Exactly at the limit is fine.
        let limit = ConditionParser.maxDepth
        let ok = String(repeating: "(", count: limit) + "proc.name = a" + String(repeating: ")", count: limit)
        #expect((try? ConditionParser.parse(ok).get()) != nil)
    }

    @Test func deepMacroChainsAreRejectedWithoutExhaustingTheStack() {
        let nest = 90
        var yaml = ""
        for i in 0..<25 {
            let inner = i == 0 ? "proc.name = a" : "m\(i - 1)"
            yaml += "- macro: m\(i)\n  condition: " + String(repeating: "not ", count: nest) + inner + "\n"
        }
        let r = Fixtures.load(yaml + "- rule: R\n  desc: d\n  condition: evt.type = execve and m24\n  output: x\n  priority: INFO\n")
        #expect(r.errors.map(\.code) == [.expandedTooDeep])
        #expect(r.ruleSet["R"]?.status == .invalid)
    }

    @Test func floodsOfMistakesAndHugeNamesStayFast() {
        let longName = String(repeating: "x", count: 200_000)
        let many = (0..<8_000).map { "foo.bar\($0) = 1" }.joined(separator: " or ")
        for cond in ["evt.type = execve and \(longName)", "evt.type = execve and proc.\(longName) = 1",
                     "evt.type = execve and (\(many))", "evt.type = execve and (" + (0..<8_000).map { "m\($0)" }.joined(separator: " or ") + ")"] {
            let r = Fixtures.load(Self.yamlRule(cond))
            #expect(r.hasErrors)
        }
    }

    @Test func deeplyNestedYAMLIsRejected() {
        let depth = 10_000
        let r = Fixtures.load("- rule: R\n  tags: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n")
        #expect(r.hasErrors)
        let block = (0..<300).map { String(repeating: " ", count: $0 * 2) + "- " }.joined(separator: "\n") + "x\n"
        _ = Fixtures.load(block)
    }

    @Test func oneMebibyteCondition() {
        var parts: [String] = []
        var size = 0
        var i = 0
        while size < 1 << 20 {
            let p = "proc.name = p\(i)"
            parts.append(p)
            size += p.utf8.count + 4
            i += 1
        }
        let cond = "evt.type = execve and (" + parts.joined(separator: " or ") + ")"
        #expect(cond.utf8.count > 1 << 20)
        let r = Fixtures.load(Self.yamlRule(cond))
        #expect(r.errors.isEmpty)
        let compiled = r.ruleSet["R"]?.condition
        #expect(compiled != nil)
        let event = FieldValueTable(["evt.type": .string("execve"), "proc.name": .string("p\(i - 1)")])
        let matched = compiled.map { ReferenceEvaluator.evaluate($0, on: event) } ?? false
        #expect(matched)
        // A 1 MiB condition with a mistake at the very end still points at it.
        let broken = Fixtures.load(Self.yamlRule(cond + " and"))
        #expect(broken.errors.map(\.code) == [.expectedCheck])
    }
}
