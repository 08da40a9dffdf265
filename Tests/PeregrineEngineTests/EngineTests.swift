import PeregrineEvents
import PeregrineRules
import Testing

@testable import PeregrineEngine

/// Engine semantics on records built in memory: the same records the probe writes.
@Suite struct EngineTests {
    static let containerCgroup = "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-" + String(repeating: "c0ffee00", count: 8) + ".scope"

    static func exec(pid: UInt32, ppid: UInt32, comm: String, exe: String, args: [String], cwd: String = "/work",
                     cgroup: String = "/", res: Int64 = 0) -> [UInt8] {
        var w = RecordWriter(kind: .exec, syscall: .execve, timestampBootNs: 10, pid: pid, ppid: ppid, uid: 1000, comm: comm)
        w.put(res, at: WireLayout.Exec.res)
        w.put(UInt32(args.count), at: WireLayout.Exec.argc)
        w.put(UInt32.max, at: WireLayout.Exec.loginuid)
        if res == 0 { w.string(exe, at: WireLayout.Exec.exe) }
        w.string(exe, at: WireLayout.Exec.filename)
        w.arguments(args, at: WireLayout.Exec.args)
        w.string(cwd, at: WireLayout.Exec.cwd)
        w.string(cgroup, at: WireLayout.Exec.cgroup)
        return w.bytes()
    }

    static func open(pid: UInt32, ppid: UInt32, comm: String, path: String, flags: UInt32, res: Int64 = 3, raw: String? = nil,
                     base: String = "") -> [UInt8] {
        var w = RecordWriter(kind: .open, syscall: .openat, timestampBootNs: 20, pid: pid, ppid: ppid, uid: 1000, comm: comm)
        w.put(res, at: WireLayout.Open.res)
        w.put(flags, at: WireLayout.Open.flags)
        w.put(Int32(-100), at: WireLayout.Open.dirfd)
        if res >= 0 { w.string(path, at: WireLayout.Open.path) }
        w.string(raw ?? path, at: WireLayout.Open.raw)
        w.string(base, at: WireLayout.Open.base)
        return w.bytes()
    }

    /// Runs records through table + engine like `AlertPipeline` and returns the alerts.
    static func run(_ records: [[UInt8]], rules: RuleSet, seed: [ProcessInfo] = []) -> [Alert] {
        let engine = Engine(rules: rules, context: EngineContext(hostname: "node-1", bootToEpochNs: 1_000_000_000))
        var table = ProcessTable()
        for p in seed { table.insert(p) }
        var alerts: [Alert] = []
        var decoder = RecordDecoder()
        for (i, r) in records.enumerated() {
            r.withUnsafeBytes { raw in
                guard let e = decoder.decode(raw) else { Issue.record("record \(i) rejected"); return }
                if e.kind != .exit { table.apply(e) }
                engine.process(e, number: UInt64(i + 1), processes: table) { alerts.append($0) }
                if e.kind == .exit { table.apply(e) }
            }
        }
        return alerts
    }

    static func load(_ yaml: String, defaults: Bool = true) throws -> RuleSet {
        let loader = RuleLoader()
        let sources = [RuleSource(name: "test.yaml", text: yaml)]
        let result = defaults ? loader.loadWithDefaults(sources) : loader.load(sources)
        try #require(!result.hasErrors, "\(result.errors)")
        return result.ruleSet
    }

    static let seedRulesText: String = {
        let path = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        return readFile("/" + path + "/../shared/seed-rules/ml_rules.yaml")
    }()

    @Test func mlSeedRulesFireOnTheirBehaviour() throws {
        let rules = try Self.load(Self.seedRulesText)
        let shell = ProcessInfo(pid: 50, ppid: 1, name: "bash", exePath: "/usr/bin/bash", args: ["bash"], cgroup: Self.containerCgroup,
                                containerID: "c0ffee00c0ff")
        let alerts = Self.run([
            Self.exec(pid: 60, ppid: 50, comm: "python3", exe: "/usr/bin/python3.11",
                      args: ["python3", "-c", "import torch; torch.load('m.pt')"], cgroup: Self.containerCgroup),
            Self.open(pid: 60, ppid: 50, comm: "python3", path: "/dev/nvidia0", flags: 0o2),
        ], rules: rules, seed: [shell])
        let names = alerts.map(\.rule)
        #expect(names.contains("Pickle Deserialization in ML Container"))
        #expect(names.contains("GPU Device Access by Non-ML Container"))
        let pickle = try #require(alerts.first { $0.rule == "Pickle Deserialization in ML Container" })
        #expect(pickle.priority == .critical)
        #expect(pickle.output.contains("command=python3 -c import torch; torch.load('m.pt')"))
        #expect(pickle.output.contains("image=<NA>"))
        #expect(pickle.time == 1_000_000_010)
    }

