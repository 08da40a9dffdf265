#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Testing

/// Loads the real probe and watches real processes. Needs root (CI runs as root); when the
/// probe cannot load, every test here fails with the reason: they never skip.
@Suite(.serialized) struct KernelProbeTests {
    let h: KernelHarness
    let dir: String

    init() throws {
        h = try KernelHarness.shared.get()
        dir = realPath(h.scratch)
    }

    @Test func execReportsEveryField() throws {
        let work = "\(dir)/exec-cwd"
        mkdir(work, 0o755)
        var child: pid_t = 0
        let before = bootNs()
        let records = try h.collect {
            child = try spawnAndWait("/bin/echo", ["echo", "hello world", "--flag=1"], cwd: work).pid
        }
        let after = bootNs()
        let exec = try #require(records.first { $0.kind == .exec && $0.pid == UInt32(child) })
        try exec.withEvent { e in
            #expect(e.syscall == .execve)
            #expect(e.result == 0)
            #expect(e.tid == UInt32(child))
            #expect(e.ppid == UInt32(getpid()))
            #expect(e.uid == getuid())
            #expect(e.gid == getgid())
            #expect(String(decoding: e.comm, as: UTF8.self) == "echo")
            // /bin is a symlink on merged-/usr systems: the kernel's path is the real one.
            #expect(String(decoding: e.exec.exe, as: UTF8.self) == realPath("/bin/echo"))
            #expect(String(decoding: e.exec.filename, as: UTF8.self) == "/bin/echo")
            #expect(ProcessTable.argv(e.exec.args) == ["echo", "hello world", "--flag=1"])
            #expect(e.exec.argc == 3)
            #expect(String(decoding: e.exec.cwd, as: UTF8.self) == work)
            #expect(e.exec.vpid == UInt32(child)) // same pid namespace as the test
            #expect(e.exec.sid == UInt32(getsid(0)))
            #expect(e.exec.euid == geteuid())
            #expect(e.exec.loginuid == (UInt32(readText("/proc/self/loginuid")) ?? UInt32.max))
            #expect(e.exec.mountNamespace == namespaceInode("mnt"))
            #expect(e.exec.pidNamespace == namespaceInode("pid"))
            #expect(String(decoding: e.exec.cgroup, as: UTF8.self) == ownCgroup())
            #expect(e.exec.startBootNs >= before && e.exec.startBootNs <= after)
            #expect(e.timestampBootNs >= before && e.timestampBootNs <= after)
            // The v2 cgroup's id is its directory's inode number on 64-bit kernels (kernfs).
            #expect(e.cgroupID == cgroupDirectoryInode(ownCgroup()))
            #expect(e.flags.isEmpty)
        }
    }

    /// runc re-executes itself from a memfd; so does fileless malware. The file is in no
    /// directory tree: the kernel names it by its dentry ("memfd:NAME"), and so must we,
    /// or `proc.exepath` would read "/" and rules about memfd execution would never match.
    @Test func execFromMemfdIsNamedByTheMemfd() throws {
        // Glibc's module map hides memfd_create (a _GNU_SOURCE declaration): look it up.
        typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create"))
        let fd = unsafeBitCast(symbol, to: MemfdCreate.self)("peregrine-test", 0)
        try #require(fd >= 0)
        defer { close(fd) }
        let source = open("/bin/true", O_RDONLY)
        try #require(source >= 0)
        defer { close(source) }
        var info = stat()
        try #require(fstat(source, &info) == 0)
        var copied = 0
        while copied < Int(info.st_size) {
            let n = sendfile(fd, source, nil, Int(info.st_size) - copied)
            try #require(n > 0)
            copied += n
        }
        var child: pid_t = 0
        let records = try h.collect {
            child = try spawnAndWait("/proc/self/fd/\(fd)", ["memfd-true"]).pid
        }
        let exec = try #require(records.first { $0.kind == .exec && $0.pid == UInt32(child) })
        let exe = exec.string { $0.exec.exe }
        let filename = exec.string { $0.exec.filename }
        #expect(exe == "/memfd:peregrine-test")
        #expect(filename == "/proc/self/fd/\(fd)")
    }

    @Test func failedExecReportsWhatWasAsked() throws {
        var child: pid_t = 0
        let records = try h.collect {
            child = (try? spawnAndWait("/nonexistent/prog", ["prog", "-x"]).pid) ?? 0
        }
        // glibc's posix_spawn reports a failed exec to the parent; the child still tried.
        let exec = try #require(records.first { $0.kind == .exec && $0.result == -Int64(ENOENT) })
        #expect(exec.string { $0.exec.filename } == "/nonexistent/prog")
        #expect(exec.withEvent { ProcessTable.argv($0.exec.args) } == ["prog", "-x"])
        #expect(exec.string { $0.exec.exe } == "")
        #expect(exec.withEvent { $0.ppid } == UInt32(getpid()))
        _ = child
    }

