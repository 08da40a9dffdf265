import PeregrineEngine
import PeregrineEvents
import PeregrineRules

/// The outcome of one case.
public struct CaseResult: Sendable {
    public var name: String
    public var line: Int
    /// Why the case failed, one line each; empty when it passed.
    public var failures: [String]
    /// What fired, in order.
    public var alerts: [Alert]
    /// The expectations, rendered for a diff.
    public var expected: [String]
    public var passed: Bool { failures.isEmpty }
}

/// The outcome of one test file.
public struct FileResult: Sendable {
    public var file: String
    /// Mistakes in the test file or in the rule files it loads: no case ran.
    public var problems: [TestFileProblem]
    public var cases: [CaseResult]
    public var passed: Bool { problems.isEmpty && cases.allSatisfy(\.passed) }
}

/// Runs rule test files: loads the rules they name, builds each case's events into wire
/// records and runs them through the same decoder, process table and `Engine` as the agent.
public struct RuleTestRunner {
    /// Reads a rule file; nil when it cannot be read.
    public var readFile: (String) -> String?
    /// Reads a capture file into its initial processes and its records (wire layout); throws
    /// with a message when it cannot. Nil: cases may not name captures.
    public var readCapture: ((String) throws -> Capture)?

    public struct Capture: Sendable {
        public var processes: [ProcessInfo]
        public var records: [[UInt8]]
        public init(processes: [ProcessInfo], records: [[UInt8]]) {
            self.processes = processes
            self.records = records
        }
    }

    public init(readFile: @escaping (String) -> String?, readCapture: ((String) throws -> Capture)? = nil) {
        self.readFile = readFile
        self.readCapture = readCapture
    }

