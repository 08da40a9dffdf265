@testable import PeregrineEvents

/// Builds wire records in memory, the way the probe lays them out, for decoder tests.
struct RecordBuilder {
    var bytes: [UInt8]
    let fixed: Int
    private var strings: [UInt8] = []

    init(kind: EventKind, syscall: SyscallID = .none, pid: UInt32 = 100, tid: UInt32? = nil, ppid: UInt32 = 1,
         uid: UInt32 = 1000, gid: UInt32 = 1000, comm: String = "test", ts: UInt64 = 1_000) {
        fixed = WireLayout.fixedSize(of: kind)
        bytes = [UInt8](repeating: 0, count: fixed)
        put(UInt16(kind.rawValue), at: WireLayout.Header.kind)
        put(syscall.rawValue, at: WireLayout.Header.syscall)
        put(ts, at: WireLayout.Header.tsBootNs)
        put(pid, at: WireLayout.Header.tgid)
        put(tid ?? pid, at: WireLayout.Header.tid)
        put(ppid, at: WireLayout.Header.ppid)
        put(uid, at: WireLayout.Header.uid)
        put(gid, at: WireLayout.Header.gid)
        for (i, c) in comm.utf8.prefix(15).enumerated() { bytes[WireLayout.Header.comm + i] = c }
    }

    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { bytes[offset + i] = b }
        }
    }

    /// Appends a string and points the `pg_str` at `field` to it.
    mutating func string(_ text: String, at field: Int) {
        string(Array(text.utf8), at: field)
    }

    mutating func string(_ data: [UInt8], at field: Int) {
        put(UInt16(fixed + strings.count), at: field)
        put(UInt16(data.count), at: field + 2)
        strings += data
        strings.append(0)
    }

    /// The finished record, with its size field set.
    func build() -> [UInt8] {
        var out = bytes + strings
        let size = UInt32(out.count)
        withUnsafeBytes(of: size.littleEndian) { raw in
            for (i, b) in raw.enumerated() { out[WireLayout.Header.size + i] = b }
        }
        return out
    }
}
