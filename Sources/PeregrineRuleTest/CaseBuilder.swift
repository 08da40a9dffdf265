import PeregrineEvents
import PeregrineRules

/// Turns a case's events (Falco fields) into what the live agent would see: processes seeded
/// into the table, then wire records exactly as the probe writes them (`RecordWriter`).
struct CaseBuilder {
    enum Step {
        case seed(ProcessInfo)
        case record([UInt8], line: Int)
    }

    let file: RuleTestFile
    private(set) var steps: [Step] = []
    private(set) var problems: [TestFileProblem] = []
    /// Container and Kubernetes fields by short container id.
    private(set) var containerFields: [String: [String: String]] = [:]
    private var known: [UInt32: ProcessInfo] = [:]
    private var nextPid: UInt32 = 1000
    private var clock: UInt64 = 1_000_000

    init(file: RuleTestFile) {
        self.file = file
    }

    mutating func problem(_ message: String, _ at: Located<TestValue>?, event: TestEvent) {
        problems.append(TestFileProblem(file: file.name, line: at?.line ?? event.line, column: at?.column ?? 1, message: message))
    }

    mutating func allocatePid() -> UInt32 {
        while known[nextPid] != nil { nextPid += 1 }
        defer { nextPid += 1 }
        return nextPid
    }

    /// A whole number field, reporting a problem when it is not one.
    mutating func number<T: FixedWidthInteger>(_ e: TestEvent, _ name: String, as: T.Type = T.self) -> T? {
        guard let loc = e.fields[name] else { return nil }
        guard case .text(let s) = loc.value, let n = T(s) else {
            problem("'\(name)' must be a whole number", loc, event: e)
            return nil
        }
        return n
    }

    /// `evt.res`: SUCCESS or 0, an errno name (ENOENT), or a number.
    mutating func result(_ e: TestEvent, success: Int64) -> Int64 {
        guard let loc = e.fields["evt.res"], case .text(let s) = loc.value else { return success }
        if s == "SUCCESS" || s == "0" { return success }
        if let n = Int64(s) { return n }
        if let errno = Self.errnoNumbers[s] { return -Int64(errno) }
        problem("'evt.res' must be SUCCESS, an errno name such as ENOENT, or a number; got '\(s)'", loc, event: e)
        return success
    }

    static let errnoNumbers: [String: Int] = {
        var out: [String: Int] = [:]
        for i in 1..<512 { out[ErrnoName.name(i)] = i }
        return out
    }()

    static let openFlagNames: [String: UInt32] = [
        "O_RDONLY": 0, "O_WRONLY": 0o1, "O_RDWR": 0o2, "O_CREAT": 0o100, "O_EXCL": 0o200, "O_NOCTTY": 0o400,
        "O_TRUNC": 0o1000, "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_DSYNC": 0o10000, "O_ASYNC": 0o20000,
        "O_DIRECT": 0o40000, "O_DIRECTORY": 0o200000, "O_NOFOLLOW": 0o400000, "O_NOATIME": 0o1000000,
        "O_CLOEXEC": 0o2000000, "O_SYNC": 0o4010000, "O_PATH": 0o10000000, "O_TMPFILE": 0o20200000,
    ]

    static let mountFlagNames: [String: UInt64] = [
        "MS_RDONLY": 1, "MS_NOSUID": 2, "MS_NODEV": 4, "MS_NOEXEC": 8, "MS_SYNCHRONOUS": 16, "MS_REMOUNT": 32,
        "MS_MANDLOCK": 64, "MS_DIRSYNC": 128, "MS_NOATIME": 1024, "MS_NODIRATIME": 2048, "MS_BIND": 4096,
        "MS_MOVE": 8192, "MS_REC": 16384, "MS_SILENT": 32768, "MS_UNBINDABLE": 1 << 17, "MS_PRIVATE": 1 << 18,
        "MS_SLAVE": 1 << 19, "MS_SHARED": 1 << 20, "MS_RELATIME": 1 << 21, "MS_STRICTATIME": 1 << 24,
    ]

