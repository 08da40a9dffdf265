/// What the process table knows about one process (a thread group).
public struct ProcessInfo: Sendable, Equatable {
    public var pid: UInt32
    public var ppid: UInt32
    /// The task's comm (at most 15 bytes, as the kernel keeps it).
    public var name: String { didSet { joinArguments() } }
    /// Absolute path of the executable file, as the kernel resolved it.
    public var exePath: String
    /// argv, as the process was started (argv[0] included).
    public var args: [String] { didSet { joinArguments() } }
    /// Falco's `proc.cmdline` (the name, then the arguments after argv[0]) and `proc.args`,
    /// joined once when the process is recorded rather than for every event rules check.
    public private(set) var cmdline: String = ""
    public private(set) var argsText: String = ""
    public var cwd: String
    public var uid: UInt32
    public var gid: UInt32
    public var loginuid: UInt32
    public var tty: UInt32
    public var vpid: UInt32
    public var sid: UInt32
    public var pidNamespace: UInt32
    public var mountNamespace: UInt32
    /// cgroup v2 path, from which the container id is read.
    public var cgroup: String
    public var containerID: String
    public var startBootNs: UInt64

    public init(pid: UInt32, ppid: UInt32, name: String = "", exePath: String = "", args: [String] = [],
                cwd: String = "", uid: UInt32 = 0, gid: UInt32 = 0, loginuid: UInt32 = UInt32.max, tty: UInt32 = 0,
                vpid: UInt32 = 0, sid: UInt32 = 0, pidNamespace: UInt32 = 0, mountNamespace: UInt32 = 0,
                cgroup: String = "", containerID: String = ContainerID.host, startBootNs: UInt64 = 0) {
        self.pid = pid
        self.ppid = ppid
        self.name = name
        self.exePath = exePath
        self.args = args
        self.cwd = cwd
        self.uid = uid
        self.gid = gid
        self.loginuid = loginuid
        self.tty = tty
        self.vpid = vpid
        self.sid = sid
        self.pidNamespace = pidNamespace
        self.mountNamespace = mountNamespace
        self.cgroup = cgroup
        self.containerID = containerID
        self.startBootNs = startBootNs
        joinArguments()
    }

    private mutating func joinArguments() {
        argsText = args.dropFirst().joined(separator: " ")
        cmdline = argsText.isEmpty ? name : name + " " + argsText
    }
}
