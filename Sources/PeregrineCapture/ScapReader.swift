#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents

/// Reads a Falco/sysdig `.scap` capture (plain, or gzip-compressed as sysdig writes it) and
/// translates its events into Peregrine wire records.
///
/// `init` reads the section header and the metadata blocks in front of the first event
/// (machine info, process list, fd lists, user and interface lists), so `initialThreads` and
/// `initialProcesses` are ready before any event; `next()` then yields one `ScapRecord` per
/// modeled exit event, in file order. A problem in the file throws a `ScapError` at the
/// point it is met: every record before it has been yielded.
///
/// Timestamps: scap event timestamps are already nanoseconds since the epoch. Records carry
/// them unchanged in `timestampBootNs`, and `bootToEpochNs` is 0, so
/// `EventJSON(bootToEpochNs: reader.bootToEpochNs)` prints the capture's own times.
public struct ScapReader {
    public struct Options: Sendable {
        /// Refuse to inflate a gzip file beyond this many bytes.
        public var maxDecompressedBytes: Int = 1 << 30
        /// Largest block accepted (a length above it is treated as corruption).
        public var maxBlockBytes: Int = 64 << 20
        /// Event types at or above this are skipped without being numbered, as a reader
        /// whose event table ends there does. nil numbers every event (current libs).
        /// sysdig 0.29's table ends at 336 (`ScapReader.sysdig029EventTypeLimit`).
        public var eventTypeLimit: UInt16? = nil
        /// A plain file is read this many bytes at a time into a reused window.
        public var readChunkBytes: Int = 4 << 20
        /// Threads and fds (over all threads) the thread table keeps at most; beyond them,
        /// `stateOverflows` counts what was not remembered.
        public var maxThreads: Int = Self.defaultMaxThreads
        public var maxFds: Int = Self.defaultMaxFds
        /// As `ProcessTable`'s default capacity.
        public static let defaultMaxThreads = 1 << 18
        public static let defaultMaxFds = 1 << 20

        public init(maxDecompressedBytes: Int = 1 << 30, maxBlockBytes: Int = 64 << 20, eventTypeLimit: UInt16? = nil,
                    readChunkBytes: Int = 4 << 20, maxThreads: Int = Self.defaultMaxThreads,
                    maxFds: Int = Self.defaultMaxFds) {
            self.maxDecompressedBytes = maxDecompressedBytes
            self.maxBlockBytes = maxBlockBytes
            self.eventTypeLimit = eventTypeLimit
            self.readChunkBytes = readChunkBytes
            self.maxThreads = maxThreads
            self.maxFds = maxFds
        }
    }

    /// `PPM_EVENT_MAX` of the event table in sysdig 0.29 (Debian 12's sysdig).
    public static let sysdig029EventTypeLimit: UInt16 = 336

    public let fileName: String
    public let options: Options
    public private(set) var section: ScapSectionHeader
    public private(set) var machine: ScapMachineInfo?
    /// Threads of the process list, with the fds of the fd lists, in file order.
    public private(set) var initialThreads: [ScapThread] = []
    /// uid → user name, gid → group name (user list blocks).
    public private(set) var users: [UInt32: String] = [:]
    public private(set) var groups: [UInt32: String] = [:]
    /// Events read so far (numbered ones).
    public private(set) var eventCount: UInt64 = 0
    /// Events not translated, by sysdig's `evt.type` name.
    public var skippedEvents: [String: Int] { translator.skipped }
    /// What the thread table did not remember because it was full (see `Options.maxThreads`).
    public var stateOverflows: [String] {
        let o = translator.overflows
        var out: [String] = []
        if o.threads > 0 { out.append("\(o.threads) events of threads beyond the table's \(options.maxThreads) were read without their thread's history") }
        if o.pendingEntries > 0 { out.append("\(o.pendingEntries) entry events beyond \(options.maxThreads) waiting threads were dropped (their exits lack the entry's parameters)") }
        if o.fds > 0 { out.append("\(o.fds) fds beyond the limit of \(options.maxFds) were not remembered (their paths read as <UNKNOWN>)") }
        return out
    }
    /// Blocks of unknown type that were skipped, by block type.
    public private(set) var skippedBlocks: [UInt32: Int] = [:]
    /// Events of a type beyond `options.eventTypeLimit`, skipped unnumbered.
    public private(set) var unnumberedEvents: Int = 0
    /// scap timestamps are epoch nanoseconds: no offset to add.
    public let bootToEpochNs: Int64 = 0

