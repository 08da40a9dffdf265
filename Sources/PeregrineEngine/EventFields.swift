import PeregrineEvents
import PeregrineRules

/// Falco field values for one decoded event and the process table it happened in. This is
/// what rules and outputs see; a field that does not apply to the event is nil (missing).
public struct EventFields: FieldValueSource {
    public let event: EventView
    public let number: UInt64
    public let processes: ProcessTable
    public let context: EngineContext

    public init(event: EventView, number: UInt64, processes: ProcessTable, context: EngineContext) {
        self.event = event
        self.number = number
        self.processes = processes
        self.context = context
    }

    var process: ProcessInfo? { processes[event.pid] }

    public var eventType: String { EventJSON.eventType(event) }

    public var timeNs: UInt64 { UInt64(bitPattern: Int64(bitPattern: event.timestampBootNs) &+ context.bootToEpochNs) }

    public func value(of field: ResolvedField) -> FieldValue? {
        let name = field.info.name
        if name.hasPrefix("proc.a") || name == "proc.pname" || name == "proc.pexe" || name == "proc.pexepath"
            || name == "proc.pcmdline" || name == "proc.ppid" || name == "proc.apid" {
            return ancestorValue(field)
        }
        switch name {
        case "evt.num": return .uint(number)
        case "evt.time", "evt.rawtime": return .uint(timeNs)
        case "evt.type", "syscall.type": return .string(eventType)
        case "evt.dir": return .string("<")
        case "evt.source": return .string("syscall")
        case "evt.hostname": return .string(context.hostname)
        case "evt.category":
            switch event.kind {
            case .open, .chdir: return .string("file")
            case .mount: return .string("other")
            default: return .string("process")
            }
        case "evt.res":
            guard let r = result else { return nil }
            return .string(r < 0 ? ErrnoName.name(Int(-r)) : "SUCCESS")
        case "evt.rawres": return result.map { .int($0) }
        case "evt.failed": return result.map { .bool($0 < 0) }
        case "evt.is_open_read": return openFlags.map { .bool(OpenFlags.isRead($0)) }
        case "evt.is_open_write": return openFlags.map { .bool(OpenFlags.isWrite($0)) }
        case "evt.is_open_create": return openFlags.map { .bool($0 & OpenFlags.create != 0) }
        case "evt.is_open_exec": return openFlags.map { _ in .bool(false) }
        case "evt.arg", "evt.rawarg": return argument(field)
        case "proc.pid": return .uint(UInt64(event.pid))
        case "proc.vpid": return process.map { .uint(UInt64($0.vpid == 0 ? $0.pid : $0.vpid)) }
        case "proc.name": return .string(processName(process))
        case "proc.exe": return process.map { .string($0.args.first ?? $0.name) }
        case "proc.exepath": return process.map { .string($0.exePath) }
        case "proc.args": return process.map { .string($0.args.dropFirst().joined(separator: " ")) }
        case "proc.cmdline": return process.map { .string($0.cmdline) }
        case "proc.cmdnargs": return process.map { .uint(UInt64(max($0.args.count - 1, 0))) }
        case "proc.cmdlenargs": return process.map { .uint(UInt64($0.args.dropFirst().reduce(0) { $0 + $1.utf8.count })) }
        case "proc.exeline": return process.map { .string($0.args.joined(separator: " ")) }
        case "proc.cwd": return process.map { .string($0.cwd.hasSuffix("/") ? $0.cwd : $0.cwd + "/") }
        case "proc.tty": return process.map { .uint(UInt64($0.tty)) }
        case "proc.sid": return process.map { .uint(UInt64($0.sid)) }
        case "proc.is_sid_leader": return process.map { .bool($0.sid == $0.pid) }
        case "proc.pid.ts": return process.map { .uint($0.startBootNs) }
        case "thread.tid": return .uint(UInt64(event.tid))
        case "thread.ismain": return .bool(event.tid == event.pid)
        case "user.uid": return .uint(UInt64(event.uid))
        case "user.name": return context.userName(event.uid).map { .string($0) }
        case "user.loginuid": return process.map { .int(Int64(Int32(bitPattern: $0.loginuid))) }
        case "user.loginname":
            guard let p = process, p.loginuid != UInt32.max else { return nil }
            return context.userName(p.loginuid).map { .string($0) }
        case "group.gid": return .uint(UInt64(event.gid))
        case "group.name": return context.groupName(event.gid).map { .string($0) }
        case "container.id": return .string(process?.containerID ?? ContainerID.host)
        case "container.full_id":
            guard let p = process else { return .string(ContainerID.host) }
            return .string(ContainerID.fullID(fromCgroup: p.cgroup) ?? ContainerID.host)
        case "fd.num": return openSucceeded ? result.map { .int($0) } : nil
        case "fd.name": return fdName.map { .bytes($0) }
        case "fd.nameraw": return event.kind == .open ? .bytes(Array(event.open.raw)) : nil
        case "fd.directory": return fdName.map { .bytes(Self.directory(of: $0)) }
        case "fd.filename": return fdName.map { .bytes(Self.basename(of: $0)) }
        case "fd.typechar":
            guard let flags = openFlags else { return nil }
            return .string(flags & 0o200000 != 0 ? "d" : "f")
        case "fd.type":
            guard let flags = openFlags else { return nil }
            return .string(flags & 0o200000 != 0 ? "directory" : "file")
        case "fd.ino": return event.kind == .open && openSucceeded ? .uint(event.open.ino) : nil
        case "fd.dev": return event.kind == .open && openSucceeded ? .uint(UInt64(event.open.dev)) : nil
        default:
            return context.extraField?(field, self)
        }
    }