    @Test func hostProcessesAreNotContainers() throws {
        let rules = try Self.load(Self.seedRulesText)
        let alerts = Self.run([
            Self.exec(pid: 60, ppid: 1, comm: "python3", exe: "/usr/bin/python3", args: ["python3", "-c", "pickle.load(f)"]),
        ], rules: rules)
        #expect(!alerts.map(\.rule).contains("Pickle Deserialization in ML Container"))
    }

    @Test func ancestorsComeFromTheProcessTable() throws {
        let rules = try Self.load("""
            - rule: Shell under python
              desc: t
              condition: evt.type = execve and proc.name = sh and proc.aname = python3 and proc.pname = bash and proc.aname[2] = python3
              output: "%proc.name %proc.pname %proc.aname[2] %proc.pcmdline"
              priority: NOTICE
            """, defaults: false)
        let seed = [
            ProcessInfo(pid: 10, ppid: 1, name: "python3", args: ["python3", "serve.py"]),
            ProcessInfo(pid: 11, ppid: 10, name: "bash", args: ["bash", "-i"]),
        ]
        let alerts = Self.run([Self.exec(pid: 12, ppid: 11, comm: "sh", exe: "/bin/sh", args: ["sh"])], rules: rules, seed: seed)
        #expect(alerts.map(\.output) == ["sh bash python3 bash -i"])
    }

    /// Rules whose only indexable condition is on any ancestor are filed under it: they must
    /// still fire for an ancestor several generations up, and only then.
    @Test func anyAncestorRulesAreFoundThroughEveryGeneration() throws {
        let rules = try Self.load("""
            - rule: Under launcher
              desc: t
              condition: evt.type = execve and proc.aname in (launcher, supervisor) and proc.name = sh
              output: "%proc.name"
              priority: NOTICE
            - rule: Under something launched
              desc: t
              condition: evt.type = execve and proc.aexepath startswith /opt/launch
              output: "%proc.name"
              priority: NOTICE
            - rule: Some ancestor not launcher
              desc: t
              condition: evt.type = execve and proc.aname != launcher and proc.name = sh
              output: "%proc.name"
              priority: NOTICE
            """, defaults: false)
        let seed = [
            ProcessInfo(pid: 10, ppid: 1, name: "launcher", exePath: "/opt/launcher/bin/launcher", args: ["launcher"]),
            ProcessInfo(pid: 11, ppid: 10, name: "bash", exePath: "/usr/bin/bash", args: ["bash"]),
            ProcessInfo(pid: 12, ppid: 11, name: "make", exePath: "/usr/bin/make", args: ["make"]),
            ProcessInfo(pid: 20, ppid: 1, name: "cron", exePath: "/usr/sbin/cron", args: ["cron"]),
        ]
        let under = Self.run([Self.exec(pid: 13, ppid: 12, comm: "sh", exe: "/bin/sh", args: ["sh"])], rules: rules, seed: seed)
        #expect(under.map(\.rule) == ["Under launcher", "Under something launched", "Some ancestor not launcher"])
        let elsewhere = Self.run([Self.exec(pid: 21, ppid: 20, comm: "sh", exe: "/bin/sh", args: ["sh"])], rules: rules, seed: seed)
        #expect(elsewhere.map(\.rule) == ["Some ancestor not launcher"])
    }

    /// Enough `contains` checks on one field for the index to file them under their substrings:
    /// each must still fire wherever its text is (overlapping others, at the very end), and
    /// only then.
    @Test func containsRulesAreFoundAtEveryOffset() throws {
        let patterns = ["--secret", "secret-1", "et-1", "-1 --", "--verbose", "bose", "zzz", "q", "tail", "ai"]
        var yaml = ""
        for (i, p) in patterns.enumerated() {
            yaml += "- rule: R\(i)\n  desc: t\n  condition: evt.type = execve and proc.cmdline contains \"\(p)\"\n"
                + "  output: \"%proc.cmdline\"\n  priority: NOTICE\n"
        }
        let rules = try Self.load(yaml, defaults: false)
        let hit = Self.run([Self.exec(pid: 13, ppid: 1, comm: "tool", exe: "/bin/tool", args: ["tool", "--secret-1", "--verbose", "tail"])],
                           rules: rules)
        #expect(hit.map(\.rule) == ["R0", "R1", "R2", "R3", "R4", "R5", "R8", "R9"])
        let miss = Self.run([Self.exec(pid: 14, ppid: 1, comm: "tool", exe: "/bin/tool", args: ["tool", "--other"])], rules: rules)
        #expect(miss.isEmpty)
    }