    @Test func relativeOpenAfterChdirAndDotDot() throws {
        let base = "\(dir)/rel"
        mkdir(base, 0o755)
        mkdir("\(base)/sub", 0o755)
        writeFile("\(base)/file.txt", "x")
        var child: pid_t = 0
        let records = try h.collect {
            child = try spawnAndWait("/bin/sh", ["sh", "-c", "cd sub && exec cat ../file.txt"], cwd: base).pid
        }
        let mine = records.filter { $0.pid == UInt32(child) }
        // posix_spawn's own chdir into `base` comes first, then the shell's `cd sub`
        // (dash passes the path it computed, so only its end is known).
        let chdirs = mine.filter { $0.kind == .chdir }
        #expect(chdirs.count == 2)
        let chdir = try #require(chdirs.last)
        #expect(chdir.syscall == .chdir)
        #expect(chdir.result == 0)
        #expect(chdir.string { $0.chdir.cwd } == "\(base)/sub")
        #expect(chdir.string { $0.chdir.raw }.hasSuffix("sub"))
        let open = try #require(mine.first { $0.kind == .open && $0.string({ $0.open.raw }) == "../file.txt" })
        #expect(open.syscall == .openat)
        #expect((open.result ?? -1) >= 0)
        #expect(open.string { $0.open.path } == "\(base)/file.txt")
        #expect(open.string { $0.open.base } == "") // only failed opens need the base
        try open.withEvent { e in
            #expect(e.open.dirfd == -100)
            #expect(e.open.flags & 3 == 0)
            var st = stat()
            stat("\(base)/file.txt", &st)
            #expect(e.open.ino == UInt64(st.st_ino))
            #expect(String(decoding: e.comm, as: UTF8.self) == "cat")
        }
    }

    @Test func openThroughSymlinkShowsTheTarget() throws {
        let base = "\(dir)/link"
        mkdir(base, 0o755)
        mkdir("\(base)/real", 0o755)
        writeFile("\(base)/real/model.pt", "x")
        symlink("\(base)/real/model.pt", "\(base)/alias.bin")
        symlink("real", "\(base)/dirlink")
        let records = try h.collect {
            close(open("\(base)/alias.bin", O_RDONLY))
            close(open("\(base)/dirlink/../real/./model.pt", O_RDONLY))
        }
        let mine = records.filter { $0.pid == UInt32(getpid()) && $0.kind == .open }
        let viaLink = try #require(mine.first { $0.string({ $0.open.raw }) == "\(base)/alias.bin" })
        #expect(viaLink.string { $0.open.path } == "\(base)/real/model.pt")
        let viaDots = try #require(mine.first { $0.string({ $0.open.raw }) == "\(base)/dirlink/../real/./model.pt" })
        #expect(viaDots.string { $0.open.path } == "\(base)/real/model.pt")
    }

    @Test func openatWithDirectoryFd() throws {
        let base = "\(dir)/dirfd"
        mkdir(base, 0o755)
        writeFile("\(base)/weights.pkl", "x")
        var dfd: Int32 = -1
        let records = try h.collect {
            dfd = open(base, O_RDONLY | O_DIRECTORY)
            close(openat(dfd, "weights.pkl", O_RDWR))
            _ = openat(dfd, "missing/../nope.pkl", O_RDONLY)
        }
        defer { close(dfd) }
        let mine = records.filter { $0.pid == UInt32(getpid()) && $0.kind == .open }
        let ok = try #require(mine.first { $0.string({ $0.open.raw }) == "weights.pkl" })
        #expect(ok.string { $0.open.path } == "\(base)/weights.pkl")
        #expect(ok.withEvent { $0.open.dirfd } == dfd)
        #expect(ok.withEvent { $0.open.flags & 3 } == UInt32(O_RDWR))
        let failed = try #require(mine.first { $0.string({ $0.open.raw }) == "missing/../nope.pkl" })
        #expect(failed.result == -Int64(ENOENT))
        #expect(failed.string { $0.open.path } == "")
        #expect(failed.string { $0.open.base } == base)
        #expect(failed.withEvent { String(decoding: EventJSON.openPath($0.open), as: UTF8.self) } == "\(base)/nope.pkl")
    }