    /// `path` relative to the directory of `file` (absolute paths stay).
    public static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let slash = file.lastIndex(of: "/") else { return path }
        return String(file[...slash]) + path
    }

    public func run(file name: String, text: String) -> FileResult {
        let (parsed, parseProblems) = RuleTestFile.parse(name: name, text: text)
        guard let testFile = parsed else { return FileResult(file: name, problems: parseProblems, cases: []) }
        var problems: [TestFileProblem] = []

        // The rules.
        var sources: [RuleSource] = []
        var library: Set<String> = []
        for entry in testFile.rules {
            if entry.value == DefaultRules.argument {
                sources += DefaultRules.sources
                library.formUnion(DefaultRules.sources.map(\.name))
                continue
            }
            let path = Self.resolve(entry.value, relativeTo: name)
            guard let text = readFile(path) else {
                problems.append(TestFileProblem(file: name, line: entry.line, column: entry.column, message: "cannot read rules file '\(path)'"))
                continue
            }
            sources.append(RuleSource(name: path, text: text))
        }
        let loaded = RuleLoader().load(sources, library: library)
        for d in loaded.errors {
            problems.append(TestFileProblem(file: d.location.file, line: d.location.line, column: d.location.column,
                                            message: "[\(d.code)] \(d.message) (rules loaded by \(name))"))
        }
        let ruleSet = loaded.ruleSet

        // Rule names the cases mention must be rules that can fire.
        for c in testFile.cases {
            for ref in c.expect.map(\.rule) + c.absent {
                guard let rule = ruleSet[ref.value] else {
                    let near = ruleSet.rules.map(\.name).min { distance($0, ref.value) < distance($1, ref.value) }
                    problems.append(TestFileProblem(file: name, line: ref.line, column: ref.column,
                                                    message: "unknown rule '\(ref.value)'" + (near.map { "; did you mean '\($0)'?" } ?? "")))
                    continue
                }
                if !rule.isEnabled {
                    problems.append(TestFileProblem(file: name, line: ref.line, column: ref.column,
                                                    message: "rule '\(ref.value)' cannot fire: \(rule.status)"))
                }
            }
        }

        // Build every case first: a malformed event is a mistake in the file.
        var built: [(TestCase, CaseBuilder)] = []
        for c in testFile.cases {
            var b = CaseBuilder(file: testFile)
            if let capture = c.capture {
                let path = Self.resolve(capture.value, relativeTo: name)
                do {
                    guard let readCapture else { throw CaptureUnsupported() }
                    b.replay(try readCapture(path))
                } catch {
                    problems.append(TestFileProblem(file: name, line: capture.line, column: capture.column,
                                                    message: "cannot replay capture '\(path)': \(error)"))
                }
            }
            for e in c.events { b.add(e) }
            problems += b.problems
            built.append((c, b))
        }
        if !problems.isEmpty { return FileResult(file: name, problems: problems, cases: []) }

        let cases = built.map { run($0.0, $0.1, rules: ruleSet) }
        return FileResult(file: name, problems: [], cases: cases)
    }

    func run(_ c: TestCase, _ b: CaseBuilder, rules: RuleSet) -> CaseResult {
        var context = EngineContext(hostname: "peregrine-test", bootToEpochNs: 1_700_000_000_000_000_000,
                                    users: [0: "root", 1000: "ml"], groups: [0: "root", 1000: "ml"])
        let extra = b.containerFields
        context.extraField = { field, fields in
            guard let id = fields.processes[fields.event.pid]?.containerID, let values = extra[id] else { return nil }
            var key = field.info.name
            if case .key(let k)? = field.argument { key += "[" + k + "]" }
            guard let text = values[key] else { return nil }
            if field.info.name == "container.privileged" { return .bool(text == "true") }
            return .string(text)
        }
        let engine = Engine(rules: rules, context: context)
        var table = ProcessTable()
        var decoder = RecordDecoder()
        var alerts: [Alert] = []
        var failures: [String] = []
        var number: UInt64 = 0
        for step in b.steps {
            switch step {
            case .seed(let p): table.insert(p)
            case .record(let bytes, let line):
                number += 1
                bytes.withUnsafeBytes { raw in
                    guard let event = decoder.decode(raw) else {
                        // A damaged record in a capture is skipped, as replay does.
                        if line > 0 { failures.append("the event at line \(line) did not decode (a bug in the test runner)") }
                        return
                    }
                    if event.kind != .exit { table.apply(event) }
                    engine.process(event, number: number, processes: table) { alerts.append($0) }
                    if event.kind == .exit { table.apply(event) }
                }
            }
        }

        var expectedText: [String] = []
        var claimed: Set<String> = []
        for x in c.expect {
            let rule = x.rule.value
            claimed.insert(rule)
            let mine = alerts.filter { $0.rule == rule }
            var text = rule
            if let p = x.priority { text += " [\(p)]" }
            text += x.count.map { " ×\($0)" } ?? " ×1+"
            if let o = x.output { text += " output contains \"\(o)\"" }
            expectedText.append(text)
            if let n = x.count {
                if mine.count != n { failures.append("'\(rule)' fired \(mine.count) time\(mine.count == 1 ? "" : "s"), expected \(n)") }
            } else if mine.isEmpty {
                failures.append("'\(rule)' did not fire")
            }
            for a in mine {
                if let p = x.priority, a.priority.name != p {
                    failures.append("'\(rule)' fired with priority \(a.priority.name), expected \(p)")
                }
                if let o = x.output, !a.output.contains(o) {
                    failures.append("'\(rule)' output does not contain \"\(o)\": \(a.output)")
                }
                for (field, want) in x.outputFields {
                    guard let pair = a.outputFields.first(where: { $0.0 == field }) else {
                        failures.append("'\(rule)' output has no field \(field)")
                        continue
                    }
                    let got = pair.1?.text ?? "<NA>"
                    if got != want { failures.append("'\(rule)' output field \(field) is \"\(got)\", expected \"\(want)\"") }
                }
            }
        }
        for ref in c.absent {
            let n = alerts.filter { $0.rule == ref.value }.count
            if n > 0 { failures.append("'\(ref.value)' fired \(n) time\(n == 1 ? "" : "s"); it must not fire") }
        }
        if c.exclusive {
            let absent = Set(c.absent.map(\.value))
            var counted: [String: Int] = [:]
            var order: [String] = []
            for a in alerts where !claimed.contains(a.rule) && !absent.contains(a.rule) {
                if counted[a.rule] == nil { order.append(a.rule) }
                counted[a.rule, default: 0] += 1
            }
            for rule in order {
                let n = counted[rule]!
                failures.append("unexpected: '\(rule)' fired \(n) time\(n == 1 ? "" : "s")")
            }
        }
        return CaseResult(name: c.name, line: c.line, failures: failures, alerts: alerts, expected: expectedText)
    }
}

struct CaptureUnsupported: Error, CustomStringConvertible {
    var description: String { "this runner reads no capture files" }
}

/// Edit distance, for "did you mean".
func distance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased().utf8), y = Array(b.lowercased().utf8)
    if x.isEmpty { return y.count }
    var prev = Array(0...y.count)
    for i in 1...x.count {
        var cur = [i] + Array(repeating: 0, count: y.count)
        for j in stride(from: 1, through: y.count, by: 1) {
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[y.count]
}