    /// One rule whose `contains` keys all start with one byte is filed under them (memchr finds
    /// where to look): false starts on that byte, overlaps and the very end of the value.
    @Test func containsKeysSharingAFirstByteAreFoundAfterFalseStarts() throws {
        let rules = try Self.load("""
            - rule: Traversal
              desc: t
              condition: evt.type = execve and (proc.cmdline contains "../" or proc.cmdline contains ".//")
              output: "%proc.cmdline"
              priority: NOTICE
            """, defaults: false)
        func fired(_ args: [String]) -> Bool {
            !Self.run([Self.exec(pid: 13, ppid: 1, comm: "cat", exe: "/bin/cat", args: args)], rules: rules).isEmpty
        }
        #expect(fired(["cat", "a.b/.c/../x"]))
        #expect(fired(["cat", "x/...//"]))
        #expect(fired(["cat", "a/.."]) == false)
        #expect(fired(["cat", "a/../"]))
        #expect(fired(["cat", "a.b/.c/.x"]) == false)
    }

    /// Rules filed under a field that needs the process table, each with a check on the
    /// record's flags (its guard): the field is only looked up when some guard holds, and a
    /// guard that holds still finds exactly its rules.
    @Test func guardedIndexFieldsFindTheirRulesOnlyWhenTheGuardHolds() throws {
        let rules = try Self.load("""
            - rule: Writer
              desc: t
              condition: evt.type = openat and evt.is_open_write = true and fd.num >= 0 and proc.name in (writer, both)
              output: "w %proc.name"
              priority: NOTICE
            - rule: Reader
              desc: t
              condition: evt.type = openat and evt.is_open_read = true and proc.name in (reader, both)
              output: "r %proc.name"
              priority: NOTICE
            """, defaults: false)
        let matcher = CompiledMatcher(rules: rules)
        let index = matcher.index(for: [0, 1], eventType: EventTypeCode.byName["openat"]!)
        let field = try #require(index.texts.first)
        #expect(matcher.slots[Int(field.slot)].field.info.name == "proc.name")
        #expect(field.guards.start >= 0, "proc.name should be looked up only when a guard holds")

        func fired(_ comm: String, flags: UInt32, res: Int64 = 3) -> [String] {
            let exec = Self.exec(pid: 30, ppid: 1, comm: comm, exe: "/bin/" + comm, args: [comm])
            let open = Self.open(pid: 30, ppid: 1, comm: comm, path: "/etc/x", flags: flags, res: res)
            return Self.run([exec, open], rules: rules).map(\.output)
        }
        let read: UInt32 = 0, write: UInt32 = 1, readWrite: UInt32 = 2
        #expect(fired("writer", flags: write) == ["w writer"])
        #expect(fired("writer", flags: read) == [])
        #expect(fired("writer", flags: write, res: -13) == [])  // fd.num >= 0 fails: a guard too
        #expect(fired("reader", flags: read) == ["r reader"])
        #expect(fired("reader", flags: write) == [])
        #expect(fired("both", flags: readWrite) == ["w both", "r both"])
        #expect(fired("other", flags: readWrite) == [])
    }

