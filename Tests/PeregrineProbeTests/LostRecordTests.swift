#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineProbe
import Synchronization
import Testing

/// Overflows a deliberately small ring buffer and checks that the kernel's loss counter
/// accounts for every record exactly: generated − received = reported lost.
@Suite(.serialized) struct LostRecordTests {
    @Test func everyRecordIsReceivedOrCountedLost() throws {
        try kernelActivityLock.withLock { _ in try overflowAndCount() }
    }

    private func overflowAndCount() throws {
        var options = Probe.Options()
        options.selfPid = nil
        options.onlyPid = UInt32(getpid())
        options.syscalls = [.openat]
        options.ringBufferBytes = 64 << 10
        options.wakeupBytes = UInt64.max // nobody consumes while we generate
        let probe = try Probe(options: options)
        try probe.attach()
        defer { probe.close() }

        let path = "/tmp/pg-lost-\(getpid())-does-not-exist"
        let generated = 20_000
        for _ in 0..<generated { _ = open(path, O_RDONLY) }
        probe.detach()

        var received = 0
        var ours = 0
        var decoder = RecordDecoder()
        while probe.drain({ bytes in
            received += 1
            if let e = decoder.decode(bytes), e.kind == .open, String(decoding: e.open.raw, as: UTF8.self) == path {
                ours += 1
            }
        }) > 0 {}
        let stats = probe.stats()
        #expect(stats.lost > 0, "a 64 KiB ring buffer cannot hold \(generated) records")
        #expect(ours > 0)
        #expect(stats.attempted == UInt64(received) + stats.lost)
        // Only this process is traced and only openat, so every attempt is one of ours.
        #expect(stats.attempted == UInt64(generated))
        #expect(UInt64(generated - ours) == stats.lost)
        #expect(decoder.totalRejected == 0)
    }
}
