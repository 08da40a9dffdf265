import PeregrineCapture
import PeregrineEvents
import Testing

/// Thread state and the records made from scap events, on files written in memory.
@Suite struct ScapTranslationTests {
    static let wronly: UInt32 = 2, rdonly: UInt32 = 1, creat: UInt32 = 4, trunc: UInt32 = 1 << 8

    /// A decoded record, copied out so tests can look at it after the buffer is gone.
    struct Seen {
        var number: UInt64
        var kind: EventKind
        var syscall: SyscallID
        var pid: UInt32, tid: UInt32, ppid: UInt32, uid: UInt32
        var comm: String
        var result: Int64?
        var path = "", raw = "", base = ""
        var flags: UInt32 = 0
        var childPid: UInt32 = 0, childTid: UInt32 = 0
        var exe = "", args: [String] = [], cwd = "", cgroup = ""
        var exitCode: Int32 = 0
        var groupDead = false
        var mountFlags: UInt64 = 0
        var source = "", target = "", fstype = ""
    }

    static func text(_ b: UnsafeRawBufferPointer) -> String { String(decoding: b, as: UTF8.self) }

    static func read(_ b: ScapFileBuilder, options: ScapReader.Options = .init()) throws
        -> (reader: ScapReader, seen: [Seen], table: ProcessTable)
    {
        var reader = try ScapReader(bytes: b.bytes, fileName: "built.scap", options: options)
        let (records, error) = reader.readAll()
        #expect(error == nil, "\(error.map(String.init(describing:)) ?? "")")
        var table = ProcessTable()
        for p in reader.initialProcesses { table.insert(p) }
        var decoder = RecordDecoder()
        var seen: [Seen] = []
        for r in records {
            r.record.withUnsafeBytes { raw in
                guard let v = decoder.decode(raw) else {
                    Issue.record("record \(r.number) does not decode")
                    return
                }
                table.apply(v)
                var s = Seen(number: r.number, kind: v.kind, syscall: v.syscall, pid: v.pid, tid: v.tid, ppid: v.ppid,
                             uid: v.uid, comm: text(v.comm), result: v.result)
                switch v.kind {
                case .open:
                    s.path = text(v.open.path); s.raw = text(v.open.raw); s.base = text(v.open.base); s.flags = v.open.flags
                case .fork:
                    s.childPid = v.fork.childPid; s.childTid = v.fork.childTid
                case .exec:
                    s.exe = text(v.exec.exe); s.args = ProcessTable.argv(v.exec.args); s.cwd = text(v.exec.cwd)
                    s.cgroup = text(v.exec.cgroup)
                case .chdir:
                    s.cwd = text(v.chdir.cwd); s.raw = text(v.chdir.raw)
                case .exit:
                    s.exitCode = v.exit.exitCode; s.groupDead = v.flags.contains(.groupDead)
                case .mount:
                    s.mountFlags = v.mount.flags; s.source = text(v.mount.source); s.target = text(v.mount.target)
                    s.fstype = text(v.mount.fstype)
                }
                seen.append(s)
            }
        }
        return (reader, seen, table)
    }

    func base() -> ScapFileBuilder {
        var b = ScapFileBuilder()
        b.processList([
            .init(tid: 1, pid: 1, ptid: 0, comm: "init", exe: "/sbin/init"),
            .init(tid: 100, pid: 100, ptid: 1, comm: "bash", exe: "/bin/bash", args: ["-l"], cwd: "/home/u", uid: 1000, gid: 1000),
            .init(tid: 101, pid: 100, ptid: 1, comm: "bash-worker", exe: "/bin/bash", cwd: "/home/u", uid: 1000, gid: 1000),
        ])
        b.fdList(tid: 100, files: [(5, "/etc")])
        return b
    }

    @Test func initialProcessesAreThreadGroups() throws {
        let (reader, _, _) = try Self.read(base())
        #expect(reader.initialThreads.count == 3)
        let procs = reader.initialProcesses
        #expect(procs.map(\.pid) == [1, 100])
        let bash = try #require(procs.last)
        #expect(bash.ppid == 1 && bash.name == "bash" && bash.uid == 1000 && bash.cwd == "/home/u")
        #expect(bash.args == ["/bin/bash", "-l"])
        #expect(bash.loginuid == 1000)
        #expect(reader.initialThreads.first(where: { $0.tid == 100 })?.fds[5] == "/etc")
    }