    /// The facts the index's guards test say what the fields they stand for say, for every
    /// kind of record, flag and result (a guard that disagreed would hide a rule's field).
    @Test func recordFactsAgreeWithTheFieldsTheyStandFor() {
        var records: [[UInt8]] = []
        for flags: UInt32 in [0, 1, 2, 0o101, 0o1101, 0o2001, 0o2000000, 0o200000] {
            for res: Int64 in [3, 0, -2, -13] {
                var w = RecordWriter(kind: .open, syscall: .openat, pid: 7, ppid: 1, comm: "t")
                w.put(res, at: WireLayout.Open.res)
                w.put(flags, at: WireLayout.Open.flags)
                w.string("/x", at: WireLayout.Open.raw)
                if res >= 0 { w.string("/x", at: WireLayout.Open.path) }
                records.append(w.bytes())
            }
        }
        records.append(Self.exec(pid: 7, ppid: 1, comm: "t", exe: "/bin/t", args: ["t"]))
        records.append(Self.exec(pid: 7, ppid: 1, comm: "t", exe: "/bin/t", args: ["t"], res: -2))
        var fork = RecordWriter(kind: .fork, syscall: .clone, pid: 7, ppid: 1, comm: "t")
        fork.put(UInt32(8), at: WireLayout.Fork.childTgid)
        records.append(fork.bytes())
        records.append(RecordWriter(kind: .exit, syscall: .none, pid: 7, ppid: 1, comm: "t").bytes())
        var decoder = RecordDecoder()
        let context = EngineContext(hostname: "h", bootToEpochNs: 0)
        for (i, r) in records.enumerated() {
            r.withUnsafeBytes { raw in
                guard let e = decoder.decode(raw) else { Issue.record("record \(i) rejected"); return }
                let x = FieldExtractor(event: e, number: 1, processes: ProcessTable(), context: context)
                let facts = x.recordFacts
                func flag(_ code: FieldCode) -> Bool? {
                    if case .bool(let b) = x.value(code) { return b }
                    return nil
                }
                func fact(_ f: RecordFacts) -> Bool { facts.contains(f) }
                #expect((flag(.evtIsOpenRead) != nil) == fact(.open), "record \(i)")
                #expect(flag(.evtIsOpenRead) == (fact(.open) ? fact(.openRead) : nil), "record \(i)")
                #expect(flag(.evtIsOpenWrite) == (fact(.open) ? fact(.openWrite) : nil), "record \(i)")
                #expect(flag(.evtIsOpenCreate) == (fact(.open) ? fact(.openCreate) : nil), "record \(i)")
                #expect(flag(.evtFailed) == (fact(.hasResult) ? fact(.failed) : nil), "record \(i)")
                #expect(flag(.threadIsMain) == fact(.mainThread), "record \(i)")
                var fdNumNonNegative = false
                if case .int(let n) = x.value(.fdNum) { fdNumNonNegative = n >= 0 }
                #expect(fdNumNonNegative == fact(.openSucceeded), "record \(i)")
            }
        }
    }

    /// The event type's index is read from the record's syscall number directly: the bound
    /// it is checked against must be every syscall we know, and an unknown number is `none`.
    @Test func eventTypeCodesCoverEverySyscall() {
        #expect(EventTypeCode.syscallCount == SyscallID.allCases.count)
        #expect(SyscallID.allCases.map { Int($0.rawValue) } == Array(0..<SyscallID.allCases.count))
        var w = RecordWriter(kind: .open, syscall: .openat2, timestampBootNs: 1, pid: 1, ppid: 0, uid: 0, comm: "t")
        w.put(Int64(3), at: WireLayout.Open.res)
        let openat2 = w.bytes()
        var decoder = RecordDecoder()
        openat2.withUnsafeBytes { raw in
            guard let e = decoder.decode(raw) else { Issue.record("record rejected"); return }
            #expect(EventTypeCode.of(e).name == "openat2")
        }
    }

    @Test func failedOpensAreMatchedOnTheirAbsolutePath() throws {
        let rules = try Self.load("""
            - rule: GPU attempt
              desc: t
              condition: evt.type = openat and fd.name startswith /dev/nvidia and evt.failed = true
              output: "%fd.name %evt.res %fd.nameraw"
              priority: WARNING
            """, defaults: false)
        let alerts = Self.run([
            Self.open(pid: 5, ppid: 1, comm: "miner", path: "", flags: 2, res: -13, raw: "../dev/./nvidia0", base: "/tmp"),
        ], rules: rules)
        #expect(alerts.map(\.output) == ["/dev/nvidia0 EACCES ../dev/./nvidia0"])
    }

    @Test func ruleMatchingFirstStopsAtTheFirstRule() throws {
        let rules = try Self.load("""
            - rule: A
              desc: t
              condition: evt.type = openat
              output: a
              priority: INFO
            - rule: B
              desc: t
              condition: evt.type = openat
              output: b
              priority: INFO
            """, defaults: false)
        let record = Self.open(pid: 5, ppid: 1, comm: "x", path: "/a", flags: 0)
        #expect(Self.run([record], rules: rules).map(\.rule) == ["A", "B"])
        let engine = Engine(rules: rules, context: EngineContext(hostname: "h", bootToEpochNs: 0), matching: .first)
        var names: [String] = []
        var decoder = RecordDecoder()
        record.withUnsafeBytes { raw in
            engine.process(decoder.decode(raw)!, number: 1, processes: ProcessTable()) { names.append($0.rule) }
        }
        #expect(names == ["A"])
    }

