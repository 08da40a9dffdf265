import Testing

@testable import PeregrineEvents

@Suite struct RecordDecoderTests {
    func openRecord(path: String = "/tmp/a", raw: String = "a", base: String = "", res: Int64 = 3, flags: UInt32 = 0o101) -> [UInt8] {
        var b = RecordWriter(kind: .open, syscall: .openat, timestampBootNs: 123_456, pid: 42, tid: 43, ppid: 7, uid: 1000, gid: 100, comm: "python3")
        b.put(res, at: WireLayout.Open.res)
        b.put(flags, at: WireLayout.Open.flags)
        b.put(UInt32(0o644), at: WireLayout.Open.mode)
        b.put(Int32(-100), at: WireLayout.Open.dirfd)
        b.put(UInt64(99), at: WireLayout.Open.ino)
        b.string(path, at: WireLayout.Open.path)
        b.string(raw, at: WireLayout.Open.raw)
        b.string(base, at: WireLayout.Open.base)
        return b.bytes()
    }

    @Test func decodesEveryHeaderAndOpenField() throws {
        var decoder = RecordDecoder()
        let record = openRecord()
        try record.withUnsafeBytes { raw in
            let decoded = decoder.decode(raw)
            let event = try #require(decoded)
            #expect(event.kind == .open)
            #expect(event.syscall == .openat)
            #expect(event.pid == 42)
            #expect(event.tid == 43)
            #expect(event.ppid == 7)
            #expect(event.uid == 1000)
            #expect(event.gid == 100)
            #expect(event.timestampBootNs == 123_456)
            #expect(String(decoding: event.comm, as: UTF8.self) == "python3")
            #expect(event.result == 3)
            #expect(event.open.flags == 0o101)
            #expect(event.open.mode == 0o644)
            #expect(event.open.dirfd == -100)
            #expect(event.open.ino == 99)
            #expect(String(decoding: event.open.path, as: UTF8.self) == "/tmp/a")
            #expect(String(decoding: event.open.raw, as: UTF8.self) == "a")
            #expect(event.open.base.count == 0)
        }
        #expect(decoder.accepted == 1)
        #expect(decoder.totalRejected == 0)
    }

    @Test func decodesExecWithArgv() throws {
        var b = RecordWriter(kind: .exec, syscall: .execve, pid: 5, comm: "echo")
        b.put(Int64(0), at: WireLayout.Exec.res)
        b.put(UInt32(2), at: WireLayout.Exec.argc)
        b.put(UInt32(4242), at: WireLayout.Exec.vpid)
        b.string("/usr/bin/echo", at: WireLayout.Exec.exe)
        b.string("/bin/echo", at: WireLayout.Exec.filename)
        b.arguments(["echo", "hello world"], at: WireLayout.Exec.args)
        b.string("/work", at: WireLayout.Exec.cwd)
        b.string("/kubepods.slice/cri-containerd-" + String(repeating: "ab", count: 32) + ".scope", at: WireLayout.Exec.cgroup)
        var decoder = RecordDecoder()
        try b.bytes().withUnsafeBytes { raw in
            let decoded = decoder.decode(raw)
            let event = try #require(decoded)
            #expect(event.exec.argc == 2)
            #expect(event.exec.vpid == 4242)
            #expect(ProcessTable.argv(event.exec.args) == ["echo", "hello world"])
            var table = ProcessTable()
            table.apply(event)
            let info = try #require(table[5])
            #expect(info.exePath == "/usr/bin/echo")
            #expect(info.cmdline == "echo hello world")
            #expect(info.cwd == "/work")
            #expect(info.containerID == "abababababab")
        }
    }

    @Test(arguments: [
        (cut: 10, reason: RecordDecoder.Rejection.shorterThanHeader),
        (cut: 70, reason: RecordDecoder.Rejection.sizeMismatch),
    ])
    func truncatedRecordsAreCountedNotCrashed(cut: Int, reason: RecordDecoder.Rejection) {
        var decoder = RecordDecoder()
        let record = openRecord()
        Array(record.prefix(cut)).withUnsafeBytes { raw in
            #expect(decoder.decode(raw) == nil)
        }
        #expect(decoder.rejected(reason) == 1)
        #expect(decoder.accepted == 0)
    }

