#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import Testing

@testable import PeregrineCapture

/// Opening a capture of either format from a pipe, where the bytes read to tell the formats
/// apart cannot be read again (`peregrine replay /dev/stdin`).
@Suite struct CaptureFileTests {
    /// The path of a pipe's read end holding `bytes` (written whole first: the captures used
    /// here fit in a pipe's default 64 KiB buffer).
    static func pipe(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        try #require(bytes.count <= 65536, "too large for a pipe's buffer")
        var fds: [Int32] = [0, 0]
        try #require(Glibc.pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let written = bytes.withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, $0.count) }
        close(writeEnd)
        try #require(written == bytes.count)
        try body("/proc/self/fd/\(readEnd)")
    }

    @Test func peregrineCaptureFromAPipe() throws {
        let records = CaptureFormatTests.records(300)
        try Self.pipe(CaptureFormatTests.capture(records)) { path in
            guard case .peregrine(let reader) = try CaptureFile.open(path: path) else {
                Issue.record("not recognised as a Peregrine capture")
                return
            }
            var read: [[UInt8]] = []
            let summary = try reader.read(processes: { _ in }, record: { _, b in read.append(Array(b)) })
            #expect(read == records)
            #expect(summary.closedCleanly)
        }
    }

    @Test func scapFromAPipeReadsAsFromTheFile() throws {
        for name in ["falco_cat_write.scap", "falco_open-multiple-files.scap"] {
            let bytes = try #require(ScapTestSupport.readBytes(ScapTestSupport.path(name)))
            let fromFile = try ScapTestSupport.read(name)
            try Self.pipe(bytes) { path in
                guard case .scap(var reader) = try CaptureFile.open(path: path) else {
                    Issue.record("\(name): not recognised as .scap")
                    return
                }
                var records: [ScapRecord] = []
                while let r = try reader.next() { records.append(r) }
                #expect(ScapTestSupport.lines(reader: reader, records: records)
                        == ScapTestSupport.lines(reader: fromFile.reader, records: fromFile.records), "\(name)")
            }
        }
    }
}
