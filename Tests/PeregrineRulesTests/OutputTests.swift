import Testing
@testable import PeregrineRules

@Suite struct OutputTests {
    static func rule(output: String) throws -> CompiledRule {
        let yaml = "- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: \(QuotedText.quote(output))\n  priority: CRITICAL\n  tags: [ml, container]\n"
        let r = Fixtures.load(yaml)
        #expect(r.errors.isEmpty, "\(r.errors)")
        return try #require(r.ruleSet["R"])
    }

    static let fields = FieldValueTable([
        "proc.name": .string("python3"), "proc.pid": .int(7), "proc.aname[2]": .string("containerd-shim"),
        "k8s.pod.label[app]": .string("trainer"), "evt.arg.flags": .string("O_RDONLY"),
        "proc.cmdline": .string("python3 -c \"x\"\n\t\\ \u{01}"),
    ])

    @Test func rendersFieldsArgumentsTransformersWidthsAndMissingValues() throws {
        let r = try Self.rule(output: "run %proc.name pid=%proc.pid gp=%proc.aname[2] app=%k8s.pod.label[app] f=%evt.arg.flags u=%user.name up=%toupper(proc.name) [%10proc.name] [%3proc.name] 100%% done.")
        #expect(r.output?.render(Self.fields) == "run python3 pid=7 gp=containerd-shim app=trainer f=O_RDONLY u=<NA> up=PYTHON3 [python3   ] [pyt] 100% done.")
        #expect(r.output?.fields.map(\.description) == ["proc.name", "proc.pid", "proc.aname[2]", "k8s.pod.label[app]", "evt.arg.flags", "user.name", "toupper(proc.name)"])
    }

    @Test func foldedOutputLosesTrailingNewline() throws {
        let r = Fixtures.load("- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: >\n    Model download\n    (cmd=%proc.name)\n  priority: INFO\n")
        #expect(r.ruleSet["R"]?.output?.render(Self.fields) == "Model download (cmd=python3)")
    }

    @Test func alertJSONHasFalcosShapeAndEscapes() throws {
        let r = try Self.rule(output: "cmd=%proc.cmdline user=%user.name pid=%proc.pid")
        let alert = Alert(rule: r, time: 1_700_000_000_123_456_789, hostname: "gpu-node-1", fields: Self.fields)
        #expect(alert.jsonLine == #"{"hostname":"gpu-node-1","output":"cmd=python3 -c \"x\"\n\t\\ \u0001 user=<NA> pid=7","output_fields":{"proc.cmdline":"python3 -c \"x\"\n\t\\ \u0001","proc.pid":7,"user.name":null},"priority":"Critical","rule":"R","source":"syscall","tags":["container","ml"],"time":"2023-11-14T22:13:20.123456789Z"}"#)
        #expect(alert.textLine.hasPrefix("2023-11-14T22:13:20.123456789+0000: Critical cmd=python3"))
    }

    @Test func jsonEscaping() {
        #expect(JSONText.string("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONText.string("\u{00}\u{1f}\u{7f}") == #""\u0000\u001f\u007f""#)
        #expect(JSONText.string("\u{08}\u{0c}\n\r\t") == #""\b\f\n\r\t""#)
        #expect(JSONText.string(bytes: [0x66, 0xff, 0xfe, 0x6f]) == "\"f\u{FFFD}\u{FFFD}o\"")
        #expect(JSONText.string("é✓") == "\"é✓\"")
        #expect(JSONText.value(.list([.int(-1), .bool(false), .uint(3)])) == "[-1,false,3]")
    }

    @Test func timestamps() {
        #expect(Timestamp.rfc3339(nanoseconds: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(Timestamp.rfc3339(nanoseconds: 951_782_400_000_000_001) == "2000-02-29T00:00:00.000000001Z")
        #expect(Timestamp.rfc3339(nanoseconds: 4_102_444_799_999_999_999) == "2099-12-31T23:59:59.999999999Z")
    }

    @Test func strayPercentIsAnError() {
        let r = Fixtures.load("- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: \"at 100% load %proc.name %\"\n  priority: INFO\n")
        #expect(r.errors.map(\.code) == [.strayPercent, .strayPercent])
        #expect(r.errors.map(\.location.column) == [18, 36])
    }

    @Test func unknownOutputFieldIsAnError() {
        let r = Fixtures.load("- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: \"x %proc.nam y\"\n  priority: INFO\n")
        #expect(r.errors.map(\.code) == [.outputField])
        #expect(r.errors.first?.hint == "did you mean 'proc.name'?")
        #expect(r.errors.first?.location.column == 15)
    }
}