    /// The capture's bytes: all of them, or, while `stream` reads a plain file, a window of it
    /// that starts at file offset `base`. Offsets in the reader are into `data`; errors add
    /// `base`. A block is parsed only once it is wholly in the window.
    private var data: [UInt8]
    private var base = 0
    private let stream: ScapFileStream?
    private var offset = 0
    private var inflateFailure: String?
    private var translator: ScapTranslator
    private var finished = false

    /// Reads the file at `path`: a plain file in chunks, a gzip file inflated whole.
    public init(path: String, options: Options = Options()) throws {
        let stream = try ScapFileStream(path: path, chunkBytes: options.readChunkBytes)
        if stream.size > options.maxDecompressedBytes {
            throw ScapError(file: path, offset: options.maxDecompressedBytes, code: .tooLarge,
                            message: "file is larger than the limit of \(options.maxDecompressedBytes) bytes")
        }
        var head: [UInt8] = []
        if let code = stream.refill(&head, consumed: 0, needed: 2) {
            throw ScapError(file: path, offset: 0, code: .unreadable, message: "read failed: \(String(cString: strerror(code)))")
        }
        if Zlib.isGzip(head) {
            try self.init(bytes: try Self.readFile(path, limit: options.maxDecompressedBytes), fileName: path, options: options)
        } else {
            try self.init(data: head, stream: stream, fileName: path, options: options)
        }
    }

    /// Reads a capture held in memory; `fileName` names it in errors.
    public init(bytes: [UInt8], fileName: String = "<memory>", options: Options = Options()) throws {
        if Zlib.isGzip(bytes) {
            let inflated = Zlib.gunzip(bytes, limit: options.maxDecompressedBytes)
            try self.init(data: inflated.bytes, inflateFailure: inflated.failure, fileName: fileName, options: options)
        } else {
            try self.init(data: bytes, fileName: fileName, options: options)
        }
    }

    private init(data: [UInt8], stream: ScapFileStream? = nil, inflateFailure: String? = nil, fileName: String,
                 options: Options) throws {
        self.fileName = fileName
        self.options = options
        self.data = data
        self.stream = stream
        self.inflateFailure = inflateFailure
        translator = ScapTranslator(threads: [:], limits: ScapTranslator.Limits(threads: options.maxThreads, fds: options.maxFds))
        section = ScapSectionHeader(bigEndian: false, major: 0, minor: 0, sectionLength: -1)
        do {
            section = try readSectionHeader()
            try readMetadata()
        } catch let failure as ScapFailure {
            throw error(failure)
        }
        initialThreads = translator.threads.values.sorted { $0.tid < $1.tid }
    }

    /// The process list as Peregrine's process table wants it: one entry per thread group.
    public var initialProcesses: [ProcessInfo] {
        let byTid = Dictionary(initialThreads.map { ($0.tid, $0) }, uniquingKeysWith: { a, _ in a })
        return initialThreads.filter { $0.tid == $0.pid }.map { t in
            let parent = byTid[t.ptid]?.pid ?? t.ptid
            let cgroup = t.cgroupPath
            return ProcessInfo(pid: UInt32(truncatingIfNeeded: t.pid), ppid: UInt32(truncatingIfNeeded: parent),
                               name: t.comm, exePath: t.exePath.isEmpty ? t.exe : t.exePath, args: [t.exe] + t.args,
                               cwd: t.cwd, uid: t.uid, gid: t.gid, loginuid: t.loginuid, tty: t.tty,
                               vpid: UInt32(truncatingIfNeeded: max(t.vpid, 0)), sid: UInt32(truncatingIfNeeded: max(t.sid, 0)),
                               cgroup: cgroup, containerID: ContainerID.shortID(fromCgroup: cgroup))
        }
    }

