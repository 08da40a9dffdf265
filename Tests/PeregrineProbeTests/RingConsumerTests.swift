#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Testing

/// The ring buffer consumer (ring.c) maps the ring's data once, so a record that wraps around
/// the end is copied whole before it is handed on. A child shell, traced alone, opens missing
/// files whose names grow and shrink (records of varying length), numbered in order, while
/// the test consumes from a small ring: the positions go round it many times and records
/// straddle its end. Every record handed on must decode, carry the path it was made for, and
/// come in order; what was not received is exactly what the kernel counted lost.
@Suite struct RingConsumerTests {
    @Test func recordsThatWrapAroundTheEndArriveWholeAndInOrder() throws {
        let generated = 6_000
        let prefix = "/tmp/pg-ring-\(getpid())-"
        // Names of 1 to 23 characters besides the number: record sizes vary by 8-byte steps and less.
        let script = "exec 3>&2 2>/dev/null; echo ready >&3; read go; i=0; pad=x; while [ $i -lt \(generated) ]; do true < \(prefix)$i-$pad; i=$((i+1)); pad=${pad}x; [ ${#pad} -gt 23 ] && pad=x; done; echo done >&3; read stop"
        let shell = ScriptedShell(script)

        var options = Probe.Options()
        options.selfPid = nil
        options.onlyPid = UInt32(shell.pid)
        options.syscalls = [.openat]
        options.ringBufferBytes = 64 << 10
        options.wakeupBytes = 8 << 10
        let probe = try Probe(options: options)
        try probe.attach()
        defer { probe.close() }

        var numbers: [Int] = []
        var misfits: [String] = []
        var exits = 0
        var bytes = 0
        var decoder = RecordDecoder()
        let handle = { (record: UnsafeRawBufferPointer) in
            bytes += record.count
            guard let e = decoder.decode(record) else { return }
            if e.kind == .exit {
                exits += 1
                return
            }
            let raw = String(decoding: e.open.raw, as: UTF8.self)
            let parts = raw.dropFirst(prefix.count).split(separator: "-")
            if e.kind == .open, raw.hasPrefix(prefix), parts.count == 2, let n = Int(parts[0]),
               parts[1].count == n % 23 + 1, parts[1].allSatisfy({ $0 == "x" }) {
                numbers.append(n)
            } else if misfits.count < 5 {
                misfits.append("\(e.kind) \(raw)")
            }
        }

        shell.send("go")
        // Consume while the child generates, until it reports it is done.
        while !shell.hasReport() {
            probe.poll(timeoutMs: 5, handle)
        }
        #expect(shell.awaitReport()) // "done"
        shell.finish()
        probe.detach()
        while probe.drain(handle) > 0 {}

        let stats = probe.stats()
        #expect(misfits.isEmpty, "records that are not the loop's opens, or whose path is not what was opened: \(misfits)")
        #expect(decoder.totalRejected == 0)
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "records out of order or twice")
        #expect(stats.attempted == UInt64(generated + 1))
        #expect(UInt64(numbers.count + exits) + stats.lost == stats.attempted)
        // The test means nothing unless the positions went round the ring and records wrapped.
        #expect(bytes > 4 * (64 << 10), "only \(bytes) bytes received")
        #expect(probe.wrappedRecords > 0)
    }
}
