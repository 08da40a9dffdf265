/// Renders a decoded record as one line of Falco-named JSON (`peregrine events`,
/// `peregrine replay --events`). Keys follow shared/INTERFACE.md: a field that does not
/// apply to the event is absent; numbers are numbers.
public struct EventJSON {
    /// Added to the kernel's boot-clock timestamps to give nanoseconds since the epoch.
    public var bootToEpochNs: Int64
    private var line = JSONLine()

    public init(bootToEpochNs: Int64) {
        self.bootToEpochNs = bootToEpochNs
    }

    /// Falco's `evt.type` for a record.
    public static func eventType(_ event: EventView) -> String {
        switch event.kind {
        case .exit: return "procexit"
        case .fork: return event.syscall == .none ? "clone" : event.syscall.falcoName
        default: return event.syscall.falcoName
        }
    }

    /// `evt.res`: 0, or the errno's name.
    public static func resultName(_ res: Int64) -> String? {
        res < 0 ? ErrnoName.name(Int(-res)) : nil
    }

    /// The absolute path an open refers to: the kernel's resolved path when it succeeded,
    /// else the caller's path made absolute against the directory it was relative to.
    public static func openPath(_ open: OpenFields) -> [UInt8] {
        if open.path.count > 0 { return Array(open.path) }
        if open.raw.first == UInt8(ascii: "/") { return PathNormalizer.normalize(Array(open.raw)) }
        return PathNormalizer.resolve(open.raw, relativeTo: open.base)
    }

    /// Renders `event`, with process context from `processes` (already updated with it).
    public mutating func render(_ event: EventView, number: UInt64, processes: ProcessTable) -> [UInt8] {
        line.begin()
        line.field("evt.num", number)
        line.field("evt.time", Int64(bitPattern: event.timestampBootNs) &+ bootToEpochNs)
        line.field("evt.type", Self.eventType(event))
        if let res = event.result, event.kind != .fork {
            if let name = Self.resultName(res) { line.field("evt.res", name) } else { line.field("evt.res", 0) }
            line.field("evt.rawres", res)
        }
        let process = processes[event.pid]
        line.field("proc.pid", event.pid)
        line.field("thread.tid", event.tid)
        line.field("proc.ppid", event.ppid)
        if let process {
            line.field("proc.name", process.name.isEmpty ? String(decoding: event.comm, as: UTF8.self) : process.name)
            if !process.exePath.isEmpty { line.field("proc.exepath", process.exePath) }
            line.field("proc.cmdline", process.cmdline)
            if !process.cwd.isEmpty { line.field("proc.cwd", process.cwd) }
            line.field("container.id", process.containerID)
        } else {
            line.field("proc.name", bytes: event.comm)
        }
        line.field("user.uid", event.uid)
        line.field("group.gid", event.gid)

        switch event.kind {
        case .exec: renderExec(event, process: process)
        case .open: renderOpen(event)
        case .mount: renderMount(event)
        case .fork:
            line.field("evt.res", 0)
            line.field("evt.rawres", event.fork.childPid)
            line.field("proc.child_pid", event.fork.childPid)
        case .exit:
            line.field("evt.arg.status", event.exit.exitCode)
        case .chdir:
            if event.chdir.raw.count > 0 { line.field("evt.arg.path", bytes: event.chdir.raw) }
        }
        let flags = event.flags
        if flags.contains(.pathTruncated) { line.field("evt.path_truncated", true) }
        if flags.contains(.argsTruncated) { line.field("evt.args_truncated", true) }
        line.end()
        return line.bytes
    }

    private mutating func renderExec(_ event: EventView, process: ProcessInfo?) {
        let exec = event.exec
        line.field("evt.arg.filename", bytes: exec.filename)
        if event.result == 0, let process {
            line.field("proc.args", process.args.dropFirst().joined(separator: " "))
            line.field("proc.tty", exec.tty)
            line.field("user.loginuid", Int64(Int32(bitPattern: exec.loginuid)))
            line.field("proc.vpid", exec.vpid)
            line.field("proc.sid", exec.sid)
            line.field("proc.pidns_ino", exec.pidNamespace)
            line.field("proc.mntns_ino", exec.mountNamespace)
            line.field("proc.cgroup", process.cgroup)
        } else {
            line.field("evt.arg.args", strings: ProcessTable.argv(exec.args))
        }
        if exec.dirfd != -100 { line.field("evt.arg.dirfd", exec.dirfd) }
    }

    private mutating func renderOpen(_ event: EventView) {
        let open = event.open
        let path = Self.openPath(open)
        path.withUnsafeBytes { line.field("fd.name", bytes: $0) }
        line.field("fd.nameraw", bytes: open.raw)
        if let res = event.result, res >= 0 { line.field("fd.num", res) }
        line.field("evt.arg.flags", OpenFlags.describe(open.flags))
        line.field("evt.arg.mode", open.mode)
        if open.dirfd != -100 { line.field("evt.arg.dirfd", open.dirfd) }
        if open.resolve != 0 { line.field("evt.arg.resolve", open.resolve) }
        line.field("evt.is_open_read", OpenFlags.isRead(open.flags))
        line.field("evt.is_open_write", OpenFlags.isWrite(open.flags))
        if open.ino != 0 { line.field("fd.ino", open.ino) }
    }

    private mutating func renderMount(_ event: EventView) {
        let mount = event.mount
        if mount.source.count > 0 { line.field("evt.arg.dev", bytes: mount.source) }
        if mount.target.count > 0 {
            let dir = PathNormalizer.resolve(mount.target, relativeTo: mount.base)
            dir.withUnsafeBytes { line.field("evt.arg.dir", bytes: $0) }
        }
        if mount.fstype.count > 0 { line.field("evt.arg.type", bytes: mount.fstype) }
        switch event.syscall {
        case .mount: line.field("evt.arg.flags", MountFlags.describe(mount.flags))
        default: line.field("evt.arg.flags", mount.flags)
        }
        if mount.fromDirfd != -100 { line.field("evt.arg.fd", mount.fromDirfd) }
    }
}
