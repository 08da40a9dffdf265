#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Testing

/// 100,000 processes forked and reaped under the real probe: the process table, fed only by
/// the kernel's fork and exit records, ends where it started. With pid_max at 32768 here,
/// pids are reused several times over, so this is also the pid-reuse test.
///
/// The forks come from a small shell (`( : )` forks a subshell without exec), which is much
/// cheaper to fork than this test process.
@Suite(.serialized) struct ProcessChurnTests {
    @Test func tableStaysBoundedUnderChurn() throws {
        try kernelActivityLock.withLock { _ in try churn() }
    }

    private func churn() throws {
        var options = Probe.Options()
        options.selfPid = nil
        options.syscalls = [] // process lifecycle only
        let probe = try Probe(options: options)
        try probe.attach()
        defer { probe.close() }

        var table = ProcessTable(capacity: 1 << 16)
        for p in ProcScanner.scan() { table.insert(p) }
        let baseline = table.count
        var decoder = RecordDecoder()
        var largest = baseline
        var shellChildren: Set<UInt32> = []
        var forks = 0
        var shell: pid_t = 0
        func drain(_ wait: Int32) {
            probe.poll(timeoutMs: wait) { bytes in
                guard let e = decoder.decode(bytes) else { return }
                if e.kind == .fork && e.pid == UInt32(shell) {
                    shellChildren.insert(e.fork.childPid)
                    forks += 1
                }
                table.apply(e)
            }
            largest = max(largest, table.count)
        }

        let total = 100_000
        let words = ["sh", "-c", "i=0; while [ $i -lt \(total) ]; do ( : ); i=$((i+1)); done"]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        #expect(posix_spawn(&shell, "/bin/sh", nil, nil, &argv, environ) == 0)
        var status: Int32 = 0
        while waitpid(shell, &status, WNOHANG) == 0 { drain(10) }
        usleep(100_000)
        while probe.drain({ bytes in
            if let e = decoder.decode(bytes) {
                if e.kind == .fork && e.pid == UInt32(shell) { shellChildren.insert(e.fork.childPid); forks += 1 }
                table.apply(e)
            }
        }) > 0 {}

        let stats = probe.stats()
        #expect(status == 0)
        #expect(stats.lost == 0)
        #expect(decoder.totalRejected == 0)
        #expect(forks == total, "fork records of the shell: \(forks)")
        #expect(shellChildren.count < total, "pids were reused (\(shellChildren.count) distinct)")
        #expect(table.overflows == 0)
        // The shell and all its children are gone; a reused pid may belong to someone else.
        #expect(table[UInt32(shell)] == nil)
        #expect(!shellChildren.contains { table[$0]?.ppid == UInt32(shell) })
        // Other activity on the machine may add or remove a few processes meanwhile.
        #expect(abs(table.count - baseline) < 200, "table \(table.count) vs \(baseline) at start")
        #expect(largest < baseline + 1_000, "the table grew to \(largest) (baseline \(baseline))")
    }
}
