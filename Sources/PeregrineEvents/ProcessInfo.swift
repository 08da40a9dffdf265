/// What the process table knows about one process (a thread group).
public struct ProcessInfo: Sendable, Equatable {
    public var pid: UInt32
    public var ppid: UInt32
    /// The task's comm (at most 15 bytes, as the kernel keeps it).
    public var name: String {
        get { storedName }
        set { storedName = newValue; joinArguments() }
    }
    /// Absolute path of the executable file, as the kernel resolved it.
    public var exePath: String
    /// argv, as the process was started (argv[0] included).
    public var args: [String] {
        get { storedArgs }
        set { storedArgs = newValue; joinArguments() }
    }
    private var storedName: String
    private var storedArgs: [String]
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
        self.storedName = name
        self.exePath = exePath
        self.storedArgs = args
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

    /// A new program image (an exec): name and argv replaced together, joined once.
    public mutating func replaceImage(name: String, args: [String]) {
        storedName = name
        storedArgs = args
        joinArguments()
    }

    private mutating func joinArguments() {
        argsText = Self.spaceJoined(nil, storedArgs.dropFirst())
        cmdline = argsText.isEmpty ? storedName : Self.spaceJoined(storedName, storedArgs.dropFirst())
    }

    /// `first` (if any) and `rest`, joined by single spaces into one allocation of the final
    /// size. `joined(separator:)` grows its buffer as it goes: that was ~4,000 instructions
    /// for an exec of a few arguments, and every exec record pays it.
    private static func spaceJoined(_ first: String?, _ rest: ArraySlice<String>) -> String {
        var length = 0
        var pieces = 0
        if let first { length += first.utf8.count; pieces += 1 }
        for a in rest { length += a.utf8.count; pieces += 1 }
        guard pieces > 0 else { return "" }
        length += pieces - 1
        guard length > 0 else { return "" }
        return String(unsafeUninitializedCapacity: length) { out in
            var at = 0
            func put(_ s: String) {
                let copied = s.utf8.withContiguousStorageIfAvailable { bytes -> Int in
                    guard let from = bytes.baseAddress, !bytes.isEmpty else { return 0 }
                    (out.baseAddress! + at).initialize(from: from, count: bytes.count)
                    return bytes.count
                }
                if let copied {
                    at += copied
                } else {
                    for b in s.utf8 { out[at] = b; at += 1 }
                }
            }
            var separated = false
            if let first { put(first); separated = true }
            for a in rest {
                if separated { out[at] = 0x20; at += 1 }
                put(a)
                separated = true
            }
            return at
        }
    }
}