    /// `O_WRONLY|O_CREAT`, `MS_BIND|MS_REC`, or a number.
    mutating func flags<T: FixedWidthInteger>(_ e: TestEvent, names: [String: T], default value: T) -> T {
        guard let loc = e.fields["evt.arg.flags"], case .text(let s) = loc.value else { return value }
        if let n = T(s) { return n }
        var out: T = 0
        for part in s.split(separator: "|") {
            let name = part.trimmingSpaces
            guard let bit = names[name] else {
                problem("unknown flag '\(name)' in 'evt.arg.flags'", loc, event: e)
                continue
            }
            out |= bit
        }
        return out
    }

    /// Splits a command line into words; single and double quotes group.
    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { out.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { out.append(current) }
        return out
    }

    static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The kernel keeps at most 15 bytes of a task's name.
    static func comm(_ name: String) -> String {
        String(decoding: Array(name.utf8.prefix(15)), as: UTF8.self)
    }

    static func cgroup(forContainer full: String) -> String {
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d.slice/cri-containerd-\(full).scope"
    }

    static let hostCgroup = "/user.slice/user-0.slice/session-1.scope"

    /// The container an event happens in: (short id, cgroup), or nil on the host.
    mutating func container(of e: TestEvent) -> (String, String)? {
        var fields: [String: String] = [:]
        var refName: String?
        if let ref = e.text("container") {
            if ref == "host" { return nil }
            refName = ref
            fields = file.containers[ref] ?? [:]
        }
        for (k, v) in e.fields where RuleTestFile.isContextField(k) {
            if case .text(let s) = v.value { fields[k] = s }
        }
        if fields.isEmpty && refName == nil { return nil }
        var id = fields["container.id"] ?? ""
        if id == "host" { return nil }
        if id.isEmpty {
            // A stable made-up id for a container given only by name or image.
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in (refName ?? fields.sorted { $0.key < $1.key }.map { $0.key + "=" + $0.value }.joined()).utf8 {
                h = (h ^ UInt64(b)) &* 0x100_0000_01b3
            }
            id = String(String(h, radix: 16).prefix(12))
        }
        let lower = id.lowercased()
        guard lower.utf8.count <= 64, lower.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            problem("'container.id' must be hexadecimal, as runtimes write ids (or `host`); got '\(id)'",
                    e.fields["container.id"], event: e)
            return nil
        }
        let full = lower + String(repeating: "0", count: 64 - lower.utf8.count)
        let short = String(full.prefix(12))
        fields["container.id"] = nil
        containerFields[short, default: [:]].merge(fields) { _, new in new }
        return (short, Self.cgroup(forContainer: full))
    }

    /// A capture's initial processes and records, ahead of the written events.
    mutating func replay(_ capture: RuleTestRunner.Capture) {
        for p in capture.processes {
            steps.append(.seed(p))
            known[p.pid] = p
        }
        for r in capture.records { steps.append(.record(r, line: 0)) }
    }

    mutating func add(_ e: TestEvent) {
        guard let type = e.text("evt.type") else { return }
        let kind: EventKind
        var syscall: SyscallID = .none
        if type == "procexit" {
            kind = .exit
        } else if let id = SyscallID.allCases.first(where: { $0.falcoName == type && $0 != .none }) ?? (type == "umount" ? .umount2 : nil),
                  let k = id.kind {
            kind = k
            syscall = id
        } else {
            problem("unsupported evt.type '\(type)' (the probe reports execve, execveat, open, openat, openat2, creat, mount, umount2, fsopen, fsmount, move_mount, open_tree, chdir, fchdir, clone, clone3, fork, vfork, procexit)",
                    e.fields["evt.type"], event: e)
            return
        }
        clock += 1_000_000

        // The process, as described (fields not given keep what an earlier event said).
        let givenPid: UInt32? = number(e, "proc.pid")
        let pid = givenPid ?? allocatePid()
        let before = known[pid]
        var info = before ?? ProcessInfo(pid: pid, ppid: 0)
        let words = e.text("proc.cmdline").map(Self.words) ?? []
        var rest: [String]?
        if let a = e.list("proc.args") { rest = a.count == 1 ? Self.words(a[0]) : a } else if !words.isEmpty { rest = Array(words.dropFirst()) }
        let exepath = e.text("proc.exepath")
        let name = e.text("proc.name") ?? words.first.map(Self.basename) ?? exepath.map(Self.basename)
        if let name { info.name = Self.comm(name) } else if before == nil { info.name = "proc" }
        if let exepath { info.exePath = exepath } else if before == nil || name != nil {
            info.exePath = words.first.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/usr/bin/" + info.name
        }
        let argv0 = e.text("proc.exe") ?? words.first ?? (before == nil || name != nil ? info.name : info.args.first ?? info.name)
        info.args = [argv0] + (rest ?? Array(info.args.dropFirst()))
        info.cwd = e.text("proc.cwd") ?? (before?.cwd ?? "/")
        if let uid: UInt32 = number(e, "user.uid") { info.uid = uid }
        if let gid: UInt32 = number(e, "group.gid") { info.gid = gid }
        if let l: UInt32 = number(e, "user.loginuid") { info.loginuid = l }
        if let v: UInt32 = number(e, "proc.vpid") { info.vpid = v }
        if let t: UInt32 = number(e, "proc.tty") { info.tty = t }
        if let s: UInt32 = number(e, "proc.sid") { info.sid = s }
        let inContainer = container(of: e)
        if e.fields["container"] != nil || e.fields.keys.contains(where: RuleTestFile.isContextField) || before == nil {
            info.containerID = inContainer?.0 ?? ContainerID.host
            info.cgroup = inContainer?.1 ?? Self.hostCgroup
        }

        // Its parent and further ancestors, when described.
        var chain = e.list("proc.aname") ?? []
        if let p = e.text("proc.pname") { if chain.isEmpty { chain = [p] } else { chain[0] = p } }
        let parentDescribed = !chain.isEmpty || e.fields["proc.pexepath"] != nil || e.fields["proc.pcmdline"] != nil
        if let ppid: UInt32 = number(e, "proc.ppid") { info.ppid = ppid } else if parentDescribed || before == nil {
            info.ppid = parentDescribed ? allocatePid() : 1
        }
        if parentDescribed {
            var parentPid = info.ppid
            for (i, ancestorName) in (chain.isEmpty ? [""] : chain).enumerated() {
                var a = known[parentPid] ?? ProcessInfo(pid: parentPid, ppid: 0)
                let pwords = i == 0 ? (e.text("proc.pcmdline").map(Self.words) ?? []) : []
                let pexe = i == 0 ? e.text("proc.pexepath") : nil
                let aname = !ancestorName.isEmpty ? ancestorName : (pwords.first.map(Self.basename) ?? pexe.map(Self.basename) ?? "parent")
                a.name = Self.comm(aname)
                a.exePath = pexe ?? pwords.first.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/usr/bin/" + aname
                a.args = pwords.isEmpty ? [aname] : pwords
                a.cwd = info.cwd
                a.uid = info.uid
                a.containerID = info.containerID
                a.cgroup = info.cgroup
                a.ppid = i + 1 < chain.count ? allocatePid() : 1
                known[parentPid] = a
                steps.append(.seed(a))
                parentPid = a.ppid
            }
        }

        // The process as the table knows it before this event: for an exec, the image it
        // replaces (a fork of its parent, or what it was); otherwise as described.
        let parent = known[info.ppid]
        switch kind {
        case .exec:
            var pre = before ?? info
            if before == nil, let parent {
                pre.name = parent.name
                pre.exePath = parent.exePath
                pre.args = parent.args
            }
            pre.ppid = info.ppid
            pre.containerID = info.containerID
            pre.cgroup = info.cgroup
            steps.append(.seed(pre))
        default:
            steps.append(.seed(info))
        }

        let tid: UInt32 = number(e, "thread.tid") ?? pid
        var w = RecordWriter(kind: kind, syscall: syscall, timestampBootNs: clock, pid: pid, tid: tid, ppid: info.ppid,
                             uid: info.uid, gid: info.gid, comm: info.name)
        switch kind {
        case .exec:
            let res = result(e, success: 0)
            w.put(res, at: WireLayout.Exec.res)
            w.put(info.uid, at: WireLayout.Exec.euid)
            w.put(info.loginuid, at: WireLayout.Exec.loginuid)
            w.put(info.tty, at: WireLayout.Exec.tty)
            w.put(info.vpid, at: WireLayout.Exec.vpid)
            w.put(info.sid, at: WireLayout.Exec.sid)
            w.put(UInt32(info.args.count), at: WireLayout.Exec.argc)
            w.put(number(e, "evt.arg.dirfd") ?? Int32(-100), at: WireLayout.Exec.dirfd)
            w.put(clock, at: WireLayout.Exec.startBootNs)
            if res == 0 { w.string(info.exePath, at: WireLayout.Exec.exe) }
            w.string(e.text("evt.arg.filename") ?? info.exePath, at: WireLayout.Exec.filename)
            w.arguments(info.args, at: WireLayout.Exec.args)
            w.string(info.cwd, at: WireLayout.Exec.cwd)
            w.string(info.cgroup, at: WireLayout.Exec.cgroup)
            if res == 0 { info.startBootNs = clock; known[pid] = info } else { known[pid] = before ?? steps.lastSeed }
        case .open:
            let defaultFlags: UInt32 = syscall == .creat ? 0o1101 : 0
            let flags = self.flags(e, names: Self.openFlagNames, default: defaultFlags)
            let fd: Int64 = number(e, "fd.num") ?? 3
            let res = result(e, success: fd)
            let name = e.text("fd.name")
            let raw = e.text("fd.nameraw") ?? name
            guard let raw else {
                problem("an open needs 'fd.name' (the absolute path) or 'fd.nameraw'", nil, event: e)
                return
            }
            if res >= 0 && name == nil {
                problem("a successful open needs 'fd.name': the kernel's resolved absolute path", nil, event: e)
                return
            }
            w.put(res, at: WireLayout.Open.res)
            w.put(flags, at: WireLayout.Open.flags)
            w.put(number(e, "evt.arg.mode") ?? UInt32(0), at: WireLayout.Open.mode)
            w.put(number(e, "evt.arg.dirfd") ?? Int32(-100), at: WireLayout.Open.dirfd)
            if res >= 0 {
                w.put(UInt64(0x1000 + steps.count), at: WireLayout.Open.ino)
                w.string(name!, at: WireLayout.Open.path)
            }
            w.string(raw, at: WireLayout.Open.raw)
            if !raw.hasPrefix("/") { w.string(info.cwd, at: WireLayout.Open.base) }
            known[pid] = info
        case .mount:
            w.put(result(e, success: 0), at: WireLayout.Mount.res)
            w.put(flags(e, names: Self.mountFlagNames, default: 0), at: WireLayout.Mount.flags)
            w.put(Int32(-100), at: WireLayout.Mount.fromDirfd)
            w.put(Int32(-100), at: WireLayout.Mount.toDirfd)
            if let s = e.text("evt.arg.dev") { w.string(s, at: WireLayout.Mount.source) }
            if let s = e.text("evt.arg.dir") { w.string(s, at: WireLayout.Mount.target) }
            if let s = e.text("evt.arg.type") { w.string(s, at: WireLayout.Mount.fstype) }
            w.string(info.cwd, at: WireLayout.Mount.base)
            known[pid] = info
        case .chdir:
            let res = result(e, success: 0)
            let raw = e.text("evt.arg.path") ?? "/"
            let target = raw.hasPrefix("/") ? raw : (info.cwd.hasSuffix("/") ? info.cwd : info.cwd + "/") + raw
            w.put(res, at: WireLayout.Chdir.res)
            if res == 0 { w.string(target, at: WireLayout.Chdir.cwd); info.cwd = target }
            w.string(raw, at: WireLayout.Chdir.raw)
            known[pid] = info
        case .fork:
            let child: UInt32 = number(e, "proc.child_pid") ?? allocatePid()
            w.put(child, at: WireLayout.Fork.childTgid)
            w.put(child, at: WireLayout.Fork.childTid)
            w.put(clock, at: WireLayout.Fork.childStartBootNs)
            known[pid] = info
            var c = info
            c.pid = child
            c.ppid = pid
            known[child] = c
        case .exit:
            w.put(number(e, "evt.arg.status") ?? Int32(0), at: WireLayout.Exit.exitCode)
            known[pid] = nil
        }
        steps.append(.record(w.bytes(), line: e.line))
    }
}

private extension Array where Element == CaseBuilder.Step {
    var lastSeed: ProcessInfo? {
        for step in reversed() { if case .seed(let p) = step { return p } }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
