import Foundation
import Testing
@testable import PeregrineRules

@Suite struct DiagnosticPositionTests {
    /// Ten different mistakes, each marked with `#!` on the line its diagnostic must point at.
    static let tenMistakes = """
    - list: shells
      items: [bash, sh]
    - macro: m1
      condition: proc.name in (shells) and #!
    - rule: r0
      desc: uses the broken macro; no second diagnostic for it
      condition: evt.type = execve and m1
      output: x
      priority: ERROR
    - rule: r1
      desc: d
      condition: evt.type = execve and proc.nme = bash #!
      output: "%proc.name"
      priority: WARNING
    - rule: r2
      desc: d
      condition: evt.type = execve and proc.name = x
      output: x
      priority: CRITICL #!
    - rule: r3
      desc: d
      condition: evt.type = execve and undefined_macro #!
      output: x
      priority: ERROR
    - rule: r4
      desc: d
      condition: evt.type = execve and proc.pid = abc #!
      output: x
      priority: ERROR
    - rule: r5
      desc: d
      condition: evt.type = open and fd.name in missing_list #!
      output: x
      priority: ERROR
    - rule: r6
      desc: d
      condition: evt.type = open
      output: "file %fd.nam opened" #!
      priority: ERROR
    - rule: r7 #!
      desc: no priority
      condition: evt.type = open
      output: x
    - rule: r8
      desc: d
      condition: evt.type = execve and proc.pid contains 1 #!
      output: x
      priority: ERROR
    - rule: r9
      desc: d
      condition: evt.type = execve and proc.aname[x] = y #!
      output: x
      priority: ERROR
    """

