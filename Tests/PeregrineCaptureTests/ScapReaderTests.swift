import PeregrineCapture
import PeregrineEvents
import Testing

/// Blocks, versions and errors of the `.scap` reader, on the real captures and on small
/// files written by `ScapFileBuilder`.
@Suite struct ScapReaderTests {
    // MARK: real captures

    /// Events per capture (every event block, counted independently of this reader).
    static let eventTotals: [String: UInt64] = [
        "falco-0.34.1_empty.scap": 143, "falco_cat_write.scap": 345, "falco_connect_localhost.scap": 374,
        "falco_empty.scap": 83, "falco_open-multiple-files.scap": 1272, "falco_ping_sendto.scap": 1526,
        "falco_psp_privileged.scap": 2059, "falco_psp_run_as_user_0_container.scap": 4143,
        "falco_psp_run_as_user_65534_container.scap": 241, "falco_psp_write_tmp_test.scap": 229,
        "falco_syscall.scap": 368, "libs_e2e_curl_google.scap": 1536, "libs_e2e_curl_google_comments.scap": 1536,
        "libs_e2e_single_ipv6_conn.scap": 1728, "libs_e2e_test_ipv6_client.scap": 326, "libs_sample.scap": 572,
        "sysdig-inspect_502Error.scap": 22381,
    ]

    @Test(arguments: ScapTestSupport.captureFiles())
    func readsEveryRealCapture(_ name: String) throws {
        let (reader, records, error) = try ScapTestSupport.read(name)
        #expect(error == nil, "\(error.map(String.init(describing:)) ?? "")")
        #expect(reader.eventCount == Self.eventTotals[name])
        #expect(reader.section.major == 1)
        #expect(!reader.section.bigEndian)
        #expect(!reader.initialThreads.isEmpty)
        #expect(!reader.initialProcesses.isEmpty)
        #expect(reader.machine != nil)
        #expect(reader.skippedBlocks.isEmpty)
        // Numbers strictly increase and stay within the file's events.
        var last: UInt64 = 0
        for r in records {
            #expect(r.number > last && r.number <= reader.eventCount)
            last = r.number
        }
        // Every record decodes.
        var decoder = RecordDecoder()
        for r in records {
            let ok = r.record.withUnsafeBytes { decoder.decode($0) != nil }
            #expect(ok, "record \(r.number) of \(name) does not decode")
        }
        // Untranslated events are counted by name.
        let skipped = reader.skippedEvents.values.reduce(0, +)
        #expect(skipped > 0)
    }

    @Test func sysdig029LimitLeavesNewerEventTypesUnnumbered() throws {
        let all = try ScapTestSupport.read("libs_sample.scap")
        let limited = try ScapTestSupport.read("libs_sample.scap", options: .init(eventTypeLimit: ScapReader.sysdig029EventTypeLimit))
        #expect(all.reader.eventCount == 572)
        #expect(limited.reader.unnumberedEvents > 0)
        #expect(limited.reader.eventCount + UInt64(limited.reader.unnumberedEvents) == 572)
    }

    @Test func knownRecordsOfCatWrite() throws {
        let (reader, records, _) = try ScapTestSupport.read("falco_cat_write.scap")
        let lines = ScapTestSupport.lines(reader: reader, records: records)
        #expect(lines.first == "131 execve cat 20072 <NA>")
        #expect(lines.contains("197 open cat 20072 /dev/null"))
        #expect(reader.skippedEvents["mmap", default: 0] > 0)
        #expect(reader.skippedEvents["procinfo", default: 0] > 0)
        // User and group lists, machine info.
        #expect(reader.users[0] == "root")
        #expect(reader.groups[0] == "root")
        #expect(reader.machine?.cpuCount ?? 0 > 0)
        #expect(reader.machine?.hostname.isEmpty == false)
        // The exec record carries the new image and the caller's identity.
        var decoder = RecordDecoder()
        let exec = try #require(records.first)
        try exec.record.withUnsafeBytes { raw in
            let decoded = decoder.decode(raw)
            let view = try #require(decoded)
            #expect(view.kind == .exec)
            #expect(view.pid == 20072)
            #expect(String(decoding: view.comm, as: UTF8.self) == "cat")
            #expect(view.result == 0)
            #expect(ProcessTable.argv(view.exec.args).first == "cat")
            #expect(view.timestampBootNs > 1_400_000_000_000_000_000)  // epoch ns
        }
    }

