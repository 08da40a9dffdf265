#if canImport(Glibc)
import Glibc
#endif
@testable import PeregrineCapture
import Testing

/// A plain capture is read from its file in chunks through a reused window. Whatever the
/// chunk size, it must give what reading the same bytes in memory gives: the same records,
/// counts and thread table, and on a damaged file the same error at the same file offset.
@Suite struct ScapStreamingTests {
    struct Outcome: Equatable {
        var records: [ScapRecord]
        var error: ScapError?
        var events: UInt64
        var skipped: [String: Int]
        var threads: [Int64: ScapThread]
    }

    static func outcome(_ open: () throws -> ScapReader) -> Result<Outcome, ScapError> {
        do {
            var reader = try open()
            let (records, error) = reader.readAll()
            return .success(Outcome(records: records, error: error, events: reader.eventCount,
                                    skipped: reader.skippedEvents, threads: reader.threads))
        } catch let e as ScapError {
            return .failure(e)
        } catch {
            return .failure(ScapError(file: "", offset: -1, code: .unreadable, message: "\(error)"))
        }
    }

    /// Writes `bytes` to a temporary file named for the test and reads it both ways.
    static func compare(_ bytes: [UInt8], chunks: [Int], label: String) throws {
        let path = "/tmp/peregrine-stream-test-\(getpid())-\(label.hashValue & 0xffff).scap"
        defer { unlink(path) }
        let f = try #require(fopen(path, "wb"))
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        let inMemory = outcome { try ScapReader(bytes: bytes, fileName: path) }
        for chunk in chunks {
            let streamed = outcome { try ScapReader(path: path, options: .init(readChunkBytes: chunk)) }
            let what = "\(label), chunks of \(chunk) bytes"
            switch (streamed, inMemory) {
            case (.success(let s), .success(let m)):
                // Compared piece by piece: a whole outcome printed on failure would be megabytes.
                #expect(s.error == m.error, "\(what)")
                #expect(s.records.count == m.records.count, "\(what)")
                #expect(s.records == m.records, "\(what): records differ")
                #expect(s.events == m.events && s.skipped == m.skipped, "\(what): counts differ")
                #expect(s.threads == m.threads, "\(what): thread tables differ")
            default:
                #expect(streamed == inMemory, "\(what)")
            }
        }
    }

    /// A capture as plain bytes (most of the shared ones are gzip, which is not streamed).
    static func plain(_ name: String) throws -> [UInt8] {
        let bytes = try #require(ScapTestSupport.readBytes(ScapTestSupport.path(name)))
        guard Zlib.isGzip(bytes) else { return bytes }
        let inflated = Zlib.gunzip(bytes, limit: 1 << 30)
        #expect(inflated.failure == nil, "\(name)")
        return inflated.bytes
    }

    @Test func everyCaptureReadsTheSameInChunks() throws {
        let names = ScapTestSupport.captureFiles()
        #expect(names.count >= 10)
        for name in names {
            try Self.compare(try Self.plain(name), chunks: [1, 4096, 1 << 20], label: name)
        }
    }

    @Test func damagedCapturesFailAtTheSameOffset() throws {
        let bytes = try Self.plain("falco_syscall.scap")
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<40 {
            var damaged = bytes
            switch trial % 3 {
            case 0: damaged.removeLast(Int.random(in: 1..<(bytes.count / 2), using: &rng))  // cut short
            case 1:                                                                          // a flipped bit
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                damaged[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            default:                                                                         // a block length made huge
                let i = Int.random(in: 0..<(bytes.count - 4), using: &rng)
                damaged[i + 3] = 0x7f
            }
            try Self.compare(damaged, chunks: [1, 777], label: "falco_syscall.scap trial \(trial)")
        }
    }
}