    /// Whatever a file says, the thread table keeps at most `maxThreads` threads (and as many
    /// entry events waiting for their exits) and `maxFds` fds over all threads; what it could
    /// not keep is counted and reported, and events still translate.
    @Test func threadTableStaysWithinItsLimits() throws {
        var b = base()  // threads 1, 100, 101; fd 5 of 100
        b.cloneParent(tid: 100, pid: 100, ptid: 1, child: 200, comm: "bash", ppmFlags: 0)  // 4 threads, 200 copies fd 5: 2 fds
        b.cloneParent(tid: 100, pid: 100, ptid: 1, child: 300, comm: "bash", ppmFlags: 0)  // table full: 300 not kept
        b.openExit(tid: 300, fd: 3, name: "/tmp/z", ppmFlags: Self.rdonly)                  // a thread not kept
        b.openExit(tid: 100, fd: 6, name: "/a", ppmFlags: Self.rdonly)                      // 3 fds
        b.openExit(tid: 100, fd: 7, name: "/b", ppmFlags: Self.rdonly)                      // over: not kept
        b.openatExit(tid: 100, fd: 8, dirfd: 7, name: "x", ppmFlags: Self.rdonly)           // over again
        b.openatExit(tid: 100, fd: 9, dirfd: 6, name: "y", ppmFlags: Self.rdonly)           // over again
        b.event(4, tid: 100, [b.int64(6)])                                                   // close(6): 2 fds
        b.event(5, tid: 100, [b.int64(0)])
        b.procexit(tid: 200)                                                                 // its fd goes: 1 fd
        b.openExit(tid: 100, fd: 10, name: "/c", ppmFlags: Self.rdonly)                     // room again: kept
        b.openatExit(tid: 100, fd: 11, dirfd: 10, name: "d", ppmFlags: Self.rdonly)
        for tid: Int64 in 500..<506 { b.event(4, tid: tid, [b.int64(1)]) }                   // entries that wait
        let (reader, seen, _) = try Self.read(b, options: .init(maxThreads: 4, maxFds: 3))
        #expect(seen.map(\.kind) == [.fork, .fork, .open, .open, .open, .open, .open, .exit, .open, .open])
        #expect(seen[1].childPid == 300)
        #expect(seen[2].tid == 300 && seen[2].path == "/tmp/z")
        #expect(seen.filter { $0.kind == .open }.map(\.path) == ["/tmp/z", "/a", "/b", "<UNKNOWN>/x", "/a/y", "/c", "/c/d"])
        let report = reader.stateOverflows
        #expect(report.count == 3, "\(report)")
        #expect(report.contains { $0.hasPrefix("2 events of threads beyond the table's 4") }, "\(report)")
        #expect(report.contains { $0.hasPrefix("3 fds beyond the limit of 3") }, "\(report)")
        #expect(report.contains { $0.contains("entry events beyond 4 waiting threads were dropped") }, "\(report)")
        // The defaults report nothing for the same file.
        #expect(try Self.read(b).reader.stateOverflows.isEmpty)
    }

    @Test func headerCarriesTheThreadGroup() throws {
        var b = base()
        b.openExit(tid: 101, fd: 3, name: "/etc/passwd", ppmFlags: Self.rdonly)
        let (_, seen, _) = try Self.read(b)
        let open = try #require(seen.first)
        #expect(open.number == 2)  // the entry event is number 1
        #expect(open.kind == .open && open.syscall == .open)
        #expect(open.pid == 100 && open.tid == 101 && open.ppid == 1 && open.uid == 1000)
        #expect(open.comm == "bash-worker")
        #expect(open.path == "/etc/passwd" && open.result == 3)
        #expect(open.flags == OpenFlags.readOnly)
    }