    /// The current thread table (after the events read so far).
    public var threads: [Int64: ScapThread] { translator.threads }

    /// The next translated record, nil at the end of the file. After an error, further calls
    /// return nil.
    public mutating func next() throws -> ScapRecord? {
        guard !finished else { return nil }
        do {
            while let event = try nextEvent() {
                if let record = translator.apply(event) {
                    return ScapRecord(number: event.number, record: record)
                }
            }
            finished = true
            return nil
        } catch let failure as ScapFailure {
            finished = true
            throw error(failure)
        }
    }

    /// Reads to the end: every record, and the error that stopped the reading if any.
    public mutating func readAll() -> (records: [ScapRecord], error: ScapError?) {
        var records: [ScapRecord] = []
        do {
            while let r = try next() { records.append(r) }
            return (records, nil)
        } catch let e as ScapError {
            return (records, e)
        } catch {
            return (records, ScapError(file: fileName, offset: base + offset, code: .malformedBlock, message: "\(error)"))
        }
    }

    // MARK: - blocks

    private func error(_ f: ScapFailure) -> ScapError {
        // Running out of data because the gzip stream broke is the gzip stream's fault.
        if let inflateFailure {
            if f.code == .truncated || f.offset >= data.count - 4 {
                return ScapError(file: fileName, offset: data.count, code: .decompression, message: inflateFailure)
            }
            // zlib notices damage late (at the latest at the CRC): what was inflated before
            // may already be garbage, so say both.
            return ScapError(file: fileName, offset: f.offset, code: f.code,
                             message: f.message + " (the gzip stream is damaged too, at uncompressed byte \(data.count): \(inflateFailure))")
        }
        return ScapError(file: fileName, offset: base + f.offset, code: f.code, message: f.message)
    }

    /// Makes `needed` bytes from `offset` available in `data` if the file has them (a no-op
    /// when `data` holds the whole capture). Moves the window: `offset` changes, file offsets
    /// (`base + offset`) do not.
    @inline(__always)
    private mutating func fill(_ needed: Int) throws {
        guard let stream, data.count - offset < needed, !stream.atEnd else { return }
        let failure = stream.refill(&data, consumed: offset, needed: needed)
        base += offset
        offset = 0
        if let failure {
            throw ScapFailure(offset: data.count, code: .unreadable, message: "read failed: \(String(cString: strerror(failure)))")
        }
    }

    @inline(__always)  // called per event from mutating code: a call would copy self
    private func load32(_ at: Int, bigEndian: Bool) -> UInt32 {
        UInt32(truncatingIfNeeded: ScapCursor.load(data, at: at, size: 4, bigEndian: bigEndian))
    }

