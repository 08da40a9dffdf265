#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Synchronization
import Testing

/// The sys_exit program runs on every syscall of every process, so it is attached only
/// while a selected syscall needs it; exec, fork and exit keep flowing without it.
@Suite(.serialized) struct SysExitSelectionTests {
    @Test func lifecycleOnlySelectionLeavesSysExitDetached() throws {
        try kernelActivityLock.withLock { _ in try lifecycleOnly() }
    }

    private func lifecycleOnly() throws {
        var options = Probe.Options()
        options.selfPid = nil
        options.syscalls = []
        options.failedExecs = false
        let probe = try Probe(options: options)
        defer { probe.close() }
        try probe.attach()
        #expect(!probe.sysExitAttached)

        let missing = "/tmp/pg-sysexit-\(getpid())-missing"
        func opensOfMissing(_ records: [Record]) -> Int {
            records.filter { $0.kind == .open && $0.string({ $0.open.raw }) == missing }.count
        }

        _ = open(missing, O_RDONLY)
        let child = try spawnAndWait("/bin/true", ["true", "pg-sysexit-marker"]).pid
        var records = drainAll(probe)
        #expect(records.contains { $0.kind == .exec && $0.pid == UInt32(child) })
        #expect(opensOfMissing(records) == 0)

        // A rule reload that needs opens attaches it, and opens flow.
        try probe.select([.openat])
        #expect(probe.sysExitAttached)
        _ = open(missing, O_RDONLY)
        records = drainAll(probe)
        #expect(opensOfMissing(records) == 1)

        // And back.
        try probe.select([])
        #expect(!probe.sysExitAttached)
        _ = open(missing, O_RDONLY)
        records = drainAll(probe)
        #expect(opensOfMissing(records) == 0)
    }

    @Test func failedExecsAttachSysExitOnlyWhenExecsAreSelected() throws {
        try kernelActivityLock.withLock { _ in try failedExecsFollowTheSelection() }
    }

    /// Failed execs are reported by default, but only sys_exit sees them: it is attached for
    /// them when execve or execveat is selected (rules on `evt.type = execve` match failed
    /// ones too, as in Falco), and not for a selection without execs.
    private func failedExecsFollowTheSelection() throws {
        var options = Probe.Options()
        options.selfPid = nil
        options.syscalls = []
        let probe = try Probe(options: options)
        defer { probe.close() }
        try probe.attach()
        #expect(!probe.sysExitAttached, "nothing selected needs sys_exit")

        let missing = "/tmp/pg-sysexit-\(getpid())-missing-exe"
        func failedExecs(_ records: [Record]) -> Int {
            records.filter { $0.kind == .exec && ($0.result ?? 0) < 0 && $0.string({ $0.exec.filename }) == missing }.count
        }
        func failToExec() {
            let words = [missing]
            var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { for p in argv { free(p) } }
            var child: pid_t = 0
            // posix_spawn reports the child's failed execve; the child exits 127.
            _ = posix_spawn(&child, missing, nil, nil, &argv, environ)
            var status: Int32 = 0
            if child > 0 { waitpid(child, &status, 0) }
        }

        failToExec()
        #expect(failedExecs(drainAll(probe)) == 0)

        try probe.select([.execve])
        #expect(probe.sysExitAttached)
        failToExec()
        #expect(failedExecs(drainAll(probe)) == 1)

        try probe.select([])
        #expect(!probe.sysExitAttached)
        failToExec()
        #expect(failedExecs(drainAll(probe)) == 0)
    }
}

private func drainAll(_ probe: Probe) -> [Record] {
    var records: [Record] = []
    var decoder = RecordDecoder()
    while probe.drain({ bytes in
        if decoder.decode(bytes) != nil { records.append(Record(bytes: Array(bytes))) }
    }) > 0 {}
    return records
}