    @Test func failedOpensAreEvents() throws {
        let base = "\(dir)/fail"
        mkdir(base, 0o755)
        writeFile("\(base)/secret", "s", mode: 0o600)
        var child: pid_t = 0
        let records = try h.collect {
            _ = open("\(base)/does-not-exist", O_RDONLY)
            child = try spawnAndWait("/usr/bin/setpriv", ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/cat", "\(base)/secret"]).pid
        }
        let enoent = try #require(records.first {
            $0.kind == .open && $0.string({ $0.open.raw }) == "\(base)/does-not-exist"
        })
        #expect(enoent.result == -Int64(ENOENT))
        #expect(enoent.withEvent { $0.pid } == UInt32(getpid()))
        let eacces = try #require(records.first {
            $0.kind == .open && $0.pid == UInt32(child) && $0.string({ $0.open.raw }) == "\(base)/secret"
        })
        #expect(eacces.result == -Int64(EACCES))
        #expect(eacces.withEvent { $0.uid } == 65534)
        #expect(eacces.withEvent { $0.gid } == 65534)
        #expect(eacces.withEvent { String(decoding: EventJSON.openPath($0.open), as: UTF8.self) } == "\(base)/secret")
    }

    @Test func creatAndOpenat2() throws {
        let base = "\(dir)/creat"
        mkdir(base, 0o755)
        let records = try h.collect {
            let fd = creat("\(base)/out.bin", 0o640)
            close(fd)
            var how = OpenHow(flags: UInt64(O_RDONLY), mode: 0, resolve: 0x04) // RESOLVE_NO_SYMLINKS
            let fd2 = withUnsafeMutablePointer(to: &how) { howPointer in
                "\(base)/out.bin".withCString { path in
                    Int32(rawSyscall4(sysOpenat2, Int(AT_FDCWD), Int(bitPattern: path), Int(bitPattern: howPointer), MemoryLayout<OpenHow>.size))
                }
            }
            close(fd2)
        }
        let mine = records.filter { $0.pid == UInt32(getpid()) && $0.kind == .open }
        let created = try #require(mine.first { $0.syscall == .creat })
        #expect(created.string { $0.open.path } == "\(base)/out.bin")
        #expect(created.withEvent { $0.open.flags } == UInt32(O_CREAT | O_WRONLY | O_TRUNC))
        #expect(created.withEvent { $0.open.mode } == 0o640)
        let o2 = try #require(mine.first { $0.syscall == .openat2 })
        #expect(o2.string { $0.open.path } == "\(base)/out.bin")
        #expect((o2.result ?? -1) >= 0)
        #expect(o2.withEvent { $0.open.resolve } == 0x04)
    }

    /// The path walk climbs out of a mount into the one it sits on: a file on a tmpfs mounted
    /// under a directory mounted in turn (two crossings), and a directory of that tmpfs as
    /// the base of a failed relative open.
    @Test func pathsAcrossMountPoints() throws {
        let outer = "\(dir)/outer"
        mkdir(outer, 0o755)
        #expect(mount("pgouter", outer, "tmpfs", 0, "size=1m") == 0)
        defer { umount2(outer, Int32(MNT_DETACH)) }
        let inner = "\(outer)/sub/inner"
        mkdir("\(outer)/sub", 0o755)
        mkdir(inner, 0o755)
        #expect(mount("pginner", inner, "tmpfs", 0, "size=1m") == 0)
        defer { umount2(inner, Int32(MNT_DETACH)) }
        mkdir("\(inner)/d", 0o755)
        close(creat("\(inner)/d/file", 0o644))
        let dirfd = open("\(inner)/d", O_RDONLY | O_DIRECTORY)
        defer { close(dirfd) }
        let records = try h.collect {
            close(open("\(inner)/d/file", O_RDONLY))
            _ = openat(dirfd, "missing", O_RDONLY)
        }
        let mine = records.filter { $0.pid == UInt32(getpid()) && $0.kind == .open }
        let opened = try #require(mine.first { ($0.result ?? -1) >= 0 })
        #expect(opened.string { $0.open.path } == "\(inner)/d/file")
        let failed = try #require(mine.first { $0.result == -Int64(ENOENT) })
        #expect(failed.string { $0.open.base } == "\(inner)/d")
        #expect(failed.string { $0.open.raw } == "missing")
    }

    @Test func mountAndUmount2() throws {
        let target = "\(dir)/mnt"
        mkdir(target, 0o755)
        let flags = UInt(MS_NOSUID | MS_NODEV)
        var mountResult: Int32 = -1
        var umountResult: Int32 = -1
        let records = try h.collect {
            mountResult = mount("pgtest", target, "tmpfs", flags, "size=1m")
            umountResult = umount2(target, 0)
        }
        #expect(mountResult == 0)
        #expect(umountResult == 0)
        let mine = records.filter { $0.pid == UInt32(getpid()) && $0.kind == .mount }
        let m = try #require(mine.first { $0.syscall == .mount })
        #expect(m.result == 0)
        #expect(m.string { $0.mount.source } == "pgtest")
        #expect(m.string { $0.mount.target } == target)
        #expect(m.string { $0.mount.fstype } == "tmpfs")
        #expect(m.withEvent { $0.mount.flags } == UInt64(flags))
        let u = try #require(mine.first { $0.syscall == .umount2 })
        #expect(u.result == 0)
        #expect(u.string { $0.mount.target } == target)
        #expect(u.withEvent { $0.mount.flags } == 0)
    }

    @Test func forkExecExitLineage() throws {
        var shell: pid_t = 0
        var status: Int32 = 0
        let records = try h.collect {
            (shell, status) = try spawnAndWait("/bin/sh", ["sh", "-c", "/bin/true; exit 3"])
        }
        #expect(status == 3 << 8)
        // The shell forks a child that execs true; the child's parent is the shell.
        let fork = try #require(records.first { $0.kind == .fork && $0.pid == UInt32(shell) })
        let child = fork.withEvent { $0.fork.childPid }
        #expect(fork.withEvent { $0.fork.childTid } == child)
        #expect([SyscallID.clone, .clone3, .fork, .vfork].contains(fork.syscall))
        let exec = try #require(records.first { $0.kind == .exec && $0.pid == child })
        #expect(exec.withEvent { $0.ppid } == UInt32(shell))
        #expect(exec.string { $0.exec.exe } == realPath("/bin/true"))
        let childExit = try #require(records.first { $0.kind == .exit && $0.pid == child })
        #expect(childExit.withEvent { $0.exit.exitCode } == 0)
        #expect(childExit.withEvent { $0.ppid } == UInt32(shell))
        #expect(childExit.withEvent { $0.flags.contains(.groupDead) })
        let shellExit = try #require(records.first { $0.kind == .exit && $0.pid == UInt32(shell) })
        #expect(shellExit.withEvent { $0.exit.exitCode } == 3 << 8)
        #expect(shellExit.withEvent { $0.ppid } == UInt32(getpid()))
        // And our own fork of the shell.
        let ours = try #require(records.first { $0.kind == .fork && $0.pid == UInt32(getpid()) && $0.withEvent { $0.fork.childPid } == UInt32(shell) })
        #expect(ours.withEvent { $0.fork.childStartBootNs } > 0)
    }

    @Test func threadsAreNotProcesses() throws {
        var thread = pthread_t()
        let records = try h.collect {
            pthread_create(&thread, nil, { _ in nil }, nil)
            pthread_join(thread, nil)
        }
        #expect(!records.contains { $0.kind == .fork && $0.pid == UInt32(getpid()) })
        #expect(!records.contains { $0.kind == .exit && $0.pid == UInt32(getpid()) })
    }
}

