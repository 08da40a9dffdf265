/// pid → what we know of the process, kept from the kernel's fork/exec/exit records after a
/// seed from /proc. Bounded: beyond `capacity` entries new processes are not remembered and
/// are counted in `overflows`, never silently. Exited processes leave at once, so the table
/// does not grow under churn; a pid reused by a new process replaces the old entry at fork.
public struct ProcessTable {
    /// Entries are immutable boxes: readers take one reference instead of copying every
    /// string of a process, and changes replace the box, so the table keeps value semantics.
    public final class Entry: @unchecked Sendable {
        public let info: ProcessInfo
        /// The process's container, filled by the container layer on the consumer thread
        /// (nil for host processes, or when no layer tracks containers).
        public var container: ContainerHandle?
        init(_ info: ProcessInfo) { self.info = info }
    }

    /// A pid as a dictionary key, hashed with one multiply instead of SipHash: pids are small
    /// kernel-assigned numbers (bounded by pid_max), not attacker-chosen keys, and every event
    /// looks its process up (SipHash cost ~120 instructions per lookup).
    struct Pid: Hashable {
        var raw: UInt32
        @inline(__always) init(_ raw: UInt32) { self.raw = raw }
        @inline(__always) static func == (a: Pid, b: Pid) -> Bool { a.raw == b.raw }
        func hash(into hasher: inout Hasher) { hasher.combine(raw) }
        @inline(__always) func _rawHashValue(seed: Int) -> Int {
            // Fibonacci hashing; the high bits mixed down, since the table masks the low ones.
            let m = (UInt64(raw) ^ UInt64(truncatingIfNeeded: seed)) &* 0x9E37_79B9_7F4A_7C15
            return Int(truncatingIfNeeded: m ^ (m >> 32))
        }
    }

    /// `Dictionary()`, not `[:]`: the literal builds (and frees) an empty element array each time.
    private var entries = [Pid: Entry]() {
        // Any change may replace or remove the remembered entry.
        didSet { forgetRecent() }
    }
    /// The entry of the process of the last record folded in by `apply`, remembered because
    /// the engine asks for that same process next, and runs of records from one process are
    /// the norm: a hit is a compare instead of a hash lookup (and no reference counting when
    /// the process is the same as the record before). Cleared by every change to `entries`.
    private var recentPid = Self.noPid
    private var recentEntry: Entry?
    private static let noPid = UInt32.max

    private mutating func forgetRecent() {
        if recentPid != Self.noPid {
            recentPid = Self.noPid
            recentEntry = nil
        }
    }
    public let capacity: Int
    public private(set) var overflows: UInt64 = 0

    public init(capacity: Int = 1 << 18) {
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    public subscript(pid: UInt32) -> ProcessInfo? { entries[Pid(pid)]?.info }

    /// The entry of `pid` without copying it (the hot path's way in).
    public func entry(_ pid: UInt32) -> Entry? { pid == recentPid ? recentEntry : entries[Pid(pid)] }

    /// `entry(_:)` of a table lent by address: a call on `table.pointee` copies the table out
    /// first (a retain and a release per lookup); the dictionary read here borrows it in place.
    public static func entry(_ pid: UInt32, in table: UnsafePointer<ProcessTable>) -> Entry? {
        pid == table.pointee.recentPid ? table.pointee.recentEntry : table.pointee.entries[Pid(pid)]
    }

    /// Visits every entry, in no particular order.
    public func forEachEntry(_ body: (Entry) -> Void) {
        for entry in entries.values { body(entry) }
    }

    /// Every process known, in no particular order.
    public var processes: [ProcessInfo] { entries.values.map(\.info) }

    /// Adds or replaces (seeding from /proc, or a snapshot in a capture).
    public mutating func insert(_ info: ProcessInfo) {
        if entries.count >= capacity && entries.index(forKey: Pid(info.pid)) == nil {
            overflows &+= 1
            return
        }
        entries[Pid(info.pid)] = Entry(info)
    }

    public mutating func remove(pid: UInt32) {
        entries.removeValue(forKey: Pid(pid))
    }

    /// Folds one record into the table. Call before rendering or matching the record, so an
    /// exec is seen with its new image and a fork's child exists.
    public mutating func apply(_ event: EventView) {
        switch event.kind {
        case .fork:
            let fork = event.fork
            var child = entries[Pid(event.pid)]?.info ?? ProcessInfo(pid: event.pid, ppid: event.ppid, name: Self.string(event.comm), uid: event.uid, gid: event.gid)
            child.pid = fork.childPid
            child.ppid = event.pid
            child.startBootNs = fork.childStartBootNs
            insert(child)
        case .exec:
            guard event.result == 0 else { return }
            let exec = event.exec
            var info = entries[Pid(event.pid)]?.info ?? ProcessInfo(pid: event.pid, ppid: event.ppid)
            info.ppid = event.ppid
            info.replaceImage(name: Self.string(event.comm), args: Self.argv(exec.args))
            info.exePath = Self.string(exec.exe)
            info.cwd = Self.string(exec.cwd)
            info.uid = event.uid
            info.gid = event.gid
            info.loginuid = exec.loginuid
            info.tty = exec.tty
            info.vpid = exec.vpid
            info.sid = exec.sid
            info.pidNamespace = exec.pidNamespace
            info.mountNamespace = exec.mountNamespace
            let cgroup = Self.string(exec.cgroup)
            if cgroup != info.cgroup {
                info.cgroup = cgroup
                info.containerID = ContainerID.shortID(fromCgroup: cgroup)
            }
            info.startBootNs = exec.startBootNs
            insert(info)
        case .chdir:
            guard event.result == 0, var info = entries[Pid(event.pid)]?.info else { return }
            info.cwd = Self.string(event.chdir.cwd)
            entries[Pid(event.pid)] = Entry(info)
        case .exit:
            remove(pid: event.pid)
        case .open, .mount:
            // A process we never saw (started before a capture began, say) still gets an
            // entry from what every record carries.
            if event.pid == recentPid { return }
            // index(forKey:), not `entries[pid] == nil`: that copies the whole entry out.
            if let i = entries.index(forKey: Pid(event.pid)) {
                recentEntry = entries.values[i]
                recentPid = event.pid
            } else {
                insert(ProcessInfo(pid: event.pid, ppid: event.ppid, name: Self.string(event.comm), uid: event.uid, gid: event.gid))
            }
        }
    }

    /// Ancestors of `pid`, nearest first, at most `limit` (loops in bad data stop there too).
    public func ancestors(of pid: UInt32, limit: Int = 64) -> [ProcessInfo] {
        var out: [ProcessInfo] = []
        var current = entries[Pid(pid)]?.info.ppid ?? 0
        while current != 0 && out.count < limit, let info = entries[Pid(current)]?.info {
            out.append(info)
            if info.ppid == current { break }
            current = info.ppid
        }
        return out
    }

    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Splits a NUL-separated argv blob.
    public static func argv(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var out: [String] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0 {
            out.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            start = i + 1
        }
        if start < bytes.count {
            out.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]), as: UTF8.self))
        }
        return out
    }
}
