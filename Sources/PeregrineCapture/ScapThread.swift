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
    public var args: [String] = []
    public var cwd: String = ""
    public var fdLimit: Int64 = 0
    public var flags: UInt32 = 0
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var vtid: Int64 = -1
    public var vpid: Int64 = -1
    /// `subsystem=path` entries.
    public var cgroups: [String] = []
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
        let chosen = cgroups.first(where: { $0.hasPrefix("cpuset=") }) ?? cgroups.first ?? ""
        guard let eq = chosen.firstIndex(of: "=") else { return chosen }
        return String(chosen[chosen.index(after: eq)...])
    }
}
