import Testing
@testable import PeregrineRules

@Suite struct ReferenceEvaluatorTests {
    /// A typical event: bash started by sshd under systemd, opening a file.
    static let event = FieldValueTable([
        "evt.type": .string("openat"),
        "proc.name": .string("bash"),
        "proc.pid": .int(4242),
        "proc.aname": .list([.string("sshd"), .string("systemd")]),
        "proc.cmdline": .string("bash -c 'python3 -c \"import pickle; pickle.load(f)\"'"),
        "proc.exepath": .string("/usr/bin/bash"),
        "proc.args": .string("LWMgZWNobw=="),
        "fd.name": .string("/etc/ssl/certs/ca.pem"),
        "fd.num": .int(3),
        "user.uid": .uint(0),
        "container.privileged": .bool(true),
        "container.id": .string("host"),
        "k8s.pod.labels": .list([.string("app:trainer"), .string("tier:gpu")]),
        "k8s.pod.label[app]": .string("trainer"),
        "evt.arg.flags": .string("O_RDONLY|O_CLOEXEC"),
    ])

    static let cases: [(String, Bool)] = [
        // Missing fields: every check false, exists false, not flips.
        ("proc.pname = bash", false),
        ("proc.pname != bash", false),
        ("proc.pname exists", false),
        ("not proc.pname exists", true),
        ("not proc.pname = bash", true),
        ("proc.pname in (bash)", false),
        ("proc.name exists", true),
        // Ancestors: without index any ancestor, with index that one.
        ("proc.aname = systemd", true),
        ("proc.aname = init", false),
        ("proc.aname[1] = sshd", true),
        ("proc.aname[2] = sshd", false),
        ("proc.aname[2] = systemd", true),
        ("proc.aname[3] exists", false),
        ("proc.aname[0] = bash", true),
        ("proc.aname in (cron, systemd)", true),
        ("proc.aname startswith sys", true),
        // Strings.
        ("proc.name = bash", true),
        ("proc.name == 'bash'", true),
        ("proc.name != bash", false),
        ("proc.name in (sh, bash)", true),
        ("proc.name in ()", false),
        ("proc.cmdline contains pickle.load", true),
        ("proc.cmdline icontains PICKLE.LOAD", true),
        ("proc.cmdline contains PICKLE.LOAD", false),
        ("proc.exepath startswith /usr/", true),
        ("proc.exepath endswith /bash", true),
        ("proc.exepath endswith /sh", false),
        ("proc.name bcontains 6173", true),
        ("proc.name bstartswith 6261", true),
        ("proc.name bstartswith 6173", false),
        ("proc.name < cat", true),
        ("proc.name > cat", false),
        // Paths and patterns.
        ("fd.name pmatch (/etc/ssl, /var)", true),
        ("fd.name pmatch (/etc/ss)", false),
        ("fd.name pmatch (/etc/ssl/certs/ca.pem)", true),
        ("fd.name pmatch (/)", true),
        ("fd.name glob /etc/*.pem", true),
        ("fd.name glob /etc/ssl/certs/ca.pe?", true),
        ("fd.name glob '/etc/ssl/[abc]ert[s]/*'", true),
        ("fd.name glob '/etc/ssl/[!c]*'", false),
        ("fd.name glob /etc/*.key", false),
        ("fd.name iglob /ETC/*.PEM", true),
        ("fd.name regex '/etc/.*\\.pem'", true),
        ("fd.name regex 'ssl'", false),
        ("fd.name regex '/etc/[a-z]+/certs/ca\\.pem'", true),
        // Numbers and booleans.
        ("proc.pid = 4242", true),
        ("proc.pid > 4000 and proc.pid <= 4242", true),
        ("proc.pid < 0x1000", false),
        ("proc.pid in (1, 4242)", true),
        ("fd.num >= 0", true),
        ("fd.num = -1", false),
        ("user.uid = 0", true),
        ("user.uid != 0", false),
        ("container.privileged = true", true),
        ("container.privileged = false", false),
        // Transformers and field comparisons.
        ("toupper(proc.name) = BASH", true),
        ("basename(proc.exepath) = bash", true),
        ("len(proc.name) = 4", true),
        ("len(proc.aname) = 2", true),
        ("b64(proc.args) = '-c echo'", true),
        ("proc.name = val(proc.name)", true),
        ("proc.name = val(fd.name)", false),
        ("proc.name = val(proc.pname)", false),
        ("proc.aname[1] = val(proc.aname[1])", true),
        // List fields.
        ("k8s.pod.labels intersects (app:trainer, x)", true),
        ("k8s.pod.labels in (app:trainer, tier:gpu, other)", true),
        ("k8s.pod.labels in (app:trainer)", false),
        ("k8s.pod.label[app] = trainer", true),
        ("k8s.pod.label[team] exists", false),
        // Dotted arguments.
        ("evt.arg.flags contains O_RDONLY", true),
        ("evt.arg[flags] contains O_RDONLY", true),
        // Boolean structure and precedence.
        ("proc.name = sh or proc.name = bash and fd.num = 3", true),
        ("(proc.name = sh or proc.name = bash) and fd.num = 4", false),
        ("not proc.name = sh and not proc.name = zsh", true),
    ]

