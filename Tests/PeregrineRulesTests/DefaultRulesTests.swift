import Foundation
import Testing
@testable import PeregrineRules

@Suite struct DefaultRulesTests {
    /// The embedded copy matches rules/*.yaml byte for byte (run scripts/gen-default-rules if not).
    @Test func embeddedRulesMatchTheRulesFolder() throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("rules")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(DefaultRules.generatedFiles.map(\.name) == names)
        for file in DefaultRules.generatedFiles {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(file.name), encoding: .utf8)
            #expect(file.text == onDisk, "\(file.name) is stale: run scripts/gen-default-rules")
        }
    }

    @Test func defaultsLoadCleanlyAndProvideFalcosStandardMacros() {
        let r = RuleLoader().loadWithDefaults([])
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        let macros = Set(r.ruleSet.macroNames)
        for name in ["spawned_process", "container", "open_read", "open_write", "open_directory", "proc_name_exists",
                     "open_file_failed", "container_started", "never_true", "always_true", "shell_procs", "host"] {
            #expect(macros.contains(name), "\(name)")
        }
    }

    /// The standard macros mean what Falco's do.
    @Test func standardMacroMeaning() {
        let r = RuleLoader().loadWithDefaults([RuleSource(name: "t.yaml", text: """
        - rule: exec_in_container
          desc: d
          condition: spawned_process and container and proc_name_exists
          output: x
          priority: INFO
        - rule: read
          desc: d
          condition: open_read
          output: x
          priority: INFO
        - rule: write
          desc: d
          condition: open_write
          output: x
          priority: INFO
        """)])
        #expect(r.errors.isEmpty)
        let exec = r.ruleSet["exec_in_container"]!
        #expect(exec.eventTypes == ["execve", "execveat"])
        let inPod = FieldValueTable(["proc.name": .string("sh"), "container.id": .string("0123456789ab")])
        #expect(ReferenceEvaluator.matches(exec, eventType: "execve", on: inPod))
        #expect(!ReferenceEvaluator.matches(exec, eventType: "execve", on: FieldValueTable(["proc.name": .string("sh"), "container.id": .string("host")])))
        #expect(!ReferenceEvaluator.matches(exec, eventType: "execve", on: FieldValueTable(["container.id": .string("0123456789ab")])))
        let open: [String: FieldValue] = ["evt.is_open_read": .bool(true), "evt.is_open_write": .bool(false), "fd.typechar": .string("f"), "fd.num": .int(4)]
        #expect(ReferenceEvaluator.matches(r.ruleSet["read"]!, eventType: "openat", on: FieldValueTable(open)))
        #expect(!ReferenceEvaluator.matches(r.ruleSet["write"]!, eventType: "openat", on: FieldValueTable(open)))
        var failed = open
        failed["fd.num"] = .int(-1)
        #expect(!ReferenceEvaluator.matches(r.ruleSet["read"]!, eventType: "openat", on: FieldValueTable(failed)))
        var dir = open
        dir["fd.typechar"] = .string("d")
        #expect(!ReferenceEvaluator.matches(r.ruleSet["read"]!, eventType: "openat", on: FieldValueTable(dir)))
    }
}