    var result: Int64? {
        event.kind == .fork || event.kind == .exit ? nil : event.result
    }

    var openFlags: UInt32? { event.kind == .open ? event.open.flags : nil }

    var openSucceeded: Bool { event.kind == .open && (event.result ?? -1) >= 0 }

    /// The absolute path of the file an open refers to (see `EventJSON.openPath`).
    var fdName: [UInt8]? { event.kind == .open ? EventJSON.openPath(event.open) : nil }

    func processName(_ p: ProcessInfo?) -> String {
        if let p, !p.name.isEmpty { return p.name }
        return String(decoding: event.comm, as: UTF8.self)
    }

    /// `evt.arg.NAME` / `evt.arg[N]` for the kinds we report.
    func argument(_ field: ResolvedField) -> FieldValue? {
        guard case .key(let key)? = field.argument else { return nil }
        switch (event.kind, key) {
        case (.open, "flags"): return .string(OpenFlags.describe(event.open.flags))
        case (.open, "mode"): return .uint(UInt64(event.open.mode))
        case (.open, "name"), (.open, "path"): return fdName.map { .bytes($0) }
        case (.open, "dirfd"): return .int(Int64(event.open.dirfd))
        case (.open, "fd"), (_, "res"): return result.map { .int($0) }
        case (.exec, "filename"), (.exec, "exe"): return .bytes(Array(event.exec.filename))
        case (.exec, "args"): return .string(ProcessTable.argv(event.exec.args).dropFirst().joined(separator: " "))
        case (.exec, "cwd"): return .bytes(Array(event.exec.cwd))
        case (.mount, "dev"), (.mount, "source"), (.mount, "special"): return .bytes(Array(event.mount.source))
        case (.mount, "dir"), (.mount, "name"), (.mount, "target"):
            return .bytes(PathNormalizer.resolve(event.mount.target, relativeTo: event.mount.base))
        case (.mount, "type"), (.mount, "fstype"): return .bytes(Array(event.mount.fstype))
        case (.mount, "flags"): return .string(MountFlags.describe(event.mount.flags))
        case (.chdir, "path"): return .bytes(Array(event.chdir.raw))
        default: return nil
        }
    }

    /// Parent and ancestor fields, answered from the process table. `proc.aname` without an
    /// index stands for every ancestor; `[0]` is the process itself, `[1]` its parent.
    func ancestorValue(_ field: ResolvedField) -> FieldValue? {
        let name = field.info.name
        let chain = processes.ancestors(of: event.pid)
        func pick(_ p: ProcessInfo) -> FieldValue {
            switch name {
            case "proc.pname", "proc.aname": return .string(p.name)
            case "proc.pexe", "proc.aexe": return .string(p.args.first ?? p.name)
            case "proc.pexepath", "proc.aexepath": return .string(p.exePath)
            case "proc.pcmdline", "proc.acmdline": return .string(p.cmdline)
            case "proc.ppid", "proc.apid": return .uint(UInt64(p.pid))
            default: return .string(p.name)
            }
        }
        switch name {
        case "proc.ppid":
            return .uint(UInt64(event.ppid))
        case "proc.pname", "proc.pexe", "proc.pexepath", "proc.pcmdline":
            return chain.first.map(pick)
        default:
            if case .index(let i)? = field.argument {
                if i == 0 {
                    guard let me = process else { return name == "proc.aname" ? .string(processName(nil)) : nil }
                    return pick(me)
                }
                return i <= chain.count ? pick(chain[i - 1]) : nil
            }
            return chain.isEmpty ? nil : .list(chain.map(pick))
        }
    }

    static func directory(of path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return Array(".".utf8) }
        return slash == 0 ? [UInt8(ascii: "/")] : Array(path[..<slash])
    }

    static func basename(of path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return Array(path[(slash + 1)...])
    }
}