struct OpenHow {
    var flags: UInt64
    var mode: UInt64
    var resolve: UInt64
}

func bootNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_BOOTTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func namespaceInode(_ name: String) -> UInt32 {
    var buffer = [CChar](repeating: 0, count: 256)
    let n = readlink("/proc/self/ns/\(name)", &buffer, 255)
    let text = String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]") else { return 0 }
    return UInt32(text[text.index(after: open)..<close]) ?? 0
}

/// The inode number of a v2 cgroup's directory, under wherever cgroup2 is mounted
/// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts); 0 when it is not.
func cgroupDirectoryInode(_ path: String) -> UInt64 {
    for line in readText("/proc/self/mountinfo").split(separator: "\n") where line.contains(" - cgroup2 ") {
        let mountPoint = line.split(separator: " ")[4]
        var info = stat()
        return stat(mountPoint + path, &info) == 0 ? UInt64(info.st_ino) : 0
    }
    return 0
}

func ownCgroup() -> String {
    for line in readText("/proc/self/cgroup").split(separator: "\n") where line.hasPrefix("0::") {
        return String(line.dropFirst(3))
    }
    return ""
}

let sysOpenat2 = 437 // the same on x86-64 and arm64; glibc 2.36 has no wrapper

/// glibc's syscall(2) through a fixed four-argument signature (Swift does not import C
/// variadics; glibc's implementation takes its arguments from registers either way).
let rawSyscall4: @convention(c) (Int, Int, Int, Int, Int) -> Int = {
    unsafeBitCast(dlsym(nil, "syscall")!, to: (@convention(c) (Int, Int, Int, Int, Int) -> Int).self)
}()
