import PeregrineEvents
import PeregrineRules
import Testing

@testable import PeregrineEngine

/// The compiled matcher and the reference evaluator must agree on every rule of the Falco
/// rule files and the defaults, over thousands of generated events whose names, paths and
/// ancestors are drawn from the values those rules mention (so that rules do fire).
@Suite struct CompiledMatcherAgreementTests {
    static let root = "/" + String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")

    static func ruleSet(_ files: [String]) throws -> RuleSet {
        let sources = files.map { RuleSource(name: $0, text: readFile(root + "/../shared/" + $0)) }
        let result = RuleLoader().loadWithDefaults(sources)
        try #require(!result.hasErrors, "\(result.errors.prefix(3))")
        return result.ruleSet
    }

    static let names = ["bash", "sh", "python3", "python3.11", "nginx", "sshd", "cat", "curl", "wget", "nc", "ncat",
                        "kubectl", "docker", "runc", "containerd", "java", "node", "mysql", "apt", "dpkg", "pip",
                        "sudo", "su", "chmod", "tar", "find", "grep", "systemd", "cron", "vi", "git", "ssh", "tcpdump"]
    static let paths = ["/etc/shadow", "/etc/passwd", "/etc/sudoers", "/root/.ssh/id_rsa", "/home/u/.ssh/authorized_keys",
                        "/dev/nvidia0", "/dev/nvidiactl", "/tmp/x", "/tmp/model.pt", "/dev/shm/run", "/usr/bin/ls",
                        "/bin/sh", "/proc/1/environ", "/var/log/auth.log", "/etc/ld.so.preload", "/etc/kubernetes/admin.conf",
                        "/var/run/secrets/kubernetes.io/serviceaccount/token", "/usr/local/bin/x", "/data/w.safetensors",
                        "/etc/cron.d/job", "/boot/vmlinuz", "/lib/modules/x.ko", "/sys/kernel/x", "relative/file",
                        "/etc/pam.d/sshd", "/etc/sudoers.d/u", "/x", "/etc", "/var/log/pam.d/shadow"]
    static let cgroups = ["/", "/kubepods.slice/cri-containerd-" + String(repeating: "ab", count: 32) + ".scope"]

    func event(_ rng: inout SplitMix, pid: UInt32) -> [UInt8] {
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let comm = pick(Self.names)
        switch rng.next() % 4 {
        case 0:
            var w = RecordWriter(kind: .exec, syscall: rng.next() % 5 == 0 ? .execveat : .execve, timestampBootNs: rng.next() % 1000,
                                 pid: pid, ppid: pid - 1, uid: rng.next() % 3 == 0 ? 0 : 1000, comm: comm)
            let res: Int64 = rng.next() % 6 == 0 ? -2 : 0
            w.put(res, at: WireLayout.Exec.res)
            let exe = pick(["/usr/bin/", "/tmp/", "/bin/", "/dev/shm/"]) + comm
            if res == 0 { w.string(exe, at: WireLayout.Exec.exe) }
            w.string(exe, at: WireLayout.Exec.filename)
            w.arguments([comm] + (0..<(rng.next() % 3)).map { _ in pick(["-c", "id", pick(Self.paths), "--privileged", "-i", "torch.load(x)"]) },
                        at: WireLayout.Exec.args)
            w.string(pick(["/", "/tmp", "/root"]), at: WireLayout.Exec.cwd)
            w.string(pick(Self.cgroups), at: WireLayout.Exec.cgroup)
            return w.bytes()
        case 1, 2:
            var w = RecordWriter(kind: .open, syscall: pick([.open, .openat, .openat2, .creat]), pid: pid, ppid: pid - 1,
                                 uid: rng.next() % 2 == 0 ? 0 : 1000, comm: comm)
            let res: Int64 = rng.next() % 4 == 0 ? -13 : 3
            w.put(res, at: WireLayout.Open.res)
            w.put(UInt32(pick([0, 1, 2, 0o101, 0o1101, 0o2000000, 0o200000])), at: WireLayout.Open.flags)
            let path = pick(Self.paths)
            if res >= 0 && path.hasPrefix("/") { w.string(path, at: WireLayout.Open.path) }
            w.string(path, at: WireLayout.Open.raw)
            if !path.hasPrefix("/") { w.string("/work", at: WireLayout.Open.base) }
            return w.bytes()
        default:
            var w = RecordWriter(kind: .mount, syscall: pick([.mount, .umount2]), pid: pid, ppid: pid - 1, comm: comm)
            w.put(Int64(rng.next() % 3 == 0 ? -1 : 0), at: WireLayout.Mount.res)
            w.string(pick(["proc", "tmpfs", "/dev/sda1", "cgroup"]), at: WireLayout.Mount.source)
            w.string(pick(["/mnt", "/proc", "/host", "/sys/fs/cgroup"]), at: WireLayout.Mount.target)
            w.string(pick(["proc", "tmpfs", "ext4", "cgroup2"]), at: WireLayout.Mount.fstype)
            return w.bytes()
        }
    }

    @Test(arguments: [
        ["falco-rules/falco_rules.yaml", "seed-rules/ml_rules.yaml"],
        ["falco-rules/falco_rules.yaml", "falco-rules/falco-incubating_rules.yaml", "falco-rules/falco-sandbox_rules.yaml"],
    ])
    func compiledAgreesWithReference(files: [String]) throws {
        try agree(try Self.ruleSet(files))
    }