    @Test func rendersAsEventJSON() throws {
        let (reader, records, _) = try ScapTestSupport.read("falco_open-multiple-files.scap")
        var table = ProcessTable()
        for p in reader.initialProcesses { table.insert(p) }
        var json = EventJSON(bootToEpochNs: reader.bootToEpochNs)
        var decoder = RecordDecoder()
        var rendered: [String] = []
        for r in records {
            r.record.withUnsafeBytes { raw in
                guard let view = decoder.decode(raw) else { return }
                table.apply(view)
                rendered.append(String(decoding: json.render(view, number: r.number, processes: table), as: UTF8.self))
            }
        }
        let first = try #require(rendered.first)
        #expect(first.contains("\"evt.num\":1098"))
        #expect(first.contains("\"fd.name\":\"/tmp/file-1\""))
        #expect(first.contains("\"proc.name\":\"python\""))
        #expect(first.contains("\"evt.arg.flags\":\"O_RDONLY\""), "\(first)")
    }

    @Test func plainAndGzipGiveTheSameRecords() throws {
        // Recompressing is not available here; instead read a gzip capture from bytes and
        // from its inflated bytes.
        let bytes = try #require(ScapTestSupport.readBytes(ScapTestSupport.path("falco_cat_write.scap")))
        #expect(Zlib.isGzip(bytes))
        let inflated = Zlib.gunzip(bytes, limit: 1 << 30)
        #expect(inflated.failure == nil)
        var a = try ScapReader(bytes: bytes, fileName: "gz")
        var b = try ScapReader(bytes: inflated.bytes, fileName: "plain")
        #expect(a.readAll().records == b.readAll().records)
    }

    // MARK: errors