    @Test(arguments: cases)
    func evaluates(_ condition: String, _ expected: Bool) throws {
        let yaml = "- rule: R\n  desc: d\n  condition: \(QuotedText.quote(condition))\n  output: x\n  priority: INFO\n  warn_evttypes: false\n"
        let result = Fixtures.load(yaml)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let compiled = try #require(result.ruleSet["R"]?.condition)
        #expect(ReferenceEvaluator.evaluate(compiled, on: Self.event) == expected, "\(compiled)")
    }

    @Test func regexIsCompiledOnceAndMatchesWholeString() throws {
        let r = Fixtures.load("- rule: R\n  desc: d\n  condition: proc.name regex 'ba.h'\n  output: x\n  priority: INFO\n  warn_evttypes: false\n")
        guard case .check(let c)? = r.ruleSet["R"]?.condition, case .regex(let re) = c.value else {
            Issue.record("not a regex check"); return
        }
        #expect(re.matches("bash"))
        #expect(!re.matches("bashx"))
        #expect(!re.matches("xbash"))
    }

    @Test func matchesUsesEventTypeIndexAndEnabledState() {
        let r = RuleLoader().load([Fixtures.falcoStable, Fixtures.mlRules])
        let rule = r.ruleSet["Pickle Deserialization in ML Container"]!
        let event = FieldValueTable([
            "evt.type": .string("execve"), "proc.name": .string("python3"),
            "proc.cmdline": .string("python3 -c torch.load('m.pt')"), "container.id": .string("abcdef012345"),
        ])
        #expect(ReferenceEvaluator.matches(rule, eventType: "execve", on: event))
        #expect(!ReferenceEvaluator.matches(rule, eventType: "openat", on: event))
        var host = event
        host.values["container.id"] = .string("host")
        #expect(!ReferenceEvaluator.matches(rule, eventType: "execve", on: host))
        let gpu = r.ruleSet["GPU Device Access by Non-ML Container"]!
        let open = FieldValueTable([
            "evt.type": .string("openat"), "evt.is_open_read": .bool(true), "fd.typechar": .string("f"), "fd.num": .int(5),
            "fd.name": .string("/dev/nvidia0"), "container.image.repository": .string("docker.io/library/busybox"),
        ])
        #expect(ReferenceEvaluator.matches(gpu, eventType: "openat", on: open))
        var approved = open
        approved.values["container.image.repository"] = .string("registry.internal/ml-trainer")
        #expect(!ReferenceEvaluator.matches(gpu, eventType: "openat", on: approved))
        // A missing image repository makes the `in` false, so `not ... in` is true: Falco's semantics.
        var unknown = open
        unknown.values["container.image.repository"] = nil
        #expect(ReferenceEvaluator.matches(gpu, eventType: "openat", on: unknown))
    }
}
