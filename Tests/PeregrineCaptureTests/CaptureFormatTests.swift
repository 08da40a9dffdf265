#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import Testing

@testable import PeregrineCapture

@Suite struct CaptureFormatTests {
    static func records(_ n: Int) -> [[UInt8]] {
        (0..<n).map { i in
            var w = RecordWriter(kind: .open, syscall: .openat, timestampBootNs: UInt64(1000 + i), pid: UInt32(100 + i % 7),
                                 ppid: 1, uid: 1000, comm: "python3")
            w.put(Int64(i % 5 == 0 ? -2 : 3), at: WireLayout.Open.res)
            w.put(UInt32(0o101), at: WireLayout.Open.flags)
            w.string("/data/model-\(i).pt", at: WireLayout.Open.path)
            w.string("model-\(i).pt", at: WireLayout.Open.raw)
            return w.bytes()
        }
    }

    /// Writes a capture of `records` with the given block size and returns its bytes.
    static func capture(_ records: [[UInt8]], processes: [ProcessInfo] = [], closed: Bool = true,
                        level: Int32 = 1) -> [UInt8] {
        var out = CaptureWriter.header(bootToEpochNs: 42, metadata: [("hostname", "node-1")])
        out += CaptureWriter.processSnapshot(processes)
        var writer = CaptureWriter(compressionLevel: level)
        for (i, r) in records.enumerated() {
            if let block = r.withUnsafeBytes({ writer.append($0) }) { out += block }
            if i % 100 == 99, let block = writer.flush() { out += block } // several blocks
        }
        if let block = writer.flush() { out += block }
        if closed { out += CaptureWriter.end(events: writer.recordsWritten, kernelAttempted: 9, kernelLost: 1) }
        return out
    }

    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = "/tmp/pg-capture-test-\(getpid())-\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        bytes.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }

    struct Outcome {
        var records: [[UInt8]] = []
        var numbers: [UInt64] = []
        var processes: [ProcessInfo] = []
        var summary: CaptureReader.Summary?
        var error: CaptureError?
    }

    static func readAll(_ path: String) -> Outcome {
        var o = Outcome()
        do {
            let reader = try CaptureReader(path: path)
            o.summary = try reader.read(processes: { o.processes += $0 }, record: { n, b in
                o.numbers.append(n)
                o.records.append(Array(b))
            })
        } catch let e as CaptureError {
            o.error = e
        } catch {
            Issue.record("unexpected error type \(error)")
        }
        return o
    }

    @Test func roundTripKeepsRecordsVerbatimAndNumbered() throws {
        let recs = Self.records(450)
        let procs = [ProcessInfo(pid: 1, ppid: 0, name: "init", exePath: "/sbin/init", args: ["/sbin/init", "splash"], cwd: "/",
                                 cgroup: "/init.scope", startBootNs: 5)]
        let path = Self.write(Self.capture(recs, processes: procs), name: "roundtrip")
        defer { unlink(path) }
        let reader = try CaptureReader(path: path)
        #expect(reader.header.bootToEpochNs == 42)
        #expect(reader.header.metadata.first?.1 == "node-1")
        let o = Self.readAll(path)
        #expect(o.error == nil)
        #expect(o.records == recs)
        #expect(o.numbers == Array(1...450))
        #expect(o.processes == procs)
        #expect(o.summary?.closedCleanly == true)
        #expect(o.summary?.kernelLost == 1)
    }