    private mutating func readSectionHeader() throws -> ScapSectionHeader {
        try fill(28)
        if data.count - offset >= 12 {
            // The whole block, so its length can be checked against what the file holds.
            let big = load32(offset + 8, bigEndian: false) == ScapSectionHeader.magic.byteSwapped
            let length = Int(load32(offset + 4, bigEndian: big))
            if length <= options.maxBlockBytes { try fill(length) }
        }
        let start = offset
        guard data.count - start >= 28 else {
            if data.count - start >= 4 && load32(start, bigEndian: false) != ScapBlockType.sectionHeader {
                throw ScapFailure(offset: start, code: .notScap, message: "not a scap file: first block is not a section header")
            }
            throw ScapFailure(offset: start, code: .truncated, message: "file too short for a section header (\(data.count - start) bytes)")
        }
        guard load32(start, bigEndian: false) == ScapBlockType.sectionHeader else {
            throw ScapFailure(offset: start, code: .notScap,
                              message: "not a scap file: first block type is 0x\(String(load32(start, bigEndian: false), radix: 16)), expected a section header 0x0a0d0d0a")
        }
        let magic = load32(start + 8, bigEndian: false)
        let bigEndian: Bool
        if magic == ScapSectionHeader.magic {
            bigEndian = false
        } else if magic == ScapSectionHeader.magic.byteSwapped {
            bigEndian = true
        } else {
            throw ScapFailure(offset: start + 8, code: .notScap,
                              message: "bad byte-order magic 0x\(String(magic, radix: 16)) (expected 0x1a2b3c4d in either byte order)")
        }
        let length = Int(load32(start + 4, bigEndian: bigEndian))
        try checkLength(length, at: start, minimum: 28)
        var c = ScapCursor(data, from: start + 12, to: start + length - 4, bigEndian: bigEndian)
        let major = try c.u16("major version")
        let minor = try c.u16("minor version")
        let sectionLength = try c.i64("section length")
        guard major == ScapSectionHeader.supportedMajor else {
            throw ScapFailure(offset: start + 12, code: .unsupportedVersion,
                              message: "unsupported scap major version \(major).\(minor) (this reader knows major version \(ScapSectionHeader.supportedMajor))")
        }
        // Anything after the fixed part (comment options of newer writers) is skipped.
        try checkTrailer(start: start, length: length, bigEndian: bigEndian)
        offset = start + length
        return ScapSectionHeader(bigEndian: bigEndian, major: major, minor: minor, sectionLength: sectionLength)
    }

    @inline(__always)  // called per event from mutating code: a call would copy self
    private func checkLength(_ length: Int, at start: Int, minimum: Int) throws {
        if length < minimum {
            throw ScapFailure(offset: start + 4, code: .badBlockLength, message: "block length \(length) is below the minimum of \(minimum)")
        }
        if length > options.maxBlockBytes {
            throw ScapFailure(offset: start + 4, code: .badBlockLength,
                              message: "block length \(length) exceeds the limit of \(options.maxBlockBytes) bytes")
        }
        if length > data.count - start {
            throw ScapFailure(offset: start + 4, code: .truncated,
                              message: "block length \(length) runs past the end of the data (\(data.count - start) bytes left)")
        }
    }

    @inline(__always)  // called per event from mutating code: a call would copy self
    private func checkTrailer(start: Int, length: Int, bigEndian: Bool) throws {
        let trailer = Int(load32(start + length - 4, bigEndian: bigEndian))
        if trailer != length {
            throw ScapFailure(offset: start + length - 4, code: .trailerMismatch,
                              message: "block trailer length \(trailer) differs from its header length \(length)")
        }
    }

    /// Reads the block header at `offset`: (type, length), validated against the data.
    @inline(__always)  // called per event from mutating code: a call would copy self
    private mutating func blockHeader() throws -> (type: UInt32, length: Int)? {
        try fill(8)
        if offset == data.count { return nil }
        guard data.count - offset >= 8 else {
            throw ScapFailure(offset: offset, code: .truncated, message: "data ends inside a block header (\(data.count - offset) bytes left)")
        }
        let type = load32(offset, bigEndian: section.bigEndian)
        let length = Int(load32(offset + 4, bigEndian: section.bigEndian))
        if length <= options.maxBlockBytes { try fill(length) }
        let start = offset
        try checkLength(length, at: start, minimum: 12)
        try checkTrailer(start: start, length: length, bigEndian: section.bigEndian)
        return (type, length)
    }

    private mutating func readMetadata() throws {
        while let (type, length) = try blockHeader() {
            if ScapBlockType.eventBlock(type) != nil { return }
            try readMetadataBlock(type: type, length: length)
        }
    }

