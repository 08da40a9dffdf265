import PeregrineRules
import Yams

// PeregrineRuleTest: rule unit tests written in YAML (`peregrine test`).
//
//   RuleTestFile     parse a test file (Yams nodes, so every mistake has a line and column)
//   TestEvent        one event written with Falco field names
//   RuleTestRunner   build each case's events into wire records, run them through the real Engine
//   RuleTestReport   text, JSON and JUnit renderings of the results
//
// Pure: the caller reads files (rule files are asked for through a closure).
//
// File shape:
//
//   rules: [default, ../my_rules.yaml]     # `default` = built-in rules; paths relative to this file
//   containers:                            # optional named contexts, used as `container: NAME`
//     trainer: {container.id: 1a2b3c4d5e6f, container.image.repository: registry.internal/ml-trainer}
//   cases:
//     - name: python opens a pickle
//       events:
//         - {evt.type: openat, container: trainer, proc.exepath: /usr/bin/python3.11,
//            proc.cmdline: python3 serve.py, fd.name: /models/m.pt}
//       expect:                            # every alert must be listed here (exclusive: false relaxes)
//         - {rule: Pickle Model File Opened by Python, priority: Warning, count: 1, output: file=/models/m.pt}
//       absent: [Shell Spawned in Container]
//     - name: replayed
//       capture: captures/attack.scap        # optional: its records run before the events
//       expect: [...]

/// A problem in a test file itself (not a failed case).
public struct TestFileProblem: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// A value and where it was written.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var line: Int
    public var column: Int
}

/// One event of a case: Falco field → value (a list for `proc.aname`, `proc.args`).
public struct TestEvent: Sendable {
    public var fields: [String: Located<TestValue>]
    public var line: Int

    public func text(_ name: String) -> String? {
        if case .text(let s)? = fields[name]?.value { return s }
        return nil
    }

    public func list(_ name: String) -> [String]? {
        switch fields[name]?.value {
        case .list(let xs)?: return xs
        case .text(let s)?: return [s]
        default: return nil
        }
    }
}

public enum TestValue: Sendable, Equatable {
    case text(String)
    case list([String])
}

/// What a case expects of one rule.
public struct Expectation: Sendable {
    public var rule: Located<String>
    /// Exactly this many alerts; nil: at least one.
    public var count: Int?
    public var priority: String?
    /// Every alert's output contains this text.
    public var output: String?
    /// Every alert's output field has this value (as text).
    public var outputFields: [(String, String)]
}

public struct TestCase: Sendable {
    public var name: String
    public var line: Int
    public var events: [TestEvent]
    public var expect: [Expectation]
    public var absent: [Located<String>]
    /// Alerts of rules not in `expect` fail the case.
    public var exclusive: Bool
    /// A capture file (path relative to the test file) replayed before `events`.
    public var capture: Located<String>?
}

public struct RuleTestFile: Sendable {
    public var name: String
    /// Rule files in load order: `default` or a path relative to the test file.
    public var rules: [Located<String>]
    public var containers: [String: [String: String]]
    public var cases: [TestCase]

    /// Fields an event may set.
    public static let eventFields: Set<String> = [
        "evt.type", "evt.res", "evt.time",
        "proc.pid", "proc.ppid", "proc.name", "proc.exe", "proc.exepath", "proc.cmdline", "proc.args", "proc.cwd",
        "proc.vpid", "proc.tty", "proc.sid", "proc.pname", "proc.pexepath", "proc.pcmdline", "proc.aname",
        "thread.tid", "user.uid", "group.gid", "user.loginuid",
        "fd.name", "fd.nameraw", "fd.num", "evt.arg.flags", "evt.arg.mode", "evt.arg.dirfd",
        "evt.arg.filename", "evt.arg.dev", "evt.arg.dir", "evt.arg.type", "evt.arg.path", "evt.arg.status",
        "proc.child_pid", "container",
    ]

    /// Container and Kubernetes fields a test may supply (answered per container id).
    public static func isContextField(_ name: String) -> Bool {
        (name.hasPrefix("container.") || name.hasPrefix("k8s.")) && name != "container.full_id"
    }

    static let caseKeys: Set<String> = ["name", "events", "capture", "expect", "absent", "exclusive", "desc"]
    static let expectKeys: Set<String> = ["rule", "count", "priority", "output", "output_fields"]

