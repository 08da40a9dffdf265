import PeregrineCapture
import PeregrineEvents

/// Writes small `.scap` files in memory, in either byte order, for tests that need exact
/// control over blocks and events. Parameter encodings follow the driver's event table.
struct ScapFileBuilder {
    var bigEndian = false
    private(set) var bytes: [UInt8] = []

    init(bigEndian: Bool = false, major: UInt16 = 1, minor: UInt16 = 2, sectionOptions: [UInt8] = []) {
        self.bigEndian = bigEndian
        var body: [UInt8] = []
        append(UInt32(0x1A2B_3C4D), to: &body)
        append(major, to: &body)
        append(minor, to: &body)
        append(Int64(-1), to: &body)
        body += sectionOptions
        block(0x0A0D_0D0A, body)
    }

    func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        let v = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: v) { out += $0 }
    }

    func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    /// A block: type, total length, body padded to 4 bytes, total length.
    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        var padded = body
        while padded.count % 4 != 0 { padded.append(0) }
        let total = UInt32(12 + padded.count)
        append(type, to: &bytes)
        append(total, to: &bytes)
        bytes += padded
        append(total, to: &bytes)
    }

    struct Thread {
        var tid: Int64
        var pid: Int64
        var ptid: Int64
        var comm: String
        var exe: String
        var args: [String] = []
        var cwd: String = "/"
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    private func string16(_ s: String, to out: inout [UInt8]) {
        let b = Array(s.utf8)
        append(UInt16(b.count), to: &out)
        out += b
    }

    /// A process list block, version 9 (entries carry their length).
    mutating func processList(_ threads: [Thread]) {
        var body: [UInt8] = []
        for t in threads {
            var e: [UInt8] = []
            append(t.tid, to: &e); append(t.pid, to: &e); append(t.ptid, to: &e)
            append(Int64(t.pid), to: &e)        // sid
            append(Int64(t.pid), to: &e)        // vpgid
            string16(t.comm, to: &e)
            string16(t.exe, to: &e)
            string16(t.exe, to: &e)             // exepath
            string16(t.args.map { $0 + "\0" }.joined(), to: &e)
            string16(t.cwd, to: &e)
            append(UInt64(1024), to: &e)        // fdlimit
            append(UInt32(0), to: &e)           // flags
            append(t.uid, to: &e); append(t.gid, to: &e)
            append(UInt32(0), to: &e); append(UInt32(0), to: &e); append(UInt32(0), to: &e)
            append(UInt64(0), to: &e); append(UInt64(0), to: &e)
            string16("", to: &e)                // env
            append(t.tid, to: &e); append(t.pid, to: &e)  // vtid, vpid
            string16("cpuset=/\0", to: &e)
            string16("/", to: &e)               // root
            append(UInt32(1000), to: &e)        // loginuid
            body += encode(UInt32(4 + e.count)) + e
        }
        block(0x215, body)
    }

    /// An fd list block (version 2) with file fds.
    mutating func fdList(tid: Int64, files: [(Int64, String)]) {
        var body: [UInt8] = []
        append(tid, to: &body)
        for (fd, name) in files {
            var e: [UInt8] = []
            append(fd, to: &e); append(UInt64(0), to: &e)
            e.append(2)  // directory
            string16(name, to: &e)
            body += encode(UInt32(4 + e.count)) + e
        }
        block(0x218, body)
    }

    /// Parameter helpers.
    func int64(_ v: Int64) -> [UInt8] { encode(v) }
    func uint32(_ v: UInt32) -> [UInt8] { encode(v) }
    func str(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
    func list(_ items: [String]) -> [UInt8] { Array(items.map { $0 + "\0" }.joined().utf8) }

    enum EventBlock {
        /// EV v2 (0x216): header with nparams, u16 lengths.
        case v2
        /// EV v1 (0x204): no nparams in the header.
        case v1
        /// EV v2 large (0x221): u32 lengths.
        case large
        /// EVF v2 (0x217): flags after the cpu id.
        case flagged
    }

    /// An event block: cpu, [flags], header, lengths, values.
    mutating func event(_ type: UInt16, tid: Int64, ts: UInt64 = 1_700_000_000_000_000_000, _ params: [[UInt8]],
                        lengthOverride: [Int: UInt16] = [:], as kind: EventBlock = .v2) {
        var lens: [UInt8] = []
        for (i, p) in params.enumerated() {
            if kind == .large { append(UInt32(lengthOverride[i] ?? UInt16(p.count)), to: &lens) }
            else { append(lengthOverride[i] ?? UInt16(p.count), to: &lens) }
        }
        let values = params.flatMap { $0 }
        let headerSize = kind == .v1 ? 22 : 26
        var body: [UInt8] = []
        append(UInt16(0), to: &body)  // cpu
        if kind == .flagged { append(UInt32(0), to: &body) }
        append(ts, to: &body)
        append(tid, to: &body)
        append(UInt32(headerSize + lens.count + values.count), to: &body)
        append(type, to: &body)
        if kind != .v1 { append(UInt32(params.count), to: &body) }
        body += lens + values
        let blockType: UInt32
        switch kind {
        case .v2: blockType = 0x216
        case .v1: blockType = 0x204
        case .large: blockType = 0x221
        case .flagged: blockType = 0x217
        }
        block(blockType, body)
    }

    // Typical events.
    mutating func openExit(tid: Int64, fd: Int64, name: String, ppmFlags: UInt32, mode: UInt32 = 0) {
        event(2, tid: tid, [str(name), uint32(ppmFlags), uint32(mode)])
        event(3, tid: tid, [int64(fd), str(name), uint32(ppmFlags), uint32(mode), uint32(0)])
    }

    mutating func openatExit(tid: Int64, fd: Int64, dirfd: Int64, name: String, ppmFlags: UInt32) {
        event(306, tid: tid, [int64(dirfd), str(name), uint32(ppmFlags), uint32(0)])
        event(307, tid: tid, [int64(fd), int64(dirfd), str(name), uint32(ppmFlags), uint32(0), uint32(0), encode(UInt64(0))])
    }

    /// clone (v20) exit as the parent sees it.
    mutating func cloneParent(tid: Int64, pid: Int64, ptid: Int64, child: Int64, comm: String, ppmFlags: UInt32, uid: UInt32 = 0) {
        event(222, tid: tid, [])
        event(223, tid: tid, [int64(child), str("/bin/" + comm), list([]), int64(tid), int64(pid), int64(ptid), str("/"),
                              int64(1024), encode(UInt64(0)), encode(UInt64(0)), uint32(0), uint32(0), uint32(0),
                              str(comm), list(["cpuset=/"]), uint32(ppmFlags), uint32(uid), uint32(uid), int64(child), int64(child)])
    }

    /// execve (v19) exit.
    mutating func execveExit(tid: Int64, pid: Int64, ptid: Int64, res: Int64 = 0, exe: String, args: [String], cwd: String, comm: String) {
        event(292, tid: tid, [str(exe)])
        event(293, tid: tid, [int64(res), str(exe), list(args), int64(tid), int64(pid), int64(ptid), str(cwd),
                              encode(UInt64(1024)), encode(UInt64(0)), encode(UInt64(0)), uint32(0), uint32(0), uint32(0),
                              str(comm), list(["cpuset=/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]),
                              list([]), encode(Int32(0)), int64(pid), encode(Int32(1000)), uint32(0)])
    }

    mutating func chdirExit(tid: Int64, res: Int64 = 0, path: String) {
        event(94, tid: tid, [])
        event(95, tid: tid, [int64(res), str(path)])
    }

    mutating func procexit(tid: Int64, status: Int64 = 0, ret: Int64 = 0) {
        event(186, tid: tid, [int64(status), int64(ret), [0], [0]])
    }
}