    /// A non-event block. Returns after moving `offset` past it.
    private mutating func readMetadataBlock(type: UInt32, length: Int) throws {
        let start = offset
        let bodyStart = start + 8
        let bodyEnd = start + length - 4
        if type == ScapBlockType.sectionHeader {
            section = try readSectionHeader()
            return
        }
        if ScapBlockType.machineInfo.contains(type) {
            machine = try ScapMetadata.machineInfo(data, from: bodyStart, to: bodyEnd, bigEndian: section.bigEndian)
        } else if let version = ScapBlockType.processList[type] {
            for t in try ScapMetadata.processList(data, from: bodyStart, to: bodyEnd, version: version, bigEndian: section.bigEndian) {
                translator.store(t)
            }
        } else if ScapBlockType.fdList.contains(type) || type == ScapBlockType.fdListV2 {
            let (tid, fds) = try ScapMetadata.fdList(data, from: bodyStart, to: bodyEnd, sized: type == ScapBlockType.fdListV2,
                                                     bigEndian: section.bigEndian)
            translator.addFds(fds, to: tid)
        } else if ScapBlockType.userList.contains(type) || type == ScapBlockType.userListV2 {
            let (u, g) = try ScapMetadata.userList(data, from: bodyStart, to: bodyEnd, sized: type == ScapBlockType.userListV2,
                                                   bigEndian: section.bigEndian)
            users.merge(u) { _, new in new }
            groups.merge(g) { _, new in new }
        } else if ScapBlockType.interfaceList.contains(type) {
            // Network interfaces: nothing Peregrine models.
        } else {
            skippedBlocks[type, default: 0] += 1
        }
        offset = start + length
    }

    // MARK: - events

    /// The common case, fast: a run of well-formed little-endian event blocks of types we do
    /// not translate (most of a capture) is numbered and counted in one loop over the bytes,
    /// with the same checks as the full path. It stops, without consuming it, at the first
    /// block that needs more: a translated type, a metadata block, a limit, or anything
    /// malformed, which the full path then reads and reports with its exact error.
    private mutating func skipUntranslated() {
        guard !section.bigEndian else { return }
        let maxBlock = options.maxBlockBytes
        let typeLimit = options.eventTypeLimit ?? UInt16.max
        let data = self.data
        var off = offset
        var numbered: UInt64 = 0
        // The table as a local: read through the global, each event paid its lazy-init check.
        let translated = ScapEventParams.table
        translator.withSkipCounters { counts in
            translated.withUnsafeBufferPointer { translated in
            data.withUnsafeBytes { raw in
                func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
                func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
                let end = raw.count
                while end - off >= 12 {
                    guard let layout = ScapBlockType.eventBlock(UInt32(u32(off))) else { return }
                    let length = u32(off + 4)
                    guard length >= 12, length <= maxBlock, length <= end - off, u32(off + length - 4) == length else { return }
                    let eventStart = off + 10 + (layout.hasFlags ? 4 : 0)  // after cpu id and flags
                    let bodyEnd = off + length - 4
                    guard bodyEnd - eventStart >= 22 else { return }
                    let eventLength = u32(eventStart + 16)
                    let eventType = u16(eventStart + 20)
                    guard eventLength >= (layout.hasParamCount ? 26 : 22), eventLength <= bodyEnd - eventStart,
                          eventType < Int(typeLimit), eventType < counts.count,
                          eventType >= translated.count || translated[eventType] < 0 else { return }
                    if layout.hasParamCount {
                        // The parameter lengths must fit the event, as `paramRanges` checks.
                        // Lengths are unsigned, so checking their sum once is the same as
                        // checking each running total, and the sum has no branch per parameter.
                        let width = layout.largeLengths ? 4 : 2
                        let count = u32(eventStart + 22)
                        let lengthsAt = eventStart + 26
                        let eventEnd = eventStart + eventLength
                        guard count <= (eventEnd - lengthsAt) / width else { return }
                        var total = 0
                        if width == 2 {
                            for i in 0..<count { total &+= u16(lengthsAt + i * 2) }
                        } else {
                            for i in 0..<count { total &+= u32(lengthsAt + i * 4) }
                        }
                        guard total <= eventEnd - (lengthsAt + count * width) else { return }
                    }
                    counts[eventType] += 1
                    numbered += 1
                    off += length
                }
            }
            }
        }
        offset = off
        eventCount += numbered
    }