    /// Parses a test file; problems are every mistake found, with positions.
    public static func parse(name: String, text: String) -> (RuleTestFile?, [TestFileProblem]) {
        var p = Parser(file: name)
        let result = p.parse(text)
        return (p.problems.isEmpty ? result : nil, p.problems)
    }

    struct Parser {
        let file: String
        var problems: [TestFileProblem] = []

        mutating func problem(_ message: String, _ node: Node?) {
            problems.append(TestFileProblem(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message))
        }

        mutating func parse(_ text: String) -> RuleTestFile? {
            let root: Node?
            do {
                root = try Yams.compose(yaml: text, .basic)
            } catch let error as YamlError {
                var line = 1, column = 1, message = "\(error)"
                switch error {
                case .scanner(let ctx, let p, let mark, _), .parser(let ctx, let p, let mark, _), .composer(let ctx, let p, let mark, _):
                    line = mark.line; column = mark.column
                    message = ctx.map { "\(p) \($0.text)" } ?? p
                case .duplicatedKeysInMapping(let dups, let ctx):
                    line = ctx.mark.line; column = ctx.mark.column
                    message = "duplicate key \(dups.map { "'\($0)'" }.joined(separator: ", ")) in a mapping"
                default: break
                }
                problems.append(TestFileProblem(file: file, line: line, column: column, message: "YAML error: \(message)"))
                return nil
            } catch {
                problems.append(TestFileProblem(file: file, line: 1, column: 1, message: "YAML error: \(error)"))
                return nil
            }
            guard let root, let map = root.mapping else {
                problem("a test file is a mapping with 'rules' and 'cases'", root)
                return nil
            }
            var out = RuleTestFile(name: file, rules: [], containers: [:], cases: [])
            var sawRules = false, sawCases = false
            for (k, v) in map {
                switch k.string ?? "" {
                case "rules":
                    sawRules = true
                    out.rules = strings(v, "rules")
                case "containers":
                    guard let cm = v.mapping else { problem("'containers' maps a name to container fields", v); continue }
                    for (ck, cv) in cm {
                        guard let cname = ck.string, let fields = cv.mapping else { problem("container '\(ck.string ?? "")' must be a mapping of fields", cv); continue }
                        var values: [String: String] = [:]
                        for (fk, fv) in fields {
                            let f = fk.string ?? ""
                            guard RuleTestFile.isContextField(f) else {
                                problem("unknown container field '\(f)'; use container.* or k8s.* fields", fk)
                                continue
                            }
                            guard let s = fv.scalar?.string else { problem("'\(f)' must be a single value", fv); continue }
                            values[f] = s
                        }
                        out.containers[cname] = values
                    }
                case "cases":
                    sawCases = true
                    guard let seq = v.sequence else { problem("'cases' must be a list of cases", v); continue }
                    for c in seq { if let tc = testCase(c) { out.cases.append(tc) } }
                case "desc": break
                default:
                    problem("unknown key '\(k.string ?? "")' in a test file (expected rules, containers, cases)", k)
                }
            }
            if !sawRules { problem("missing 'rules': name the rule files to load (`default` for the built-in rules)", root) }
            if !sawCases { problem("missing 'cases'", root) }
            for c in out.cases {
                for e in c.events {
                    if let ref = e.fields["container"], case .text(let n) = ref.value, out.containers[n] == nil, n != "host" {
                        problems.append(TestFileProblem(file: file, line: ref.line, column: ref.column,
                                                        message: "unknown container '\(n)'; define it under 'containers'"))
                    }
                }
            }
            return out
        }

        mutating func strings(_ v: Node, _ key: String) -> [Located<String>] {
            if let s = v.scalar { return [Located(value: s.string, line: v.mark?.line ?? 1, column: v.mark?.column ?? 1)] }
            guard let seq = v.sequence else { problem("'\(key)' must be a list", v); return [] }
            var out: [Located<String>] = []
            for item in seq {
                guard let s = item.scalar?.string else { problem("items of '\(key)' must be single values", item); continue }
                out.append(Located(value: s, line: item.mark?.line ?? 1, column: item.mark?.column ?? 1))
            }
            return out
        }