    func expectError(_ bytes: [UInt8], _ code: ScapError.Code, offset: Int? = nil, containing text: String? = nil,
                     options: ScapReader.Options = .init(), sourceLocation: SourceLocation = #_sourceLocation) -> [ScapRecord] {
        var records: [ScapRecord] = []
        var caught: ScapError?
        do {
            var reader = try ScapReader(bytes: bytes, fileName: "test.scap", options: options)
            let result = reader.readAll()
            records = result.records
            caught = result.error
        } catch let e as ScapError {
            caught = e
        } catch {
            Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
        }
        guard let caught else {
            Issue.record("expected a \(code) error", sourceLocation: sourceLocation)
            return records
        }
        #expect(caught.code == code, "\(caught)", sourceLocation: sourceLocation)
        #expect(caught.file == "test.scap", sourceLocation: sourceLocation)
        #expect(caught.description.hasPrefix("test.scap: byte "), sourceLocation: sourceLocation)
        if let offset { #expect(caught.offset == offset, "\(caught)", sourceLocation: sourceLocation) }
        if let text { #expect(caught.message.contains(text), "\(caught)", sourceLocation: sourceLocation) }
        return records
    }

    func sample() -> ScapFileBuilder {
        var b = ScapFileBuilder()
        b.processList([.init(tid: 100, pid: 100, ptid: 1, comm: "bash", exe: "/bin/bash", cwd: "/home/u")])
        b.openExit(tid: 100, fd: 3, name: "/etc/passwd", ppmFlags: 1)
        b.openExit(tid: 100, fd: 4, name: "notes.txt", ppmFlags: 2 | 4)
        return b
    }

    @Test func wrongMagic() {
        _ = expectError(Array("hello, this is not a capture file at all".utf8), .notScap, offset: 0, containing: "section header")
        var bytes = sample().bytes
        bytes[8] ^= 0xff  // byte-order magic
        _ = expectError(bytes, .notScap, offset: 8, containing: "magic")
        _ = expectError([], .truncated, offset: 0)
    }

    @Test func unknownMajorVersion() {
        _ = expectError(ScapFileBuilder(major: 2).bytes, .unsupportedVersion, containing: "major version 2")
    }

    @Test func bigEndianSectionsReadLikeLittleEndian() throws {
        func build(_ bigEndian: Bool) -> [UInt8] {
            var b = ScapFileBuilder(bigEndian: bigEndian)
            b.processList([.init(tid: 100, pid: 100, ptid: 1, comm: "bash", exe: "/bin/bash", cwd: "/home/u")])
            b.openExit(tid: 100, fd: 3, name: "a/../b.txt", ppmFlags: 1)
            return b.bytes
        }
        var little = try ScapReader(bytes: build(false))
        var big = try ScapReader(bytes: build(true))
        #expect(big.section.bigEndian)
        let l = little.readAll()
        let b = big.readAll()
        #expect(b.error == nil)
        #expect(l.records.count == 1)
        #expect(l.records == b.records)
        #expect(big.initialProcesses == little.initialProcesses)
    }

    @Test func sectionHeaderOptionsAreSkipped() throws {
        var b = ScapFileBuilder(sectionOptions: [1, 0, 4, 0, 0x61, 0x62, 0x63, 0x64, 0, 0, 0, 0])
        b.openExit(tid: 7, fd: 3, name: "/x", ppmFlags: 1)
        var reader = try ScapReader(bytes: b.bytes)
        #expect(reader.readAll().records.count == 1)
    }

    @Test func unknownBlocksAreSkippedAndCounted() throws {
        var b = ScapFileBuilder()
        b.block(0x9999, [1, 2, 3, 4, 5])
        b.openExit(tid: 7, fd: 3, name: "/x", ppmFlags: 1)
        b.block(0x9999, [])
        b.openExit(tid: 7, fd: 4, name: "/y", ppmFlags: 1)
        var reader = try ScapReader(bytes: b.bytes)
        let result = reader.readAll()
        #expect(result.error == nil)
        #expect(result.records.map(\.number) == [2, 4])
        #expect(reader.skippedBlocks[0x9999] == 2)
    }

    @Test func blockLengths() {
        let good = sample().bytes
        // Find the offset of the last block by walking.
        var offsets: [Int] = []
        var o = 0
        while o < good.count {
            offsets.append(o)
            o += Int(UInt32(good[o + 4]) | UInt32(good[o + 5]) << 8 | UInt32(good[o + 6]) << 16 | UInt32(good[o + 7]) << 24)
        }
        let last = offsets.last!
        func withLength(_ length: UInt32) -> [UInt8] {
            var bytes = good
            withUnsafeBytes(of: length.littleEndian) { for i in 0..<4 { bytes[last + 4 + i] = $0[i] } }
            return bytes
        }
        // Too small.
        var records = expectError(withLength(8), .badBlockLength, offset: last + 4, containing: "minimum")
        #expect(records.count == 1)
        // Gigabytes.
        records = expectError(withLength(3 << 30), .badBlockLength, offset: last + 4, containing: "limit")
        #expect(records.count == 1)
        // Past the end.
        records = expectError(withLength(UInt32(good.count - last + 8)), .truncated, offset: last + 4, containing: "past the end")
        #expect(records.count == 1)
        // Trailer disagrees.
        var bytes = good
        bytes[bytes.count - 1] ^= 0x40
        records = expectError(bytes, .trailerMismatch, offset: good.count - 4)
        #expect(records.count == 1)
        // Truncated inside the last block: the first open still comes out.
        records = expectError(Array(good.prefix(good.count - 3)), .truncated)
        #expect(records.count == 1)
    }

    @Test func malformedParameterLengths() {
        var b = sample()
        b.event(3, tid: 100, [b.int64(5), b.str("/etc/hosts"), b.uint32(1), b.uint32(0), b.uint32(0)], lengthOverride: [1: 4000])
        let records = expectError(b.bytes, .malformedEvent, containing: "parameter 1 length 4000")
        #expect(records.count == 2)

        var c = sample()
        var body: [UInt8] = [0, 0]
        body += c.encode(UInt64(1)) + c.encode(Int64(100)) + c.encode(UInt32(26)) + c.encode(UInt16(3)) + c.encode(UInt32(0x7fff_ffff))
        c.block(0x216, body)
        _ = expectError(c.bytes, .malformedEvent, containing: "parameter count")

        var d = sample()
        var short: [UInt8] = [0, 0]
        short += d.encode(UInt64(1)) + d.encode(Int64(100)) + d.encode(UInt32(5000)) + d.encode(UInt16(3)) + d.encode(UInt32(0))
        d.block(0x216, short)
        _ = expectError(d.bytes, .malformedEvent, containing: "event length 5000")
    }

    @Test func gzipDamageAndSizeCap() throws {
        let name = "libs_e2e_curl_google.scap"
        let bytes = try #require(ScapTestSupport.readBytes(ScapTestSupport.path(name)))
        #expect(Zlib.isGzip(bytes))
        // Truncated compressed stream: the valid prefix is read, then a decompression error.
        let full = try ScapTestSupport.read(name)
        let records = expectError(Array(bytes.prefix(bytes.count * 9 / 10)), .decompression, containing: "truncated")
        #expect(records.count > 10)
        #expect(Array(full.records.prefix(records.count)) == records)
        // Decompressed size cap.
        _ = expectError(bytes, .decompression, containing: "limit", options: .init(maxDecompressedBytes: 100_000))
        // Corrupt deflate data: zlib may inflate garbage before it notices, so the error can
        // be the garbage's, but it always names the damaged gzip stream.
        var corrupt = bytes
        for i in stride(from: 2000, to: 2100, by: 1) { corrupt[i] = 0xff }
        var caught: ScapError?
        do {
            var reader = try ScapReader(bytes: corrupt, fileName: "test.scap")
            caught = reader.readAll().error
        } catch let e as ScapError {
            caught = e
        }
        let error = try #require(caught)
        #expect(error.message.contains("gzip"), "\(error)")
    }

    @Test func fileSizeCap() {
        do {
            _ = try ScapReader(path: ScapTestSupport.path("sysdig-inspect_502Error.scap"), options: .init(maxDecompressedBytes: 100_000))
            Issue.record("expected a size error")
        } catch let e as ScapError {
            #expect(e.code == .tooLarge && e.message.contains("100000"))
        } catch {
            Issue.record("wrong error type")
        }
    }

    @Test func missingFile() {
        #expect(throws: ScapError.self) { _ = try ScapReader(path: "/nonexistent/x.scap") }
        do {
            _ = try ScapReader(path: "/nonexistent/x.scap")
        } catch let e as ScapError {
            #expect(e.code == .unreadable)
            #expect(e.description.contains("/nonexistent/x.scap"))
        } catch {
            Issue.record("wrong error type")
        }
    }
}

@Suite struct ScapRecordSequenceTests {
    @Test func sequenceYieldsWhatNextYields() throws {
        var reader = try ScapReader(path: ScapTestSupport.path("falco_cat_write.scap"))
        let records = reader.records()
        var pairs: [(UInt64, [UInt8])] = []
        for (number, record) in records { pairs.append((number, record)) }
        #expect(records.error == nil)
        #expect(records.finalReader?.skippedEvents["mmap", default: 0] ?? 0 > 0)
        let expected = reader.readAll().records
        #expect(pairs.map(\.0) == expected.map(\.number))
        #expect(pairs.map(\.1) == expected.map(\.record))
    }

    @Test func sequenceStopsAtTheErrorAndSaysWhy() throws {
        var b = ScapFileBuilder()
        b.openExit(tid: 7, fd: 3, name: "/x", ppmFlags: 1)
        let bytes = Array(b.bytes.dropLast(2))
        b.openExit(tid: 7, fd: 4, name: "/y", ppmFlags: 1)
        let records = try ScapReader(bytes: bytes, fileName: "cut.scap").records()
        var numbers: [UInt64] = []
        for (number, _) in records { numbers.append(number) }
        #expect(numbers.isEmpty)  // the only exit event is in the cut block
        #expect(records.error?.code == .truncated)
        #expect(records.error?.file == "cut.scap")
    }
}