    private mutating func nextEvent() throws -> ScapEvent? {
        while true {
            skipUntranslated()
            guard let (type, length) = try blockHeader() else { break }
            guard let layout = ScapBlockType.eventBlock(type) else {
                try readMetadataBlock(type: type, length: length)
                continue
            }
            let start = offset
            offset = start + length
            let bodyEnd = start + length - 4
            let big = section.bigEndian
            let eventStart = start + 8 + 2 + (layout.hasFlags ? 4 : 0)  // after cpu id and flags
            // This runs once per event: one bounds check for the fixed header, then plain
            // loads. Too short a block goes through the cursor for its exact error.
            guard bodyEnd - eventStart >= 22 else {
                var c = ScapCursor(data, from: start + 8, to: bodyEnd, bigEndian: big)
                c.shortCode = .malformedEvent
                c.what = "event block"
                _ = try c.u16("cpu id")
                if layout.hasFlags { _ = try c.u32("event flags") }
                _ = try c.u64("timestamp")
                _ = try c.i64("thread id")
                _ = try c.u32("event length")
                _ = try c.u16("event type")
                preconditionFailure("the cursor throws for a header shorter than 22 bytes")
            }
            let (ts, tid, eventLength, eventType) = data.withUnsafeBytes { raw in
                (ScapCursor.load(raw, at: eventStart, size: 8, bigEndian: big),
                 Int64(bitPattern: ScapCursor.load(raw, at: eventStart + 8, size: 8, bigEndian: big)),
                 Int(ScapCursor.load(raw, at: eventStart + 16, size: 4, bigEndian: big)),
                 UInt16(truncatingIfNeeded: ScapCursor.load(raw, at: eventStart + 20, size: 2, bigEndian: big)))
            }
            let headerSize = layout.hasParamCount ? 26 : 22
            guard eventLength >= headerSize, eventLength <= bodyEnd - eventStart else {
                throw ScapFailure(offset: eventStart + 16, code: .malformedEvent,
                                  message: "event length \(eventLength) does not fit its block (header \(headerSize), room \(bodyEnd - eventStart))")
            }
            if let limit = options.eventTypeLimit, eventType >= limit {
                unnumberedEvents += 1
                continue
            }
            eventCount += 1
            let eventEnd = eventStart + eventLength
            let maximum = ScapEventParams.maximum(eventType)
            let params: [Range<Int>]
            if layout.hasParamCount {
                let countOffset = eventStart + 22
                let count = Int(data.withUnsafeBytes { ScapCursor.load($0, at: countOffset, size: 4, bigEndian: big) })
                // Lengths are checked for every event; ranges are kept only for the events
                // we translate.
                params = try Self.paramRanges(data, lengthsAt: countOffset + 4, count: count, end: eventEnd,
                                              large: layout.largeLengths, bigEndian: big, countOffset: countOffset,
                                              keep: maximum != nil)
            } else if let maximum {
                params = try Self.inferParams(data, lengthsAt: eventStart + 22, maximum: maximum, end: eventEnd,
                                              bigEndian: section.bigEndian, eventStart: eventStart)
            } else {
                params = []
            }
            // Most events of a capture are of types we do not translate: they are counted
            // here, without building an event for the translator.
            guard maximum != nil else {
                translator.skip(eventType)
                continue
            }
            return ScapEvent(number: eventCount, timestamp: ts, tid: tid, type: eventType, bytes: data,
                             params: params, bigEndian: section.bigEndian)
        }
        if let inflateFailure {
            throw ScapFailure(offset: data.count, code: .decompression, message: inflateFailure)
        }
        return nil
    }

