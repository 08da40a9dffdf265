import PeregrineEvents
import PeregrineRules
import Testing

@testable import PeregrineRuleTest

/// The test runner itself: files parse with positions, cases pass and fail for the right reasons.
@Suite struct RuleTestRunnerTests {
    static let rules = """
    - macro: spawned_process
      condition: evt.type in (execve, execveat)
    - macro: container
      condition: container.id != host
    - rule: Python reads a model
      desc: d
      condition: evt.type = openat and evt.is_open_read = true and proc.name startswith python and fd.name endswith .pt
      output: "model read (file=%fd.name image=%container.image.repository)"
      priority: WARNING
    - rule: Bash in container
      desc: d
      condition: spawned_process and evt.res = SUCCESS and container and proc.exepath endswith /bash and proc.pname = python3
      output: "bash (parent=%proc.pname)"
      priority: CRITICAL
    """

    static func run(_ yaml: String) -> FileResult {
        RuleTestRunner(readFile: { $0 == "dir/r.yaml" ? rules : nil }).run(file: "dir/t.yaml", text: yaml)
    }

    @Test func passingAndFailingCases() {
        let r = Self.run("""
        rules: [r.yaml]
        containers:
          trainer: {container.id: 1a2b3c4d5e6f, container.image.repository: registry.internal/ml-trainer}
        cases:
          - name: reads a model
            events:
              - {evt.type: openat, container: trainer, proc.exepath: /usr/bin/python3.11, proc.cmdline: python3 x.py, fd.name: /m/a.pt}
            expect:
              - {rule: Python reads a model, count: 1, priority: Warning, output: image=registry.internal/ml-trainer}
          - name: wrong expectation fails
            events:
              - {evt.type: openat, proc.name: python3, fd.name: /m/a.pt}
            expect: none
          - name: shell from python, parent chain
            events:
              - {evt.type: execve, container: trainer, proc.exepath: /usr/bin/bash, proc.cmdline: bash -i, proc.pname: python3}
            expect: [Bash in container]
          - name: failed exec raises nothing
            events:
              - {evt.type: execve, evt.res: ENOENT, container: trainer, proc.exepath: /usr/bin/bash, proc.pname: python3}
            expect: none
        """)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.cases.map(\.passed) == [true, false, true, true], "\(r.cases.map(\.failures))")
        #expect(r.cases.dropFirst().first?.failures == ["unexpected: 'Python reads a model' fired 1 time"])
        #expect(RuleTestReport.text([r]).contains("4 cases in 1 files: 3 passed, 1 failed"))
        #expect(RuleTestReport.junit([r]).contains("<failure message=\"unexpected: &apos;Python reads a model&apos; fired 1 time\"") ||
                RuleTestReport.junit([r]).contains("<failure message=\"unexpected: 'Python reads a model' fired 1 time\""))
    }

    @Test func countPriorityAndOutputMismatchesAreReported() {
        let r = Self.run("""
        rules: [r.yaml]
        cases:
          - name: c
            events:
              - {evt.type: openat, proc.name: python3, fd.name: /m/a.pt}
              - {evt.type: openat, proc.name: python3, fd.name: /m/b.pt}
            expect:
              - {rule: Python reads a model, count: 1, priority: Critical, output: nothing-like-this}
        """)
        #expect(r.problems.isEmpty)
        let failures = r.cases.first?.failures ?? []
        #expect(failures.contains("'Python reads a model' fired 2 times, expected 1"))
        #expect(failures.contains { $0.contains("priority Warning, expected Critical") })
        #expect(failures.contains { $0.contains("does not contain \"nothing-like-this\"") })
    }

    /// Mistakes in the file: every one, with its line and column.
    @Test(arguments: [
        ("rules: [r.yaml]\ncases:\n  - name: a\n    events:\n      - {evt.type: openat, fd.nme: /x}\n", 5, 28, "unknown event field 'fd.nme'"),
        ("rules: [r.yaml]\ncases:\n  - name: a\n    events:\n      - {evt.type: openat, fd.name: /x}\n    expect: [Pyton reads a model]\n", 6, 14,
         "unknown rule 'Pyton reads a model'; did you mean 'Python reads a model'?"),
        ("rules: [r.yaml]\ncases:\n  - name: a\n    events:\n      - {evt.type: readv, fd.name: /x}\n", 5, 20, "unsupported evt.type 'readv'"),
        ("rules: [r.yaml]\ncases:\n  - name: a\n    events:\n      - {evt.type: openat, proc.pid: abc, fd.name: /x}\n", 5, 38, "'proc.pid' must be a whole number"),
        ("rules: [missing.yaml]\ncases: []\n", 1, 9, "cannot read rules file 'dir/missing.yaml'"),
        ("rules: [r.yaml]\ncases:\n  - name: a\n    events:\n      - {evt.type: openat, container: nope, fd.name: /x}\n", 5, 39, "unknown container 'nope'"),
        ("rules: [r.yaml]\ncases:\n  - name: a\n    events:\n      - {evt.type: openat, fd.name: /x\n", 6, 1, "YAML error"),
    ])
    func fileMistakes(_ yaml: String, _ line: Int, _ column: Int, _ message: String) {
        let r = Self.run(yaml)
        #expect(r.cases.isEmpty)
        let p = r.problems.first
        #expect(p?.line == line && p?.column == column, "\(r.problems)")
        #expect(p?.message.hasPrefix(message) == true, "\(r.problems)")
        #expect(p?.file == "dir/t.yaml")
    }

    /// A case may replay a capture (records as the probe wrote them) before its own events.
    @Test func captureRecordsRunBeforeTheEvents() throws {
        // The capture's records: built by the runner itself from one event, as a file would hold them.
        var b = CaseBuilder(file: RuleTestFile(name: "x", rules: [], containers: [:], cases: []))
        b.add(TestEvent(fields: ["evt.type": Located(value: .text("openat"), line: 1, column: 1),
                                 "proc.name": Located(value: .text("python3"), line: 1, column: 1),
                                 "fd.name": Located(value: .text("/m/c.pt"), line: 1, column: 1)], line: 1))
        var records: [[UInt8]] = []
        var processes: [PeregrineEvents.ProcessInfo] = []
        for step in b.steps {
            switch step {
            case .seed(let p): processes.append(p)
            case .record(let r, _): records.append(r)
            }
        }
        var asked: [String] = []
        let runner = RuleTestRunner(readFile: { $0 == "dir/r.yaml" ? Self.rules : nil }, readCapture: { path in
            asked.append(path)
            guard path == "dir/caps/one.pgcap" else { throw CaptureUnsupported() }
            return RuleTestRunner.Capture(processes: processes, records: records + [[1, 2, 3]])
        })
        let r = runner.run(file: "dir/t.yaml", text: """
        rules: [r.yaml]
        cases:
          - name: from a capture
            capture: caps/one.pgcap
            expect:
              - {rule: Python reads a model, count: 1, output: file=/m/c.pt}
          - name: capture and events
            capture: caps/one.pgcap
            events:
              - {evt.type: openat, proc.name: python3, fd.name: /m/d.pt}
            expect:
              - {rule: Python reads a model, count: 2}
        """)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.cases.map(\.passed) == [true, true], "\(r.cases.map(\.failures))")
        #expect(asked == ["dir/caps/one.pgcap", "dir/caps/one.pgcap"])
        let bad = runner.run(file: "dir/t.yaml", text: "rules: [r.yaml]\ncases:\n  - name: a\n    capture: nope.scap\n")
        #expect(bad.problems.first?.line == 4 && bad.problems.first?.message.hasPrefix("cannot replay capture 'dir/nope.scap'") == true, "\(bad.problems)")
    }

    @Test func commandLineWords() {
        #expect(CaseBuilder.words("python3 -c 'import pickle; pickle.load(f)' \"a b\"") == ["python3", "-c", "import pickle; pickle.load(f)", "a b"])
    }
}