    @Test func pathsResolveLikeSysdig() throws {
        var b = base()
        b.openExit(tid: 100, fd: 3, name: "notes/../todo.txt", ppmFlags: Self.wronly | Self.creat | Self.trunc)
        b.openatExit(tid: 100, fd: 4, dirfd: 5, name: "hosts", ppmFlags: Self.rdonly)       // fd list's /etc
        b.openExit(tid: 100, fd: 6, name: "/var", ppmFlags: Self.rdonly | (1 << 10))
        b.openatExit(tid: 101, fd: 7, dirfd: 6, name: "log/syslog", ppmFlags: Self.rdonly)  // a thread uses the group's fd
        b.openatExit(tid: 100, fd: 8, dirfd: -100, name: "./a", ppmFlags: Self.rdonly)      // AT_FDCWD
        b.openExit(tid: 100, fd: -2, name: "missing", ppmFlags: Self.rdonly)                // failed: no fd -2
        b.openatExit(tid: 100, fd: 9, dirfd: 42, name: "x", ppmFlags: Self.rdonly)          // unknown dirfd
        let (_, seen, _) = try Self.read(b)
        #expect(seen.map(\.path) == ["/home/u/todo.txt", "/etc/hosts", "/var", "/var/log/syslog", "/home/u/a",
                                     "/home/u/missing", "<UNKNOWN>/x"])
        #expect(seen[0].raw == "notes/../todo.txt" && seen[0].base == "/home/u")
        #expect(seen[0].flags == OpenFlags.writeOnly | OpenFlags.create | OpenFlags.truncate)
        #expect(OpenFlags.describe(seen[2].flags) == "O_RDONLY|O_DIRECTORY")
        #expect(seen[1].syscall == .openat)
        #expect(seen[5].result == -2)
    }

    @Test func chdirMovesTheCwd() throws {
        var b = base()
        b.chdirExit(tid: 100, path: "projects")
        b.openExit(tid: 101, fd: 3, name: "a.c", ppmFlags: Self.rdonly)   // threads share the cwd
        b.chdirExit(tid: 100, res: -2, path: "nowhere")                   // failed: no move
        b.event(96, tid: 100, [b.int64(5)])                                // fchdir(5) → /etc
        b.event(97, tid: 100, [b.int64(0)])
        b.openExit(tid: 100, fd: 4, name: "b", ppmFlags: Self.rdonly)
        let (_, seen, table) = try Self.read(b)
        #expect(seen.map(\.kind) == [.chdir, .open, .chdir, .chdir, .open])
        #expect(seen[0].cwd == "/home/u/projects" && seen[0].raw == "projects" && seen[0].result == 0)
        #expect(seen[1].path == "/home/u/projects/a.c")
        #expect(seen[2].result == -2 && seen[2].cwd == "/home/u/projects")
        #expect(seen[3].syscall == .fchdir && seen[3].cwd == "/etc")
        #expect(seen[4].path == "/etc/b")
        #expect(table[100]?.cwd == "/etc")
    }

    @Test func forksAndThreads() throws {
        var b = base()
        b.cloneParent(tid: 100, pid: 100, ptid: 1, child: 200, comm: "bash", ppmFlags: 0, uid: 1000)
        b.cloneParent(tid: 100, pid: 100, ptid: 1, child: 201, comm: "bash", ppmFlags: 1 << 13 | 1 << 15, uid: 1000)
        b.openExit(tid: 200, fd: 3, name: "/tmp/x", ppmFlags: Self.rdonly)
        b.openExit(tid: 201, fd: 3, name: "/tmp/y", ppmFlags: Self.rdonly)
        let (_, seen, table) = try Self.read(b)
        #expect(seen.map(\.kind) == [.fork, .fork, .open, .open])
        #expect(seen[0].pid == 100 && seen[0].childPid == 200 && seen[0].childTid == 200 && seen[0].syscall == .clone)
        #expect(seen[1].childPid == 100 && seen[1].childTid == 201)
        #expect(seen[2].pid == 200 && seen[2].ppid == 100 && seen[2].comm == "bash" && seen[2].uid == 1000)
        #expect(seen[3].pid == 100 && seen[3].tid == 201)
        #expect(table[200]?.ppid == 100)
    }

    @Test func childSideOfCloneMakesNoRecordButDescribesTheThread() throws {
        var b = base()
        // The child returns first (sysdig calls this "inverted").
        b.event(223, tid: 300, [b.int64(0), b.str("/usr/bin/make"), b.list(["all"]), b.int64(300), b.int64(300), b.int64(100),
                                b.str("/src"), b.int64(1024), b.encode(UInt64(0)), b.encode(UInt64(0)), b.uint32(0), b.uint32(0),
                                b.uint32(0), b.str("make"), b.list([]), b.uint32(0), b.uint32(7), b.uint32(7), b.int64(300), b.int64(300)])
        b.openExit(tid: 300, fd: 3, name: "Makefile", ppmFlags: Self.rdonly)
        let (reader, seen, _) = try Self.read(b)
        #expect(seen.count == 1)
        #expect(seen[0].comm == "make" && seen[0].pid == 300 && seen[0].ppid == 100 && seen[0].uid == 7)
        #expect(seen[0].path == "/src/Makefile")
        #expect(reader.skippedEvents["clone (child)"] == 1)
    }

    @Test func execReplacesTheImage() throws {
        var b = base()
        b.cloneParent(tid: 100, pid: 100, ptid: 1, child: 200, comm: "bash", ppmFlags: 0, uid: 1000)
        b.execveExit(tid: 200, pid: 200, ptid: 100, exe: "/bin/ls", args: ["-la", "/tmp"], cwd: "/home/u", comm: "ls")
        b.openExit(tid: 200, fd: 3, name: "/etc/ld.so.cache", ppmFlags: Self.rdonly)
        b.execveExit(tid: 200, pid: 200, ptid: 100, res: -2, exe: "/nope", args: [], cwd: "/home/u", comm: "x")
        let (_, seen, table) = try Self.read(b)
        #expect(seen.map(\.kind) == [.fork, .exec, .open, .exec])
        let exec = seen[1]
        #expect(exec.result == 0 && exec.comm == "ls" && exec.pid == 200 && exec.ppid == 100)
        #expect(exec.exe == "/bin/ls" && exec.args == ["/bin/ls", "-la", "/tmp"] && exec.cwd == "/home/u")
        #expect(ContainerID.shortID(fromCgroup: exec.cgroup) == "0123456789ab")
        #expect(seen[2].comm == "ls")
        #expect(seen[3].result == -2 && seen[3].comm == "ls")  // a failed exec changes nothing
        let proc = try #require(table[200])
        #expect(proc.name == "ls" && proc.args == ["/bin/ls", "-la", "/tmp"] && proc.containerID == "0123456789ab")
    }

    @Test func exitOnlyWhenTheGroupDies() throws {
        var b = base()
        b.procexit(tid: 101)                 // a thread of bash: bash lives on
        b.procexit(tid: 100, status: 3 << 8, ret: 3)
        b.openExit(tid: 100, fd: 3, name: "/x", ppmFlags: Self.rdonly)  // unknown again: sysdig makes one up
        let (reader, seen, _) = try Self.read(b)
        #expect(seen.map(\.kind) == [.exit, .open])
        #expect(seen[0].pid == 100 && seen[0].exitCode == 3 && seen[0].groupDead)
        #expect(seen[1].comm == "" && seen[1].pid == 100 && seen[1].path == "/x")
        #expect(reader.skippedEvents["procexit (thread)"] == 1)
    }

    @Test func mounts() throws {
        var b = base()
        b.event(256, tid: 100, [b.uint32(4096 | 16384)])  // MS_BIND|MS_REC
        b.event(257, tid: 100, [b.int64(0), b.str("/src"), b.str("/mnt/x"), b.str("none")])
        b.event(390, tid: 100, [b.uint32(2)])
        b.event(391, tid: 100, [b.int64(0), b.str("/mnt/x")])
        let (_, seen, _) = try Self.read(b)
        #expect(seen.map(\.kind) == [.mount, .mount])
        #expect(seen[0].syscall == .mount && seen[0].source == "/src" && seen[0].target == "/mnt/x" && seen[0].fstype == "none")
        #expect(MountFlags.describe(seen[0].mountFlags) == "MS_BIND|MS_REC")
        #expect(seen[1].syscall == .umount2 && seen[1].target == "/mnt/x" && seen[1].mountFlags == 2)
    }

    @Test func otherBlockVersions() throws {
        var b = base()
        // v1 block: the parameter count is worked out from the lengths.
        b.event(2, tid: 100, [b.str("/a"), b.uint32(1), b.uint32(0)], as: .v1)
        b.event(3, tid: 100, [b.int64(3), b.str("/a"), b.uint32(1), b.uint32(0), b.uint32(0)], as: .v1)
        b.event(3, tid: 100, [b.int64(4), b.str("/b"), b.uint32(1), b.uint32(0), b.uint32(0)], as: .large)
        b.event(3, tid: 100, [b.int64(5), b.str("/c"), b.uint32(1), b.uint32(0), b.uint32(0)], as: .flagged)
        let (reader, seen, _) = try Self.read(b)
        #expect(seen.map(\.path) == ["/a", "/b", "/c"])
        #expect(seen.map(\.number) == [2, 3, 4])
        #expect(reader.eventCount == 4)
    }

    @Test func skippedEventsAreCountedByName() throws {
        var b = base()
        b.event(6, tid: 100, [b.int64(3), b.uint32(10)])      // read >
        b.event(7, tid: 100, [b.int64(10), [1, 2, 3]])        // read <
        b.event(4, tid: 100, [b.int64(3)])                    // close >
        b.event(5, tid: 100, [b.int64(0)])                    // close <
        b.event(9999, tid: 100, [])
        let (reader, seen, _) = try Self.read(b)
        #expect(seen.isEmpty)
        #expect(reader.skippedEvents["read"] == 2)
        #expect(reader.skippedEvents["close"] == 2)
        #expect(reader.skippedEvents["unknown(9999)"] == 1)
    }
}
