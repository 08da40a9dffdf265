#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Testing

/// The probe's wake-up rule: records are queued without waking the consumer, which is woken
/// when the backlog crosses `wakeupBytes` (and otherwise finds records on its poll timer).
///
/// A child shell, traced alone (as in `LostRecordTests`), first opens a missing file a few
/// times: far below the mark, so no wake-up may happen. Then it opens it 20,000 times
/// (megabytes of records, many times the mark) while the test waits in `poll` with a timeout
/// far longer than the load takes: without wake-ups a poll that finds the ring empty sleeps
/// until its timeout, so every poll must return with records instead. And the consumer must
/// not be woken per record: the wake-ups are bounded by the crossings the load can make.
@Suite struct WakeUpTests {
    @Test func consumerIsWokenAtTheMarkAndNotPerRecord() throws {
        let few = 10, many = 20_000
        let path = "/tmp/pg-wakeup-\(getpid())-does-not-exist"
        let loop = { (n: Int) in "i=0; while [ $i -lt \(n) ]; do true < \(path); i=$((i+1)); done" }
        let script = "exec 3>&2 2>/dev/null; echo ready >&3; read go; \(loop(few)); echo few >&3; read go; \(loop(many)); echo many >&3; read stop"
        let shell = ScriptedShell(script)

        var options = Probe.Options()
        options.selfPid = nil
        options.onlyPid = UInt32(shell.pid)
        options.syscalls = [.openat]
        let mark = options.wakeupBytes
        let probe = try Probe(options: options)
        try probe.attach()
        defer { probe.close() }

        var opens = 0
        var bytes = 0
        var decoder = RecordDecoder()
        let handle = { (record: UnsafeRawBufferPointer) in
            bytes += record.count
            if let e = decoder.decode(record), e.kind == .open, String(decoding: e.open.raw, as: UTF8.self) == path {
                opens += 1
            }
        }

        // A few records: queued, no wake-up.
        shell.send("go")
        #expect(shell.awaitReport()) // "few"
        while probe.drain(handle) > 0 {}
        #expect(opens == few)
        #expect(probe.stats().wakeups == 0, "\(bytes) bytes pending is below the mark (\(mark) bytes)")

        // Many: every poll must be ended by a wake-up, not by its timeout.
        shell.send("go")
        var timedOut = 0
        while opens < few + many / 2 && timedOut == 0 {
            if probe.poll(timeoutMs: 30_000, handle) == 0 { timedOut += 1 }
        }
        #expect(timedOut == 0, "a poll slept through records being queued: \(opens - few) of \(many) received")
        #expect(shell.awaitReport()) // "many"
        shell.finish()
        probe.detach()
        while probe.drain(handle) > 0 {}

        let stats = probe.stats()
        #expect(opens == few + many)
        #expect(stats.lost == 0)
        // Each crossing of the mark wakes the consumer once per CPU at most, and the backlog
        // can cross it at most once per `mark` bytes queued (plus the first time).
        let cpus = UInt64(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        let crossings = UInt64(bytes) / mark + 1
        #expect(stats.wakeups >= 1)
        #expect(stats.wakeups <= cpus * crossings, "\(stats.wakeups) wake-ups for \(bytes) bytes over a \(mark)-byte mark")
        #expect(decoder.totalRejected == 0)
    }
}