        mutating func testCase(_ node: Node) -> TestCase? {
            guard let map = node.mapping else { problem("a case must be a mapping with 'name', 'events' and 'expect'", node); return nil }
            var tc = TestCase(name: "", line: node.mark?.line ?? 1, events: [], expect: [], absent: [], exclusive: true, capture: nil)
            var sawEvents = false
            for (k, v) in map {
                let key = k.string ?? ""
                switch key {
                case "name": tc.name = v.scalar?.string ?? ""
                case "desc": break
                case "events":
                    sawEvents = true
                    guard let seq = v.sequence, !seq.isEmpty else { problem("'events' must be a non-empty list of events", v); continue }
                    for e in seq { if let ev = event(e) { tc.events.append(ev) } }
                case "expect":
                    if v.scalar?.string == "none" || v.scalar?.string == "" { continue }
                    guard let seq = v.sequence else { problem("'expect' must be a list of {rule: ...} (or `none`)", v); continue }
                    for e in seq { if let x = expectation(e) { tc.expect.append(x) } }
                case "absent":
                    tc.absent = strings(v, "absent")
                case "capture":
                    guard let path = v.scalar?.string, !path.isEmpty else { problem("'capture' names one capture file", v); continue }
                    tc.capture = Located(value: path, line: v.mark?.line ?? 1, column: v.mark?.column ?? 1)
                case "exclusive":
                    switch v.scalar?.string {
                    case "true"?: tc.exclusive = true
                    case "false"?: tc.exclusive = false
                    default: problem("'exclusive' must be true or false", v)
                    }
                default:
                    problem("unknown key '\(key)' in a case (expected \(RuleTestFile.caseKeys.sorted().joined(separator: ", ")))", k)
                }
            }
            if tc.name.isEmpty { problem("a case needs a 'name'", node) }
            if !sawEvents && tc.capture == nil { problem("case '\(tc.name)' has no 'events' (or 'capture')", node) }
            return tc
        }

        mutating func event(_ node: Node) -> TestEvent? {
            guard let map = node.mapping else { problem("an event must be a mapping of Falco fields (evt.type: openat, ...)", node); return nil }
            var ev = TestEvent(fields: [:], line: node.mark?.line ?? 1)
            for (k, v) in map {
                let key = k.string ?? ""
                guard RuleTestFile.eventFields.contains(key) || RuleTestFile.isContextField(key) else {
                    problem("unknown event field '\(key)'", k)
                    continue
                }
                let line = v.mark?.line ?? 1, column = v.mark?.column ?? 1
                if let s = v.scalar {
                    ev.fields[key] = Located(value: .text(s.string), line: line, column: column)
                } else if let seq = v.sequence, key == "proc.aname" || key == "proc.args" {
                    ev.fields[key] = Located(value: .list(seq.compactMap { $0.scalar?.string }), line: line, column: column)
                } else {
                    problem("'\(key)' must be a single value", v)
                }
            }
            if ev.fields["evt.type"] == nil { problem("an event needs 'evt.type'", node) }
            return ev
        }

        mutating func expectation(_ node: Node) -> Expectation? {
            if let s = node.scalar {
                return Expectation(rule: Located(value: s.string, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1),
                                   count: nil, priority: nil, output: nil, outputFields: [])
            }
            guard let map = node.mapping else { problem("an expectation is a rule name or {rule: NAME, count: N, priority: P, output: TEXT}", node); return nil }
            var rule: Located<String>?
            var x = Expectation(rule: Located(value: "", line: 0, column: 0), count: nil, priority: nil, output: nil, outputFields: [])
            for (k, v) in map {
                let key = k.string ?? ""
                switch key {
                case "rule":
                    if let s = v.scalar?.string { rule = Located(value: s, line: v.mark?.line ?? 1, column: v.mark?.column ?? 1) }
                case "count":
                    guard let s = v.scalar?.string, let n = Int(s), n >= 0 else { problem("'count' must be a whole number", v); continue }
                    x.count = n
                case "priority":
                    guard let s = v.scalar?.string, let p = Priority(name: s)?.name else {
                        problem("'priority' must be one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug", v)
                        continue
                    }
                    x.priority = p
                case "output": x.output = v.scalar?.string
                case "output_fields":
                    guard let m = v.mapping else { problem("'output_fields' maps a field to its expected value", v); continue }
                    for (fk, fv) in m { x.outputFields.append((fk.string ?? "", fv.scalar?.string ?? "")) }
                default:
                    problem("unknown key '\(key)' in an expectation (expected \(RuleTestFile.expectKeys.sorted().joined(separator: ", ")))", k)
                }
            }
            guard let rule else { problem("an expectation needs 'rule'", node); return nil }
            x.rule = rule
            return x
        }
    }
}
