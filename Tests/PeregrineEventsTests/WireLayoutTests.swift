import PeregrineWire
import Testing

@testable import PeregrineEvents

/// Swift's view of every wire struct must match the C header the BPF program is built from.
@Suite struct WireLayoutTests {
    @Test func header() {
        #expect(MemoryLayout<pg_header>.size == WireLayout.Header.byteCount)
        #expect(MemoryLayout<pg_header>.offset(of: \.size) == WireLayout.Header.size)
        #expect(MemoryLayout<pg_header>.offset(of: \.kind) == WireLayout.Header.kind)
        #expect(MemoryLayout<pg_header>.offset(of: \.syscall) == WireLayout.Header.syscall)
        #expect(MemoryLayout<pg_header>.offset(of: \.ts_boot_ns) == WireLayout.Header.tsBootNs)
        #expect(MemoryLayout<pg_header>.offset(of: \.tgid) == WireLayout.Header.tgid)
        #expect(MemoryLayout<pg_header>.offset(of: \.tid) == WireLayout.Header.tid)
        #expect(MemoryLayout<pg_header>.offset(of: \.ppid) == WireLayout.Header.ppid)
        #expect(MemoryLayout<pg_header>.offset(of: \.uid) == WireLayout.Header.uid)
        #expect(MemoryLayout<pg_header>.offset(of: \.gid) == WireLayout.Header.gid)
        #expect(MemoryLayout<pg_header>.offset(of: \.flags) == WireLayout.Header.flags)
        #expect(MemoryLayout<pg_header>.offset(of: \.cgroup_id) == WireLayout.Header.cgroupID)
        #expect(MemoryLayout<pg_header>.offset(of: \.comm) == WireLayout.Header.comm)
        #expect(MemoryLayout.size(ofValue: pg_header().comm) == WireLayout.Header.commLength)
    }

    @Test func exec() {
        typealias L = WireLayout.Exec
        #expect(MemoryLayout<pg_exec>.size == L.byteCount)
        #expect(MemoryLayout<pg_exec>.offset(of: \.res) == L.res)
        #expect(MemoryLayout<pg_exec>.offset(of: \.euid) == L.euid)
        #expect(MemoryLayout<pg_exec>.offset(of: \.loginuid) == L.loginuid)
        #expect(MemoryLayout<pg_exec>.offset(of: \.tty) == L.tty)
        #expect(MemoryLayout<pg_exec>.offset(of: \.pid_ns) == L.pidNamespace)
        #expect(MemoryLayout<pg_exec>.offset(of: \.mnt_ns) == L.mountNamespace)
        #expect(MemoryLayout<pg_exec>.offset(of: \.vpid) == L.vpid)
        #expect(MemoryLayout<pg_exec>.offset(of: \.sid) == L.sid)
        #expect(MemoryLayout<pg_exec>.offset(of: \.argc) == L.argc)
        #expect(MemoryLayout<pg_exec>.offset(of: \.dirfd) == L.dirfd)
        #expect(MemoryLayout<pg_exec>.offset(of: \.at_flags) == L.atFlags)
        #expect(MemoryLayout<pg_exec>.offset(of: \.start_boot_ns) == L.startBootNs)
        #expect(MemoryLayout<pg_exec>.offset(of: \.exe) == L.exe)
        #expect(MemoryLayout<pg_exec>.offset(of: \.filename) == L.filename)
        #expect(MemoryLayout<pg_exec>.offset(of: \.args) == L.args)
        #expect(MemoryLayout<pg_exec>.offset(of: \.cwd) == L.cwd)
        #expect(MemoryLayout<pg_exec>.offset(of: \.cgroup) == L.cgroup)
    }

    @Test func open() {
        typealias L = WireLayout.Open
        #expect(MemoryLayout<pg_open>.size == L.byteCount)
        #expect(MemoryLayout<pg_open>.offset(of: \.res) == L.res)
        #expect(MemoryLayout<pg_open>.offset(of: \.flags) == L.flags)
        #expect(MemoryLayout<pg_open>.offset(of: \.mode) == L.mode)
        #expect(MemoryLayout<pg_open>.offset(of: \.dirfd) == L.dirfd)
        #expect(MemoryLayout<pg_open>.offset(of: \.dev) == L.dev)
        #expect(MemoryLayout<pg_open>.offset(of: \.ino) == L.ino)
        #expect(MemoryLayout<pg_open>.offset(of: \.resolve) == L.resolve)
        #expect(MemoryLayout<pg_open>.offset(of: \.path) == L.path)
        #expect(MemoryLayout<pg_open>.offset(of: \.raw) == L.raw)
        #expect(MemoryLayout<pg_open>.offset(of: \.base) == L.base)
    }