    /// Modifiers and argument-list transformers, on fields the generated events carry.
    static let modifierRules = """
    - rule: Shell By Modifier
      desc: d
      condition: evt.type = anyof (execve, execveat) and proc.name = oneof (bash, sh, python3, bash)
      output: x
      priority: INFO
    - rule: Sensitive Open By Modifier
      desc: d
      condition: evt.type in (open, openat, openat2) and fd.name startswith anyof (/etc/, /dev/nvidia) and fd.name != allof (/etc/passwd, /etc/shadow)
      output: x
      priority: INFO
    - rule: Concat Contains
      desc: d
      condition: evt.type in (open, openat) and concat(proc.name, ":", fd.name) contains anyof ("cat:/etc", "bash:/tmp", "sh:/dev")
      output: x
      priority: INFO
    - rule: Join Regex
      desc: d
      condition: evt.type = execve and join(" ", (proc.name, proc.pname, proc.exepath)) regex oneof ('bash .*', '.* sshd .*', '.*/tmp/.*')
      output: x
      priority: INFO
    - rule: Basename Glob
      desc: d
      condition: evt.type in (open, openat) and toupper(basename(fd.name)) glob allof ('*S*', '*W*')
      output: x
      priority: INFO
    - rule: Ancestors Not All
      desc: d
      condition: evt.type = execve and proc.aname != allof (bash, sh) and len(concat(proc.name, proc.pname)) > 8
      output: x
      priority: INFO
    """

    @Test func modifiersAndCombinersAgree() throws {
        let result = RuleLoader().loadWithDefaults([RuleSource(name: "modifiers.yaml", text: Self.modifierRules)])
        try #require(!result.hasErrors, "\(result.errors.prefix(3))")
        let fired = try agree(result.ruleSet)
        for name in ["Shell By Modifier", "Sensitive Open By Modifier", "Concat Contains", "Join Regex", "Basename Glob", "Ancestors Not All"] {
            #expect(fired.contains(name), "\(name) never fired")
        }
    }

    /// Keys on `fd.directory` and `fd.filename` are filed under `fd.name` prefixes and
    /// suffixes (see `CompiledMatcher.onFdName`): the root directory, a directory that is a
    /// prefix of another, a file name that ends another, and keys left where they are.
    @Test func pathPartKeysAgree() throws {
        let conditions = [
            "Dir Exact": "fd.directory = /etc/pam.d", "Dir Root": "fd.directory = /",
            "Dir In": "fd.directory in (/etc/sudoers.d, /etc, /dev)", "Dir Prefix": "fd.directory startswith /etc/",
            "Dir Pmatch": "fd.directory pmatch (/var/log, /etc/cron.d)", "Dir Dot": "fd.directory = .",
            "File Exact": "fd.filename = shadow", "File In": "fd.filename in (sshd, passwd, x, etc)",
            "File Suffix": "fd.filename endswith .log", "File Upper": "toupper(fd.filename) = SHADOW",
        ]
        var yaml = ""
        for (name, condition) in conditions.sorted(by: { $0.key < $1.key }) {
            yaml += "- rule: \(name)\n  desc: d\n  condition: evt.type in (open, openat, openat2, creat) and \(condition)\n"
                + "  output: x\n  priority: INFO\n"
        }
        let result = RuleLoader().loadWithDefaults([RuleSource(name: "parts.yaml", text: yaml)])
        try #require(!result.hasErrors, "\(result.errors.prefix(3))")
        let fired = try agree(result.ruleSet)
        for name in conditions.keys where name != "Dir Dot" { #expect(fired.contains(name), "\(name) never fired") }
    }

    @discardableResult
    func agree(_ rules: RuleSet) throws -> Set<String> {
        var fired: Set<String> = []
        let context = EngineContext(hostname: "h", bootToEpochNs: 0)
        let compiled = Engine(rules: rules, context: context, evaluator: .compiled)
        let reference = Engine(rules: rules, context: context, evaluator: .reference)
        var rng = SplitMix(seed: 2026)
        var table = ProcessTable()
        // Ancestor chains: pid p's parent is p-1, named from the pool.
        for pid in UInt32(1)...UInt32(400) {
            let name = Self.names[Int(rng.next() % UInt64(Self.names.count))]
            table.insert(ProcessInfo(pid: pid, ppid: pid - 1, name: name, exePath: "/usr/bin/" + name,
                                     args: [name, "-c", "x"], cwd: "/", cgroup: Self.cgroups[Int(pid % 2)],
                                     containerID: pid % 2 == 0 ? "host" : "abababababab"))
        }
        var decoder = RecordDecoder()
        var matchedEvents = 0
        for i in 0..<6000 {
            let pid = UInt32(2 + rng.next() % 398)
            let record = event(&rng, pid: pid)
            try record.withUnsafeBytes { raw in
                let decoded = decoder.decode(raw)
                let e = try #require(decoded)
                var a: [String] = [], b: [String] = []
                compiled.process(e, number: UInt64(i), processes: table) { a.append($0.rule) }
                reference.process(e, number: UInt64(i), processes: table) { b.append($0.rule) }
                #expect(a == b, "event \(i): \(EventJSON.eventType(e)) compiled \(a) reference \(b)")
                if !a.isEmpty { matchedEvents += 1 }
                fired.formUnion(a)
            }
        }
        #expect(matchedEvents > 50, "the generated events should make rules fire")
        return fired
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