    static func paramRanges(_ data: [UInt8], lengthsAt start: Int, count: Int, end: Int, large: Bool,
                            bigEndian: Bool, countOffset: Int, keep: Bool = true) throws -> [Range<Int>] {
        let width = large ? 4 : 2
        guard count <= (end - start) / width else {
            throw ScapFailure(offset: countOffset, code: .malformedEvent,
                              message: "parameter count \(count) does not fit the event (\(end - start) bytes for lengths and values)")
        }
        var ranges: [Range<Int>] = []
        if keep { ranges.reserveCapacity(count) }
        var value = start + count * width
        for i in 0..<count {
            let length = Int(ScapCursor.load(data, at: start + i * width, size: width, bigEndian: bigEndian))
            guard length <= end - value else {
                throw ScapFailure(offset: start + i * width, code: .malformedEvent,
                                  message: "parameter \(i) length \(length) runs past the end of the event (\(end - value) bytes left)")
            }
            if keep { ranges.append(value..<(value + length)) }
            value += length
        }
        return ranges
    }

    /// v1 event headers have no parameter count: it is the largest count up to the table's
    /// whose lengths add up exactly to the event's size (what libscap does).
    static func inferParams(_ data: [UInt8], lengthsAt start: Int, maximum: Int, end: Int, bigEndian: Bool,
                            eventStart: Int) throws -> [Range<Int>] {
        var n = maximum
        while n >= 0 {
            var value = start + n * 2
            if value <= end {
                // Sums first: the ranges are built once, for the count that fits.
                for i in 0..<n { value += Int(ScapCursor.load(data, at: start + i * 2, size: 2, bigEndian: bigEndian)) }
                if value == end {
                    var ranges: [Range<Int>] = []
                    ranges.reserveCapacity(n)
                    value = start + n * 2
                    for i in 0..<n {
                        let length = Int(ScapCursor.load(data, at: start + i * 2, size: 2, bigEndian: bigEndian))
                        ranges.append(value..<(value + length))
                        value += length
                    }
                    return ranges
                }
                if value < end {
                    break
                }
            }
            n -= 1
        }
        throw ScapFailure(offset: eventStart, code: .malformedEvent,
                          message: "cannot work out the parameters of a v1 event: lengths do not add up to its size")
    }

    // MARK: - files

    /// The whole file; more than `limit` bytes is refused (a gzip file inflates to more than
    /// it holds, so the same cap bounds both).
    static func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let code = errno
            throw ScapError(file: path, offset: 0, code: .unreadable, message: "cannot open: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        // Read straight into one buffer of the file's size (a capture can be hundreds of
        // MiB: no chunk copies, no regrowth); a file that grows meanwhile is read on.
        var info = stat()
        let size = fstat(fd, &info) == 0 && info.st_size > 0 ? Int(info.st_size) : 0
        if size > limit {
            throw ScapError(file: path, offset: limit, code: .tooLarge, message: "file is larger than the limit of \(limit) bytes")
        }
        var failure: Int32 = 0
        var out = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let n = read(fd, buffer.baseAddress! + initialized, size - initialized)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno }
                if n <= 0 { break }
                initialized += n
            }
        }
        if failure != 0 {
            throw ScapError(file: path, offset: out.count, code: .unreadable, message: "read failed: \(String(cString: strerror(failure)))")
        }
        // A file that grew since fstat (or a pipe, which has no size): read on in chunks.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while out.count >= size {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw ScapError(file: path, offset: out.count, code: .unreadable, message: "read failed: \(String(cString: strerror(code)))")
            }
            if n == 0 { break }
            if out.count + n > limit {
                throw ScapError(file: path, offset: limit, code: .tooLarge, message: "file is larger than the limit of \(limit) bytes")
            }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
