/// A thread as the capture's process list (and then its events) describe it.
public struct ScapThread: Sendable, Equatable {
    public var tid: Int64
    /// Thread group id.
    public var pid: Int64
    /// Parent thread id.
    public var ptid: Int64
    public var sid: Int64 = -1
    public var vpgid: Int64 = -1
    public var comm: String = ""
    /// argv[0] as the process list has it.
    public var exe: String = ""
    /// Absolute path of the executable (process list v7+, newer execve events).
    public var exePath: String = ""
    /// Arguments after argv[0].
    public var args: [String] {
        get { NulSeparated.split(argsList) }
        set { argsList = NulSeparated.join(newValue) }
    }
    public var cwd: String = ""
    public var fdLimit: Int64 = 0
    public var flags: UInt32 = 0
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var vtid: Int64 = -1
    public var vpid: Int64 = -1
    /// `subsystem=path` entries.
    public var cgroups: [String] {
        get { NulSeparated.split(cgroupsList) }
        set { cgroupsList = NulSeparated.join(newValue) }
    }
    /// `args` and `cgroups` as the capture carries them, NUL-separated. Events set them for
    /// every clone and exec and records rarely read them: bytes, not arrays of strings.
    var argsList: [UInt8] = []
    var cgroupsList: [UInt8] = []
    public var root: String = ""
    public var loginuid: UInt32 = UInt32.max
    public var tty: UInt32 = 0
    /// Open file and directory descriptors: number → path (fd list blocks, then opens).
    public var fds: [Int64: String] = [:]

    public init(tid: Int64, pid: Int64, ptid: Int64) {
        self.tid = tid
        self.pid = pid
        self.ptid = ptid
    }

    /// The cgroup path Peregrine's container-id logic reads: the cpuset entry if there is one,
    /// else the first, without its `subsystem=` prefix.
    public var cgroupPath: String {
        var chosen: ArraySlice<UInt8>?
        NulSeparated.forEach(cgroupsList) { entry in
            if chosen == nil { chosen = entry }
            guard entry.starts(with: "cpuset=".utf8) else { return true }
            chosen = entry
            return false
        }
        guard let chosen else { return "" }
        guard let eq = chosen.firstIndex(of: UInt8(ascii: "=")) else { return String(decoding: chosen, as: UTF8.self) }
        return String(decoding: chosen[(eq + 1)...], as: UTF8.self)
    }
}

/// Lists as the capture writes them (argv, cgroups): entries each ended by a NUL; a last
/// entry without its NUL still counts.
enum NulSeparated {
    /// Calls `body` with each entry in order until it returns false.
    static func forEach(_ list: [UInt8], _ body: (ArraySlice<UInt8>) -> Bool) {
        var start = list.startIndex
        while start < list.endIndex {
            let end = list[start...].firstIndex(of: 0) ?? list.endIndex
            guard body(list[start..<end]) else { return }
            start = end + 1
        }
    }

    static func split(_ list: [UInt8]) -> [String] {
        var out: [String] = []
        forEach(list) { out.append(String(decoding: $0, as: UTF8.self)); return true }
        return out
    }

    static func join(_ entries: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries { out.append(contentsOf: e.utf8); out.append(0) }
        return out
    }

    static func count(_ list: [UInt8]) -> Int {
        var n = 0
        forEach(list) { _ in n += 1; return true }
        return n
    }

    /// `first` followed by the entries of `rest`, each NUL-terminated (the wire's argv).
    static func prepending(_ first: String, to rest: [UInt8]) -> (list: [UInt8], count: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(first.utf8.count + rest.count + 2)
        out.append(contentsOf: first.utf8)
        out.append(0)
        out.append(contentsOf: rest)
        if let last = rest.last, last != 0 { out.append(0) }
        return (out, 1 + count(rest))
    }
}