    /// `capture --level`: every level reads back the same records; 0 stores the blocks (larger
    /// than level 1's), 12 compresses most.
    @Test(arguments: [Int32(0), 6, 12])
    func everyCompressionLevelReadsBack(level: Int32) throws {
        let recs = Self.records(450)
        let bytes = Self.capture(recs, level: level)
        let path = Self.write(bytes, name: "level\(level)")
        defer { unlink(path) }
        let o = Self.readAll(path)
        #expect(o.error == nil)
        #expect(o.records == recs)
        let fast = Self.capture(recs).count
        if level == 0 { #expect(bytes.count > fast) } else { #expect(bytes.count <= fast) }
    }

    @Test func tornLastBlockIsReportedAfterEveryCompleteBlock() throws {
        let recs = Self.records(350)
        let full = Self.capture(recs, closed: false)
        // Cut inside the last events block: the complete blocks before it are all delivered.
        let path = Self.write(Array(full.dropLast(10)), name: "torn")
        defer { unlink(path) }
        let o = Self.readAll(path)
        let error = try #require(o.error)
        #expect(error.message.contains("cut short"))
        #expect(error.file == path)
        #expect(o.records == Array(recs.prefix(300)))
    }

    @Test func cleanCutWithoutEndBlockIsReadable() {
        let recs = Self.records(120)
        let path = Self.write(Self.capture(recs, closed: false), name: "noend")
        defer { unlink(path) }
        let o = Self.readAll(path)
        #expect(o.error == nil)
        #expect(o.records.count == 120)
        #expect(o.summary?.closedCleanly == false)
    }

    @Test(arguments: [
        (offset: 8 + 0, value: UInt8(ascii: "X"), expect: "magic"),
        (offset: 4, value: UInt8(0xFF), expect: "checksum"),
    ])
    func damagedHeaderIsNamed(offset: Int, value: UInt8, expect: String) {
        var bytes = Self.capture(Self.records(3))
        bytes[offset] = value
        if offset == 4 { bytes[5] = 0; bytes[6] = 0; bytes[7] = 0 } // a length that breaks the checksum, not the bound
        let path = Self.write(bytes, name: "hdr\(offset)")
        defer { unlink(path) }
        let o = Self.readAll(path)
        #expect(o.error != nil)
        #expect(o.records.isEmpty)
    }

    @Test func gigabyteBlockLengthIsRejectedWithoutAllocating() {
        var bytes = Self.capture(Self.records(3))
        let headerLength = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) })
        // The snapshot block's length field, claiming 3 GiB.
        let at = headerLength + 4
        bytes[at] = 0; bytes[at + 1] = 0; bytes[at + 2] = 0; bytes[at + 3] = 0xC0
        let path = Self.write(bytes, name: "huge")
        defer { unlink(path) }
        let o = Self.readAll(path)
        #expect(o.error?.offset == at)
        #expect(o.error?.message.contains("outside") == true)
    }

    @Test func unknownBlockTypeIsAnError() {
        var bytes = Self.capture(Self.records(3))
        bytes += CaptureWriter.block(.end, [])
        // Re-tag the appended block with an unknown type and fix its checksum.
        let start = bytes.count - 12
        var blk = Array(bytes[start...])
        blk[0] = 0x51
        let crc = Array(blk[0..<8]).withUnsafeBytes { Zlib.crc32($0) }
        withUnsafeBytes(of: crc.littleEndian) { for (i, b) in $0.enumerated() { blk[8 + i] = b } }
        bytes = Array(bytes[..<start]) + blk
        let path = Self.write(bytes, name: "unknown")
        defer { unlink(path) }
        let o = Self.readAll(path)
        #expect(o.error != nil)
        #expect(o.records.count == 3)
    }

    /// Thousands of truncations and byte flips of a real capture: each is read or rejected
    /// with an error, never a crash, and records before the damage are delivered.
    @Test func mutatedCapturesNeverCrash() {
        let base = Self.capture(Self.records(250))
        var rng = SplitMix(seed: 99)
        var readOK = 0, rejected = 0
        let path = "/tmp/pg-capture-fuzz-\(getpid())"
        defer { unlink(path) }
        for i in 0..<3000 {
            var m = base
            if i % 3 == 0 {
                m = Array(m.prefix(Int(rng.next() % UInt64(m.count))))
            } else {
                for _ in 0...(rng.next() % 4) {
                    let at = Int(rng.next() % UInt64(m.count))
                    m[at] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            _ = Self.write(m, name: "fuzz")
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            m.withUnsafeBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
            let o = Self.readAll(path)
            if o.error == nil { readOK += 1 } else { rejected += 1 }
            for r in o.records { #expect(r.count >= WireLayout.Header.byteCount) }
        }
        unlink("/tmp/pg-capture-test-\(getpid())-fuzz")
        #expect(readOK + rejected == 3000)
        #expect(rejected > 2000)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