    @Test func tenMistakesGiveTenDiagnosticsOnTenLines() {
        let result = Fixtures.load(Self.tenMistakes, name: "broken.yaml")
        let marked = Self.tenMistakes.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { $0.element.hasSuffix("#!") }.map { $0.offset + 1 }
        #expect(marked.count == 10)
        #expect(result.diagnostics.count == 10, "\(result.diagnostics.map(\.description).joined(separator: "\n"))")
        #expect(result.diagnostics.map(\.location.line) == marked)
        #expect(result.diagnostics.map(\.code.rawValue) == ["PR101", "PR310", "PR207", "PR312", "PR315", "PR314", "PR500", "PR204", "PR316", "PR311"])
        #expect(result.diagnostics.allSatisfy { $0.severity == .error && $0.location.file == "broken.yaml" })
        let byCode = Dictionary(result.diagnostics.map { ($0.code.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byCode["PR310"]?.message == "unknown field 'proc.nme'")
        #expect(byCode["PR310"]?.hint == "did you mean 'proc.name'?")
        #expect(byCode["PR310"]?.location.column == 36)
        #expect(byCode["PR207"]?.message == "unknown priority 'CRITICL'")
        #expect(byCode["PR207"]?.hint?.hasPrefix("did you mean 'CRITICAL'?") == true)
        #expect(byCode["PR500"]?.message == "unknown field 'fd.nam'")
        #expect(byCode["PR500"]?.location.column == 18)
        #expect(byCode["PR101"]?.location.column == 39)
        #expect(byCode["PR312"]?.message == "undefined macro 'undefined_macro'")
    }

    /// A rule with a bad key still has its condition and output checked, and never runs.
    @Test func everyMistakeInOneRuleIsReported() {
        let r = Fixtures.load("""
        - rule: r
          desc: d
          condition: evt.type = execve and proc.nme = x
          output: "%proc.cmdlin"
          priority: WARNNG
          enabled: perhaps
        """)
        #expect(r.diagnostics.map(\.code) == [.unknownField, .outputField, .invalidPriority, .invalidBool])
        #expect(r.diagnostics.map(\.location.line) == [3, 4, 5, 6])
        #expect(r.ruleSet["r"]?.status == .invalid)
        let onlyBool = Fixtures.load("- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: x\n  priority: INFO\n  enabled: perhaps\n")
        #expect(onlyBool.ruleSet["r"]?.status == .invalid)
    }

    @Test func caretSnippetPointsAtTheColumn() {
        let result = Fixtures.load("""
        - macro: m
          condition: proc.name = x and fd.nme = y
        - rule: r
          desc: d
          condition: evt.type = open and m
          output: x
          priority: INFO
        """, name: "m.yaml")
        let d = result.diagnostics.first { $0.code == .unknownField }
        #expect(d?.description == """
        m.yaml:2:32: error[PR310]: unknown field 'fd.nme'
          |   condition: proc.name = x and fd.nme = y
          |                                ^
          = hint: did you mean 'fd.name'?
        """)
    }

    @Test func longLinesShowAWindowWithTheCaretInPlace() {
        let cond = "evt.type = execve and " + (0..<100).map { "proc.name = n\($0)" }.joined(separator: " or ") + " or fd.nme = x"
        let r = Fixtures.load("- rule: R\n  desc: d\n  condition: \(cond)\n  output: x\n  priority: INFO\n")
        let d = r.errors.first
        #expect(d?.location.column == 14 + cond.utf8.count - 10)
        let lines = d?.description.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 4)
        if lines.count == 4 {
            #expect(lines[1].hasPrefix("  | ...") && lines[1].hasSuffix("fd.nme = x"))
            let caret = lines[2].utf8.count - 1
            let snippet = Array(lines[1].utf8)
            #expect(String(decoding: snippet[caret..<min(snippet.count, caret + 6)], as: UTF8.self) == "fd.nme")
        }
    }

    /// Conditions written as folded, literal, multi-line plain and quoted scalars map back to lines.
    static let scalarStyles: [(String, Int, Int)] = [
        ("  condition: >\n    evt.type = execve and\n    proc.nmae = x\n", 5, 5),
        ("  condition: |\n    evt.type = execve\n      and proc.nmae = x\n", 5, 11),
        ("  condition: evt.type = execve and\n    (proc.name = a or\n     proc.nmae = x)\n", 5, 6),
        ("  condition: \"evt.type = execve and proc.nmae = x\"\n", 3, 37),
        ("  condition: 'evt.type = execve and proc.nmae = x'\n", 3, 37),
        ("  condition: >-\n\n    evt.type = execve\n\n    and proc.nmae = x\n", 7, 9),
    ]

    @Test(arguments: scalarStyles)
    func positionsInsideScalars(_ condition: String, _ line: Int, _ column: Int) {
        let yaml = "- rule: r\n  desc: d\n" + condition + "  output: x\n  priority: INFO\n"
        for text in [yaml, yaml.replacingOccurrences(of: "\n", with: "\r\n")] {
            let result = Fixtures.load(text)
            let d = result.diagnostics.first { $0.code == .unknownField }
            #expect(d?.location.line == line, "\(text)")
            #expect(d?.location.column == column, "\(text)")
        }
    }

    @Test func appendedConditionPointsIntoTheSecondFile() {
        let base = RuleSource(name: "a.yaml", text: "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: x\n  priority: INFO\n")
        let add = RuleSource(name: "b.yaml", text: "- rule: r\n  condition: and proc.nmae = x\n  override:\n    condition: append\n")
        let result = RuleLoader().load([base, add])
        let d = result.diagnostics.first { $0.code == .unknownField }
        #expect(d?.location == SourceLocation(file: "b.yaml", line: 2, column: 18))
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let result = Fixtures.load("- rule: r\n  desc: [unclosed\n  output: x\n")
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.code == .yamlSyntax)
        #expect(result.diagnostics.first?.location.line ?? 0 >= 2)
    }

    @Test func unknownKeysWarnWithASuggestion() {
        let result = Fixtures.load("- rule: r\n  desc: d\n  conditon: x\n  condition: evt.type = execve\n  output: x\n  priority: INFO\n")
        #expect(result.diagnostics.map(\.code) == [.unknownKey])
        #expect(result.diagnostics.first?.message == "unknown key 'conditon' in rule 'r'; it is ignored")
        #expect(result.diagnostics.first?.hint == "did you mean 'condition'?")
        #expect(result.diagnostics.first?.location.line == 3)
    }

    @Test func shapeErrors() {
        let cases: [(String, Diagnostic.Code, Int)] = [
            ("rule: x\n", .notASequence, 1),
            ("- 42\n", .itemNotMapping, 1),
            ("- something: x\n", .unknownItem, 1),
            ("- list: l\n", .missingKey, 1),
            ("- macro: m\n", .missingKey, 1),
            ("- list: l\n  items: x\n", .wrongValueType, 2),
            ("- rule: r\n  desc: d\n  condition: evt.type = open\n  output: x\n  priority: INFO\n  enabled: maybe\n", .invalidBool, 6),
            ("- rule: r\n  desc: d\n  condition: evt.type = open\n  output: x\n  priority: INFO\n  tags: notalist\n", .wrongValueType, 6),
            ("- required_engine_version: 99.0.0\n", .engineVersion, 1),
            ("- rule: r\n  condition: x\n  override:\n    condition: prepend\n", .invalidOverride, 4),
            ("- rule: nope\n  enabled: false\n", .enableUnknown, 1),
            ("- rule: nope\n  condition: and x\n  append: true\n", .appendToUnknown, 1),
        ]
        for (yaml, code, line) in cases {
            let result = Fixtures.load(yaml)
            let d = result.diagnostics.first { $0.code == code }
            #expect(d != nil, "\(yaml): \(result.diagnostics.map(\.description))")
            #expect(d?.location.line == line, "\(yaml)")
        }
    }
}
