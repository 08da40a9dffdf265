/// Builds records in the kernel's wire layout. Everything that does not come from the
/// probe (a `.scap` file being translated, events written by hand in a rule test) becomes
/// records this way, so the one decoder, process table and engine serve every source.
public struct RecordWriter {
    /// The fixed part, then the strings as they are added: one buffer, so a record costs one
    /// allocation (a `.scap` replay builds one per translated event).
    @usableFromInline var record: [UInt8]
    public let kind: EventKind
    public let fixedSize: Int

    public init(kind: EventKind, syscall: SyscallID, timestampBootNs: UInt64 = 0, pid: UInt32, tid: UInt32? = nil,
                ppid: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0, comm: String = "", flags: WireLayout.Flags = [],
                cgroupID: UInt64 = 0) {
        self.kind = kind
        let fixedSize = WireLayout.fixedSize(of: kind)
        self.fixedSize = fixedSize
        record = [UInt8](unsafeUninitializedCapacity: fixedSize + 256) { buffer, count in
            buffer.baseAddress!.initialize(repeating: 0, count: fixedSize)
            count = fixedSize
        }
        put(kind.rawValue, at: WireLayout.Header.kind)
        put(syscall.rawValue, at: WireLayout.Header.syscall)
        put(timestampBootNs, at: WireLayout.Header.tsBootNs)
        put(pid, at: WireLayout.Header.tgid)
        put(tid ?? pid, at: WireLayout.Header.tid)
        put(ppid, at: WireLayout.Header.ppid)
        put(uid, at: WireLayout.Header.uid)
        put(gid, at: WireLayout.Header.gid)
        put(flags.rawValue, at: WireLayout.Header.flags)
        put(cgroupID, at: WireLayout.Header.cgroupID)
        var comm = comm
        comm.withUTF8 { name in
            let n = min(name.count, WireLayout.Header.commLength - 1)
            record.withUnsafeMutableBytes { out in
                UnsafeMutableRawBufferPointer(rebasing: out[WireLayout.Header.comm..<WireLayout.Header.comm + n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(name)[..<n]))
            }
        }
        // Empty strings point at the end of the fixed part, as the probe writes them.
        for field in WireLayout.stringFields(of: kind) { put(UInt16(fixedSize), at: field) }
    }

    /// Sets a fixed field (one of the `WireLayout` offsets of this kind).
    @inlinable
    public mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= fixedSize, "field at \(offset) is outside the record")
        record.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    public mutating func addFlags(_ flags: WireLayout.Flags) {
        let current = record.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: WireLayout.Header.flags, as: UInt32.self) }
        put(current | flags.rawValue, at: WireLayout.Header.flags)
    }

    /// Sets the string field at `field` (a `pg_str` offset). Longer than the record allows:
    /// cut, and the record is flagged truncated, as the probe does.
    public mutating func string(_ text: String, at field: Int) {
        var text = text
        text.withUTF8 { string(bytes: $0, at: field) }
    }

    public mutating func string(bytes: [UInt8], at field: Int) {
        bytes.withUnsafeBufferPointer { string(bytes: $0, at: field) }
    }

    public mutating func string(bytes: UnsafeBufferPointer<UInt8>, at field: Int) {
        let room = max(min(WireLayout.maxRecord - record.count - 1, Int(UInt16.max)), 0)
        var data = bytes
        if data.count > room {
            data = UnsafeBufferPointer(rebasing: data[..<room])
            addFlags(field == WireLayout.Exec.args ? .argsTruncated : .pathTruncated)
        }
        put(UInt16(record.count), at: field)
        put(UInt16(data.count), at: field + 2)
        record.append(contentsOf: data)
        record.append(0)
    }

    /// argv as the probe lays it out: each argument NUL-terminated, the last NUL counted.
    public mutating func arguments(_ args: [String], at field: Int) {
        var blob: [UInt8] = []
        blob.reserveCapacity(args.reduce(0) { $0 + $1.utf8.count + 1 })
        for a in args { blob.append(contentsOf: a.utf8); blob.append(0) }
        string(bytes: blob, at: field)
    }

    /// The finished record.
    public consuming func bytes() -> [UInt8] {
        let size = UInt32(record.count)
        record.withUnsafeMutableBytes { $0.storeBytes(of: size.littleEndian, toByteOffset: WireLayout.Header.size, as: UInt32.self) }
        return record
    }
}
