import PeregrineCapture
import PeregrineEvents
import Testing

/// Thousands of damaged files made from the real captures (truncations, bit flips, block
/// lengths overwritten, damaged gzip streams), with a fixed seed: each is read or rejected
/// with a `ScapError`, never a crash or a hang, and whatever is read is valid.
@Suite struct ScapRobustnessTests {
    /// SplitMix64: small, deterministic.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Source {
        let name: String
        let compressed: [UInt8]
        let plain: [UInt8]
        let blockOffsets: [Int]
        let records: [ScapRecord]
    }

    static let sourceNames = [
        "falco_cat_write.scap", "falco_syscall.scap", "libs_e2e_test_ipv6_client.scap", "falco_psp_write_tmp_test.scap",
        "libs_e2e_curl_google_comments.scap", "falco_empty.scap", "libs_sample.scap", "falco-0.34.1_empty.scap",
    ]

    static func load() throws -> [Source] {
        try sourceNames.map { name in
            let compressed = try #require(ScapTestSupport.readBytes(ScapTestSupport.path(name)))
            let plain = Zlib.isGzip(compressed) ? Zlib.gunzip(compressed, limit: 1 << 30).bytes : compressed
            var offsets: [Int] = []
            var o = 0
            while o + 8 <= plain.count {
                offsets.append(o)
                let length = Int(plain[o + 4]) | Int(plain[o + 5]) << 8 | Int(plain[o + 6]) << 16 | Int(plain[o + 7]) << 24
                o += max(length, 12)
            }
            var reader = try ScapReader(bytes: plain, fileName: name)
            let (records, error) = reader.readAll()
            #expect(error == nil)
            return Source(name: name, compressed: compressed, plain: plain, blockOffsets: offsets, records: records)
        }
    }

    enum Mutation: CaseIterable { case truncate, flipBits, blockLength, flipAndTruncate, gzipFlip, gzipTruncate }

    struct Outcome {
        var read = 0
        var rejected: [ScapError.Code: Int] = [:]
    }

    /// Reads `bytes`; checks what came out. Returns the records and the error.
    static func check(_ bytes: [UInt8], name: String, limit: Int) -> (records: [ScapRecord], error: ScapError?) {
        var records: [ScapRecord] = []
        var error: ScapError?
        do {
            var reader = try ScapReader(bytes: bytes, fileName: name, options: .init(maxDecompressedBytes: limit))
            (records, error) = reader.readAll()
            #expect(reader.eventCount >= UInt64(records.count))
        } catch let e as ScapError {
            error = e
        } catch {
            Issue.record("\(name): unexpected error type \(error)")
        }
        if let error {
            #expect(error.file == name)
            #expect(error.offset >= 0 && error.offset <= max(bytes.count, limit))
            #expect(!error.message.isEmpty)
        }
        var last: UInt64 = 0
        var decoder = RecordDecoder()
        for r in records {
            #expect(r.number > last)
            last = r.number
            let ok = r.record.withUnsafeBytes { decoder.decode($0) != nil }
            #expect(ok, "\(name): record \(r.number) does not decode")
        }
        return (records, error)
    }

    @Test func mutatedCapturesAreReadOrRejected() throws {
        let sources = try Self.load()
        var rng = Generator(state: 0x5CA9_F11E)
        var outcome = Outcome()
        var prefixViolations = 0
        let clock = ContinuousClock()
        let start = clock.now
        let iterations = 2000
        for i in 0..<iterations {
            let source = sources[Int.random(in: 0..<sources.count, using: &rng)]
            let mutation = Mutation.allCases[i % Mutation.allCases.count]
            var bytes = source.plain
            switch mutation {
            case .truncate:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case .flipBits, .flipAndTruncate:
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                }
                if mutation == .flipAndTruncate {
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
                }
            case .blockLength:
                let block = source.blockOffsets[Int.random(in: 0..<source.blockOffsets.count, using: &rng)]
                let choices: [UInt32] = [0, 4, 11, 12, 13, UInt32.max, 1 << 30, 64 << 20, UInt32.random(in: 0...UInt32.max, using: &rng),
                                         UInt32.random(in: 0...4096, using: &rng)]
                let value = choices[Int.random(in: 0..<choices.count, using: &rng)]
                let field = block + (Bool.random(using: &rng) ? 4 : 0)  // length, or type
                withUnsafeBytes(of: value.littleEndian) { for k in 0..<4 { bytes[field + k] = $0[k] } }
            case .gzipFlip:
                bytes = source.compressed
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                }
            case .gzipTruncate:
                bytes = Array(source.compressed.prefix(Int.random(in: 0..<source.compressed.count, using: &rng)))
            }
            let name = "\(source.name)#\(i)"
            let (records, error) = Self.check(bytes, name: name, limit: 4 << 20)
            if let error { outcome.rejected[error.code, default: 0] += 1 } else { outcome.read += 1 }
            // A cut file yields exactly the records of the whole file up to the cut.
            if mutation == .truncate || mutation == .gzipTruncate {
                if Array(source.records.prefix(records.count)) != records { prefixViolations += 1 }
            }
        }
        let elapsed = clock.now - start
        #expect(prefixViolations == 0)
        // A guard against hangs and quadratic paths, not a benchmark: about 7 s of CPU in a
        // debug build on the project machine.
        #expect(elapsed < .seconds(120))
        #expect(outcome.rejected.values.reduce(0, +) > iterations / 4)
        print("robustness: \(iterations) mutated files in \(elapsed): read \(outcome.read), rejected \(outcome.rejected)")
    }

    @Test func hugeBlockLengthsDoNotAllocate() throws {
        // A block claiming 4 GiB at the start of an otherwise tiny file.
        var b = ScapFileBuilder()
        b.block(0x216, [0, 0])
        var bytes = b.bytes
        let at = 28 + 4
        for k in 0..<4 { bytes[at + k] = 0xff }
        let (_, error) = Self.check(bytes, name: "huge", limit: 1 << 30)
        #expect(error?.code == .badBlockLength)
    }
}