    /// Candidates spread over many words of the bitmap (300 rules: five words, passed over four
    /// at a time where empty): every matching rule is found, in rule order, wherever its word
    /// is, and no word is left set for the next event; `first` keeps only the first.
    @Test func candidatesInEveryWordOfManyRules() throws {
        let yaml = (0..<300).map { i in
            "- rule: R\(i)\n  desc: t\n  condition: evt.type = openat and fd.name = /f/\(i % 250)\n  output: o\n  priority: INFO\n"
        }.joined()
        let rules = try Self.load(yaml, defaults: false)
        // /f/7: rules 7 and 257 (words 0 and 4); /f/200: rule 200 alone (word 3, after three
        // empty words); /f/99: rule 99 (word 1).
        let events = ["/f/7", "/none", "/f/200", "/f/99"].map { Self.open(pid: 5, ppid: 1, comm: "x", path: $0, flags: 0) }
        #expect(Self.run(events, rules: rules).map(\.rule) == ["R7", "R257", "R200", "R99"])
        let engine = Engine(rules: rules, context: EngineContext(hostname: "h", bootToEpochNs: 0), matching: .first)
        var names: [String] = []
        var decoder = RecordDecoder()
        for record in events {
            record.withUnsafeBytes { raw in
                engine.process(decoder.decode(raw)!, number: 1, processes: ProcessTable()) { names.append($0.rule) }
            }
        }
        #expect(names == ["R7", "R200", "R99"])
    }

    /// `contains` looks for any one byte of the pattern first: whichever it picks, it agrees with
    /// a plain search, for matches at the start, the end, overlapping a false start, and none.
    @Test func containsAgreesWhicheverByteItLooksForFirst() {
        let texts = ["/home/u/.ssh/id_rsa", "/.ssh/", "//.ssh/x", "/.ss/.ssh", "/.ssh", "aaab", "", "tool --secret-1"]
        let patterns = ["/.ssh/", "id_rsa", "aab", "/", "--secret-", ".ssh", "x", "h/"]
        for text in texts {
            for pattern in patterns {
                let t = Array(text.utf8), p = Array(pattern.utf8)
                let expected = t.count >= p.count && (0...(t.count - p.count)).contains { Array(t[$0..<($0 + p.count)]) == p }
                for k in 0..<p.count {
                    let found = t.withUnsafeBytes { tb in p.withUnsafeBytes { ByteSearch.contains(tb, $0, anchor: k) } }
                    #expect(found == expected, "\(pattern) in \(text), anchor \(k)")
                }
            }
        }
        #expect(ByteSearch.anchor(Array("/.ssh/".utf8)) == 4)
    }

    /// The pair scan that finds where `contains` keys may start, 16 offsets a step: every
    /// offset of a hit, in every lane, in the overlapping last step, and in texts too short for
    /// a step, in order and once each, agreeing with a plain scan.
    @Test func pairScanFindsEveryOffsetOnce() throws {
        func pair(_ s: String) -> (UInt8, UInt8) { let b = Array(s.utf8); return (b[0], b[1]) }
        let cases = [[pair(".."), pair("/x")], [pair("ab")]]
        #expect(ByteSearch.PairSet([]) == nil)
        #expect(ByteSearch.PairSet([pair("ab"), pair("cd"), pair("ef")]) == nil)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("./xab".utf8)
        for wanted in cases {
            let set = try #require(ByteSearch.PairSet(wanted))
            for length in 0...70 {
                for _ in 0..<20 {
                    let text = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
                    let expected = length < 2 ? [] : (0..<(length - 1)).filter { i in wanted.contains { $0 == (text[i], text[i + 1]) } }
                    var found: [Int] = []
                    text.withUnsafeBytes { b in
                        while let at = set.firstOffset(in: b, from: (found.last ?? -1) + 1) { found.append(at) }
                    }
                    #expect(found == expected, "\(String(decoding: text, as: UTF8.self))")
                }
            }
        }
    }

    /// `fd.directory` and `fd.filename` split at the last '/' found eight bytes at a time:
    /// every position of the slash, in every lane of a word, with and without a short tail,
    /// and bytes that differ from '/' in one bit only.
    @Test func lastSlashIsFoundAtEveryOffset() {
        for count in 0...40 {
            for slash in -1..<count {
                var bytes = (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) }
                for i in 0..<count where i % 3 == 0 { bytes[i] = i % 2 == 0 ? 0x2E : 0xAF }
                if slash >= 0 { bytes[slash] = UInt8(ascii: "/") }
                if slash > 2 { bytes[slash / 2] = UInt8(ascii: "/") }
                let expected = bytes.lastIndex(of: UInt8(ascii: "/"))
                let found = bytes.withUnsafeBytes { FieldExtractor.lastSlash($0) }
                #expect(found == expected, "\(count) bytes, slash at \(slash)")
            }
        }
    }
}

func readFile(_ path: String) -> String {
    guard let f = fopen(path, "r") else { return "" }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#endif