    @Test func malformedRecordsAreCountedByReason() {
        var decoder = RecordDecoder()
        func feed(_ bytes: [UInt8]) { bytes.withUnsafeBytes { _ = decoder.decode($0) } }

        var unknownKind = openRecord()
        unknownKind[WireLayout.Header.kind] = 77
        feed(unknownKind)

        var shortBody = RecordWriter(kind: .open, syscall: .openat, pid: 100).bytes()
        shortBody = Array(shortBody.prefix(WireLayout.Header.byteCount + 8))
        shortBody[0] = UInt8(shortBody.count)
        feed(shortBody)

        var outOfBounds = openRecord()
        outOfBounds[WireLayout.Open.raw + 2] = 0xFF // len points past the end
        feed(outOfBounds)

        var beforeBody = openRecord()
        beforeBody[WireLayout.Open.path] = 8 // offset inside the fixed part
        feed(beforeBody)

        var wrongSyscall = openRecord()
        wrongSyscall[WireLayout.Header.syscall] = UInt8(SyscallID.mount.rawValue)
        feed(wrongSyscall)

        var sizeTooBig = openRecord()
        sizeTooBig[1] = 0x40
        feed(sizeTooBig)

        #expect(decoder.rejected(.unknownKind) == 1)
        #expect(decoder.rejected(.shorterThanBody) == 1)
        #expect(decoder.rejected(.stringOutOfBounds) == 2)
        #expect(decoder.rejected(.syscallKindMismatch) == 1)
        #expect(decoder.rejected(.sizeMismatch) == 1)
        #expect(decoder.accepted == 0)
    }

    /// Every prefix and every single-byte corruption of valid records: never a crash, and
    /// every record is either accepted or counted.
    @Test func mutatedRecordsNeverCrash() {
        var decoder = RecordDecoder()
        var fed: UInt64 = 0
        var rng = SplitMix(seed: 7)
        let seeds = [openRecord(), openRecord(path: "", raw: "../x", base: "/home/u")]
        for seed in seeds {
            for cut in 0...seed.count {
                Array(seed.prefix(cut)).withUnsafeBytes { raw in
                    if let e = decoder.decode(raw) { touch(e) }
                }
                fed += 1
            }
            for _ in 0..<5000 {
                var m = seed
                let i = Int(rng.next() % UInt64(m.count))
                m[i] = UInt8(truncatingIfNeeded: rng.next())
                m.withUnsafeBytes { raw in
                    if let e = decoder.decode(raw) { touch(e) }
                }
                fed += 1
            }
        }
        #expect(decoder.accepted + decoder.totalRejected == fed)
        #expect(decoder.totalRejected > 0)
    }

    /// Reads every accessor, so out-of-bounds reads would trap.
    func touch(_ e: EventView) {
        var json = EventJSON(bootToEpochNs: 0)
        var table = ProcessTable()
        table.apply(e)
        _ = json.render(e, number: 1, processes: table)
    }

    @Test func renderEscapesHostileNames() throws {
        let record = openRecord(path: "/tmp/\"quoted\"\n\u{1}x", raw: "x")
        var decoder = RecordDecoder()
        var json = EventJSON(bootToEpochNs: 0)
        try record.withUnsafeBytes { raw in
            let decoded = decoder.decode(raw)
            let event = try #require(decoded)
            let line = String(decoding: json.render(event, number: 1, processes: ProcessTable()), as: UTF8.self)
            #expect(line.contains(#""fd.name":"/tmp/\"quoted\"\n\u0001x""#))
            #expect(line.hasSuffix("}\n"))
            #expect(line.filter { $0 == "\n" }.count == 1)
        }
    }

    @Test func failedRelativeOpenIsMadeAbsolute() throws {
        let record = openRecord(path: "", raw: "../etc/./shadow", base: "/home/user", res: -13)
        var decoder = RecordDecoder()
        var json = EventJSON(bootToEpochNs: 0)
        try record.withUnsafeBytes { raw in
            let decoded = decoder.decode(raw)
            let event = try #require(decoded)
            let line = String(decoding: json.render(event, number: 1, processes: ProcessTable()), as: UTF8.self)
            #expect(line.contains(#""fd.name":"/home/etc/shadow""#))
            #expect(line.contains(#""evt.res":"EACCES""#))
            #expect(line.contains(#""fd.nameraw":"../etc/./shadow""#))
        }
    }
}

/// Deterministic pseudo-random numbers for mutation tests.
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
