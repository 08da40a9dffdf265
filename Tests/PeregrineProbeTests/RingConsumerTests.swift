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
        var control: [Int32] = [0, 0]
        var report: [Int32] = [0, 0]
        #expect(pipe(&control) == 0 && pipe(&report) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, control[0], 0)
        posix_spawn_file_actions_adddup2(&actions, report[1], 2)
        let words: [String] = ["sh", "-c", script]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        #expect(posix_spawn(&child, "/bin/sh", &actions, nil, &argv, environ) == 0)
        close(control[0])
        close(report[1])
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(report[0], &buffer, buffer.count) > 0) // "ready"

        var options = Probe.Options()
        options.selfPid = nil
        options.onlyPid = UInt32(child)
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

        _ = write(control[1], "go\n", 3)
        // Consume while the child generates, until it reports it is done.
        var done = false
        while !done {
            probe.poll(timeoutMs: 5, handle)
            var ready = pollfd(fd: report[0], events: Int16(POLLIN), revents: 0)
            done = Glibc.poll(&ready, 1, 0) == 1
        }
        #expect(read(report[0], &buffer, buffer.count) > 0) // "done"
        _ = write(control[1], "stop\n", 5)
        close(control[1])
        close(report[0])
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
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
