#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Testing

/// Overflows a deliberately small ring buffer and checks that the kernel's loss counter
/// accounts for every record exactly: generated − received = reported lost.
///
/// The load comes from a child shell, traced alone, so that nothing else (other tests in
/// this process) adds records: it says when its own start-up is over (the loader's and the
/// redirection's opens must not be traced), waits on a pipe until the probe is set up, opens
/// a missing file N times, then waits again until it is told to exit. It exits while the
/// probe is attached, and the test has reaped it before detaching, so its exit record is
/// always one of the records: detaching first let the exit race the detach, because a link
/// is released only when the last reference to its fd goes, and a child that another test
/// was spawning at that moment could still hold one until its exec (CI once counted 20,001).
@Suite(.serialized) struct LostRecordTests {
    @Test func everyRecordIsReceivedOrCountedLost() throws {
        let generated = 20_000
        let path = "/tmp/pg-lost-\(getpid())-does-not-exist"
        // stderr goes to /dev/null before "ready" (opening it later would be one more record).
        let script = "exec 3>&2 2>/dev/null; echo ready >&3; read go; i=0; while [ $i -lt \(generated) ]; do true < \(path); i=$((i+1)); done; echo done >&3; read stop"
        let shell = ScriptedShell(script)

        var options = Probe.Options()
        options.selfPid = nil
        options.onlyPid = UInt32(shell.pid)
        options.syscalls = [.openat]
        options.ringBufferBytes = 64 << 10
        options.wakeupBytes = UInt64.max // nobody consumes while the child generates
        let probe = try Probe(options: options)
        try probe.attach()
        defer { probe.close() }

        shell.send("go")
        #expect(shell.awaitReport()) // "done": the loop has finished
        shell.finish()
        probe.detach()

        var received = 0
        var ours = 0
        var exits = 0
        // Records that are neither the loop's opens nor the shell's exit, described, so that a
        // count that is off says what the extra record was.
        var others: [String] = []
        var decoder = RecordDecoder()
        while probe.drain({ bytes in
            received += 1
            guard let e = decoder.decode(bytes) else { return }
            if e.kind == .open, String(decoding: e.open.raw, as: UTF8.self) == path {
                ours += 1
            } else if e.kind == .exit, e.pid == UInt32(shell.pid) {
                exits += 1
            } else if others.count < 8 {
                var line = "\(e.kind) \(e.syscall) pid=\(e.pid) tid=\(e.tid) comm=\(String(decoding: e.comm, as: UTF8.self))"
                if e.kind == .open { line += " path=\(String(decoding: e.open.raw, as: UTF8.self)) res=\(e.open.res)" }
                others.append(line)
            }
        }) > 0 {}
        let stats = probe.stats()
        #expect(stats.lost > 0, "a 64 KiB ring buffer cannot hold \(generated) records")
        #expect(ours > 0)
        #expect(stats.attempted == UInt64(received) + stats.lost)
        // Only the child is traced: its openat calls after go, and its exit. (`true`, not `:`:
        // a failed redirection on a special builtin would end the shell.)
        #expect(stats.attempted == UInt64(generated + 1), "records besides the loop's opens and the exit: \(others)")
        #expect(UInt64(generated + 1 - ours - exits) == stats.lost, "records besides the loop's opens and the exit: \(others)")
        #expect(exits <= 1)
        #expect(decoder.totalRejected == 0)
    }
}