    @Test func mount() {
        typealias L = WireLayout.Mount
        #expect(MemoryLayout<pg_mount>.size == L.byteCount)
        #expect(MemoryLayout<pg_mount>.offset(of: \.res) == L.res)
        #expect(MemoryLayout<pg_mount>.offset(of: \.flags) == L.flags)
        #expect(MemoryLayout<pg_mount>.offset(of: \.from_dirfd) == L.fromDirfd)
        #expect(MemoryLayout<pg_mount>.offset(of: \.to_dirfd) == L.toDirfd)
        #expect(MemoryLayout<pg_mount>.offset(of: \.source) == L.source)
        #expect(MemoryLayout<pg_mount>.offset(of: \.target) == L.target)
        #expect(MemoryLayout<pg_mount>.offset(of: \.fstype) == L.fstype)
        #expect(MemoryLayout<pg_mount>.offset(of: \.base) == L.base)
    }

    @Test func lifecycle() {
        #expect(MemoryLayout<pg_fork>.size == WireLayout.Fork.byteCount)
        #expect(MemoryLayout<pg_fork>.offset(of: \.child_tgid) == WireLayout.Fork.childTgid)
        #expect(MemoryLayout<pg_fork>.offset(of: \.child_tid) == WireLayout.Fork.childTid)
        #expect(MemoryLayout<pg_fork>.offset(of: \.clone_flags) == WireLayout.Fork.cloneFlags)
        #expect(MemoryLayout<pg_fork>.offset(of: \.child_start_boot_ns) == WireLayout.Fork.childStartBootNs)
        #expect(MemoryLayout<pg_exit>.size == WireLayout.Exit.byteCount)
        #expect(MemoryLayout<pg_exit>.offset(of: \.exit_code) == WireLayout.Exit.exitCode)
        #expect(MemoryLayout<pg_chdir>.size == WireLayout.Chdir.byteCount)
        #expect(MemoryLayout<pg_chdir>.offset(of: \.res) == WireLayout.Chdir.res)
        #expect(MemoryLayout<pg_chdir>.offset(of: \.cwd) == WireLayout.Chdir.cwd)
        #expect(MemoryLayout<pg_chdir>.offset(of: \.raw) == WireLayout.Chdir.raw)
    }

    @Test func constants() {
        #expect(Int(PG_MAX_RECORD) == WireLayout.maxRecord)
        #expect(UInt32(PG_WIRE_VERSION) == WireLayout.version)
        #expect(UInt32(PG_F_PATH_TRUNCATED) == WireLayout.Flags.pathTruncated.rawValue)
        #expect(UInt32(PG_F_ARGS_TRUNCATED) == WireLayout.Flags.argsTruncated.rawValue)
        #expect(UInt32(PG_F_GROUP_DEAD) == WireLayout.Flags.groupDead.rawValue)
        #expect(UInt32(PG_F_THREAD) == WireLayout.Flags.thread.rawValue)
        #expect(UInt32(PG_F_STRING_FAULT) == WireLayout.Flags.stringFault.rawValue)
        let kinds: [(pg_kind, EventKind)] = [
            (PG_KIND_EXEC, .exec), (PG_KIND_OPEN, .open), (PG_KIND_MOUNT, .mount),
            (PG_KIND_FORK, .fork), (PG_KIND_EXIT, .exit), (PG_KIND_CHDIR, .chdir),
        ]
        for (c, swift) in kinds { #expect(UInt16(c.rawValue) == swift.rawValue) }
        #expect(Int(PG_KIND_MAX.rawValue) == EventKind.allCases.count + 1)
        let syscalls: [(pg_syscall, SyscallID)] = [
            (PG_SC_EXECVE, .execve), (PG_SC_EXECVEAT, .execveat), (PG_SC_OPEN, .open), (PG_SC_OPENAT, .openat),
            (PG_SC_OPENAT2, .openat2), (PG_SC_CREAT, .creat), (PG_SC_MOUNT, .mount), (PG_SC_UMOUNT2, .umount2),
            (PG_SC_FSOPEN, .fsopen), (PG_SC_FSMOUNT, .fsmount), (PG_SC_MOVE_MOUNT, .moveMount),
            (PG_SC_OPEN_TREE, .openTree), (PG_SC_CHDIR, .chdir), (PG_SC_FCHDIR, .fchdir), (PG_SC_CLONE, .clone),
            (PG_SC_CLONE3, .clone3), (PG_SC_FORK, .fork), (PG_SC_VFORK, .vfork),
        ]
        for (c, swift) in syscalls { #expect(UInt16(c.rawValue) == swift.rawValue) }
        #expect(Int(PG_SC_MAX.rawValue) == SyscallID.allCases.count)
    }
}
