/// Byte offsets of the kernel records, mirroring `peregrine_wire.h`.
///
/// The decoder reads records in place at these offsets; it never imports the C header, so
/// this core module stays free of C. `WireLayoutTests` checks every number here against the
/// header's `offsetof`/`sizeof`, so a change on one side without the other fails the tests.
public enum WireLayout {
    public static let version: UInt32 = 1

    public enum Header {
        public static let size = 0
        public static let kind = 4
        public static let syscall = 6
        public static let tsBootNs = 8
        public static let tgid = 16
        public static let tid = 20
        public static let ppid = 24
        public static let uid = 28
        public static let gid = 32
        public static let flags = 36
        public static let cgroupID = 40
        public static let comm = 48
        public static let commLength = 16
        public static let byteCount = 64
    }

    public enum Exec {
        public static let res = 64
        public static let euid = 72
        public static let loginuid = 76
        public static let tty = 80
        public static let pidNamespace = 84
        public static let mountNamespace = 88
        public static let vpid = 92
        public static let sid = 96
        public static let argc = 100
        public static let dirfd = 104
        public static let atFlags = 108
        public static let startBootNs = 112
        public static let exe = 120
        public static let filename = 124
        public static let args = 128
        public static let cwd = 132
        public static let cgroup = 136
        public static let byteCount = 144
    }

    public enum Open {
        public static let res = 64
        public static let flags = 72
        public static let mode = 76
        public static let dirfd = 80
        public static let dev = 84
        public static let ino = 88
        public static let resolve = 96
        public static let path = 104
        public static let raw = 108
        public static let base = 112
        public static let byteCount = 120
    }

    public enum Mount {
        public static let res = 64
        public static let flags = 72
        public static let fromDirfd = 80
        public static let toDirfd = 84
        public static let source = 88
        public static let target = 92
        public static let fstype = 96
        public static let base = 100
        public static let byteCount = 104
    }

    public enum Fork {
        public static let childTgid = 64
        public static let childTid = 68
        public static let cloneFlags = 72
        public static let childStartBootNs = 80
        public static let byteCount = 88
    }

    public enum Exit {
        public static let exitCode = 64
        public static let byteCount = 72
    }

    public enum Chdir {
        public static let res = 64
        public static let cwd = 72
        public static let raw = 76
        public static let byteCount = 80
    }

    /// `pg_header.flags`
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let pathTruncated = Flags(rawValue: 1 << 0)
        public static let argsTruncated = Flags(rawValue: 1 << 1)
        public static let groupDead = Flags(rawValue: 1 << 2)
        public static let thread = Flags(rawValue: 1 << 3)
        public static let stringFault = Flags(rawValue: 1 << 4)
    }

    /// Largest record the probe writes (`PG_MAX_RECORD`).
    public static let maxRecord = 16384

    /// Fixed size of each kind: the string area starts after it.
    public static func fixedSize(of kind: EventKind) -> Int {
        switch kind {
        case .exec: return Exec.byteCount
        case .open: return Open.byteCount
        case .mount: return Mount.byteCount
        case .fork: return Fork.byteCount
        case .exit: return Exit.byteCount
        case .chdir: return Chdir.byteCount
        }
    }

    /// Offsets of the `pg_str` references of each kind.
    public static func stringFields(of kind: EventKind) -> [Int] {
        var fields: [Int] = []
        _ = allStringFields(of: kind) { fields.append($0); return true }
        return fields
    }

    /// Whether `test` holds for every `pg_str` reference of `kind` (by offset), in order,
    /// stopping at the first that fails. Unrolled per kind: the decoder checks every record's
    /// strings with it, and a loop over a stored list cost ~40 instructions a record more.
    @inline(__always)
    public static func allStringFields(of kind: EventKind, _ test: (Int) -> Bool) -> Bool {
        switch kind {
        case .exec: return test(Exec.exe) && test(Exec.filename) && test(Exec.args) && test(Exec.cwd) && test(Exec.cgroup)
        case .open: return test(Open.path) && test(Open.raw) && test(Open.base)
        case .mount: return test(Mount.source) && test(Mount.target) && test(Mount.fstype) && test(Mount.base)
        case .fork, .exit: return true
        case .chdir: return test(Chdir.cwd) && test(Chdir.raw)
        }
    }
}
