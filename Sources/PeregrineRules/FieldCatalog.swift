/// The fields conditions and outputs may use: Falco's names and types. Fields Falco has but
/// Peregrine cannot supply are listed with `supplied == false` so existing rules still compile.
public struct FieldCatalog: Sendable {
    public let fields: [FieldInfo]
    private let byName: [String: Int]

    public static let standard = FieldCatalog(fields: FieldCatalog.table)

    public init(fields: [FieldInfo]) {
        var numbered = fields
        var m: [String: Int] = [:]
        for i in numbered.indices {
            numbered[i].id = i
            m[numbered[i].name] = i
        }
        self.fields = numbered
        byName = m
    }

    public subscript(name: String) -> FieldInfo? { byName[name].map { fields[$0] } }

    /// Resolves a written field: an exact name, or `prefix.arg` for fields taking a dotted argument.
    /// Returns the field and the argument written after the dot, if any.
    public func lookup(_ name: String) -> (FieldInfo, dottedArgument: String?)? {
        if let f = self[name] { return (f, nil) }
        var end = name.endIndex
        while let dot = name[..<end].lastIndex(of: ".") {
            if let f = self[String(name[..<dot])], f.argumentAfterDot {
                return (f, String(name[name.index(after: dot)...]))
            }
            end = dot
        }
        return nil
    }

    /// The known field nearest to `name` by edit distance, for "did you mean" hints.
    public func nearest(to name: String) -> String? {
        var best: (String, Int)?
        for f in fields {
            let d = EditDistance.between(name, f.name)
            if best == nil || d < best!.1 { best = (f.name, d) }
        }
        guard let best, best.1 <= max(3, name.count / 3) else { return nil }
        return best.0
    }
}

extension FieldCatalog {
    static let opens: Set<String> = ["open", "openat", "openat2", "creat"]
    static let execs: Set<String> = ["execve", "execveat"]
    static let mounts: Set<String> = ["mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "move_mount", "open_tree"]
    static let fdEvents: Set<String> = opens.union(["fchdir"])

    private static func f(_ name: String, _ type: FieldInfo.ValueType, _ description: String,
                          arg: FieldInfo.ArgumentKind = .none, dotted: Bool = false,
                          many: FieldInfo.Multiplicity = .single, events: Set<String>? = nil,
                          supplied: Bool = true) -> FieldInfo {
        FieldInfo(name: name, type: type, description: description, argument: arg, argumentAfterDot: dotted,
                  multiplicity: many, eventTypes: events, supplied: supplied)
    }

    static let table: [FieldInfo] = [
        // evt.*
        f("evt.num", .uint64, "event sequence number"),
        f("evt.time", .absoluteTime, "event timestamp (nanoseconds since the epoch)"),
        f("evt.time.s", .string, "event timestamp as HH:MM:SS"),
        f("evt.time.iso8601", .string, "event timestamp in ISO 8601 form"),
        f("evt.datetime", .string, "event timestamp with date"),
        f("evt.rawtime", .absoluteTime, "event timestamp as a number"),
        f("evt.type", .string, "event type name (execve, openat, ...)"),
        f("evt.dir", .string, "event direction: > enter, < exit"),
        f("evt.category", .string, "event category (process, file, ...)"),
        f("evt.cpu", .int64, "CPU the event happened on"),
        f("evt.args", .string, "all event arguments as text"),
        f("evt.arg", .string, "one event argument by name or index: evt.arg.flags, evt.arg[1]", arg: .indexOrKey, dotted: true),
        f("evt.rawarg", .string, "one event argument, unformatted", arg: .indexOrKey, dotted: true),
        f("evt.res", .string, "result: SUCCESS or an errno name", events: nil),
        f("evt.rawres", .int64, "result as a number"),
        f("evt.failed", .bool, "true if the call returned an error"),
        f("evt.is_open_read", .bool, "open with read access", events: opens),
        f("evt.is_open_write", .bool, "open with write access", events: opens),
        f("evt.is_open_exec", .bool, "open creating an executable file", events: opens),
        f("evt.is_open_create", .bool, "open that created the file", events: opens),
        f("evt.hostname", .string, "host name of the node"),
        f("evt.source", .string, "event source (syscall)"),
        f("evt.plugininfo", .string, "plugin event summary", supplied: false),
        f("evt.buffer", .bytes, "data buffer of read/write events", supplied: false),
        f("evt.buflen", .uint64, "length of the data buffer", supplied: false),
        f("evt.latency", .relativeTime, "time between enter and exit", supplied: false),
        f("evt.deltatime", .relativeTime, "time since the previous event", supplied: false),
        f("evt.is_io", .bool, "read/write style event", supplied: false),
        f("evt.is_io_read", .bool, "read style event", supplied: false),
        f("evt.is_io_write", .bool, "write style event", supplied: false),
        f("evt.is_syslog", .bool, "write to syslog", supplied: false),
        f("syscall.type", .string, "system call name"),
        // proc.*
        f("proc.pid", .int64, "process id"),
        f("proc.ppid", .int64, "parent process id"),
        f("proc.apid", .int64, "ancestor pid: proc.apid[1] is the parent", arg: .optionalIndex, many: .anyAncestor),
        f("proc.vpid", .int64, "process id inside its pid namespace"),
        f("proc.pvpid", .int64, "parent process id inside its pid namespace"),
        f("proc.name", .string, "process name (comm)"),
        f("proc.pname", .string, "parent process name"),
        f("proc.aname", .string, "ancestor name: proc.aname[2] is the grandparent; without index, any ancestor", arg: .optionalIndex, many: .anyAncestor),
        f("proc.exe", .string, "first command-line argument (argv[0])"),
        f("proc.pexe", .string, "parent's argv[0]"),
        f("proc.aexe", .string, "ancestor argv[0]", arg: .optionalIndex, many: .anyAncestor),
        f("proc.exepath", .string, "full path of the executable"),
        f("proc.pexepath", .string, "parent's executable path"),
        f("proc.aexepath", .string, "ancestor executable path", arg: .optionalIndex, many: .anyAncestor),
        f("proc.args", .string, "command-line arguments after argv[0], space separated"),
        f("proc.cmdline", .string, "name and arguments"),
        f("proc.pcmdline", .string, "parent's name and arguments"),
        f("proc.acmdline", .string, "ancestor name and arguments", arg: .optionalIndex, many: .anyAncestor),
        f("proc.cmdnargs", .uint64, "number of command-line arguments"),
        f("proc.cmdlenargs", .uint64, "total length of the arguments"),
        f("proc.exeline", .string, "argv[0] and arguments"),
        f("proc.env", .string, "environment, or one variable with proc.env[NAME]", arg: .optionalKey),
        f("proc.aenv", .string, "variable from the process or an ancestor", arg: .optionalKey, supplied: false),
        f("proc.cwd", .string, "current working directory"),
        f("proc.tty", .uint64, "controlling terminal (0 if none)"),
        f("proc.sid", .int64, "session id"),
        f("proc.sname", .string, "session leader name"),
        f("proc.vpgid", .int64, "process group id in its namespace"),
        f("proc.vpgid.name", .string, "process group leader name"),
        f("proc.vpgid.exe", .string, "process group leader argv[0]"),
        f("proc.vpgid.exepath", .string, "process group leader executable path"),
        f("proc.is_vpgid_leader", .bool, "process leads its process group"),
        f("proc.is_sid_leader", .bool, "process leads its session"),
        f("proc.loginshellid", .int64, "pid of the oldest shell ancestor"),
        f("proc.duration", .relativeTime, "nanoseconds since the process started"),
        f("proc.ppid.duration", .relativeTime, "nanoseconds since the parent started"),
        f("proc.pid.ts", .absoluteTime, "process start time"),
        f("proc.nthreads", .uint64, "number of threads", supplied: false),
        f("proc.nchilds", .uint64, "number of child threads", supplied: false),
        f("proc.exe_ino", .int64, "inode of the executable"),
        f("proc.exe_ino.ctime", .absoluteTime, "ctime of the executable", supplied: false),
        f("proc.exe_ino.mtime", .absoluteTime, "mtime of the executable", supplied: false),
        f("proc.exe_ino.ctime_duration_proc_start", .relativeTime, "executable ctime to process start", supplied: false),
        f("proc.exe_ino.ctime_duration_pidns_start", .relativeTime, "executable ctime to pid namespace start", supplied: false),
        f("proc.is_exe_writable", .bool, "executable is writable by the process user"),
        f("proc.is_exe_upper_layer", .bool, "executable lives in an overlayfs upper layer"),
        f("proc.is_exe_from_memfd", .bool, "executable is a memfd"),
        f("proc.is_container_healthcheck", .bool, "process is a container health check", supplied: false),
        f("proc.is_container_liveness_probe", .bool, "process is a liveness probe", supplied: false),
        f("proc.is_container_readiness_probe", .bool, "process is a readiness probe", supplied: false),
        f("proc.fdopencount", .uint64, "open file descriptors", supplied: false),
        // thread.*
        f("thread.tid", .int64, "thread id"),
        f("thread.vtid", .int64, "thread id in its namespace"),
        f("thread.ismain", .bool, "thread is the main thread"),
        f("thread.cap_permitted", .string, "permitted capabilities", supplied: false),
        f("thread.cap_effective", .string, "effective capabilities", supplied: false),
        f("thread.cap_inheritable", .string, "inheritable capabilities", supplied: false),
        // user.* group.*
        f("user.uid", .uint64, "user id"),
        f("user.name", .string, "user name"),
        f("user.homedir", .string, "user home directory"),
        f("user.shell", .string, "user login shell"),
        f("user.loginuid", .int64, "audit login uid (-1 if unset)"),
        f("user.loginname", .string, "audit login user name"),
        f("group.gid", .uint64, "group id"),
        f("group.name", .string, "group name"),
        // fd.*
        f("fd.num", .int64, "file descriptor number", events: fdEvents),
        f("fd.type", .string, "fd type: file, directory, ipv4, unix, ...", events: fdEvents),
        f("fd.typechar", .string, "fd type as one letter: f, 4, 6, u, p, ...", events: fdEvents),
        f("fd.name", .string, "full path of the file", events: fdEvents),
        f("fd.directory", .string, "directory part of fd.name", events: fdEvents),
        f("fd.filename", .string, "file name part of fd.name", events: fdEvents),
        f("fd.nameraw", .string, "path as passed to the call", events: fdEvents),
        f("fd.name_changed", .bool, "fd name changed (rename)", supplied: false),
        f("fd.dev", .uint64, "device number of the file", events: fdEvents),
        f("fd.ino", .uint64, "inode number of the file", events: fdEvents),
        f("fd.types", .string, "types of the fds the event touches", arg: .optionalIndex, many: .list, supplied: false),
        f("fd.ip", .ipAddress, "either end's IP address", supplied: false),
        f("fd.cip", .ipAddress, "client IP address", supplied: false),
        f("fd.sip", .ipAddress, "server IP address", supplied: false),
        f("fd.lip", .ipAddress, "local IP address", supplied: false),
        f("fd.rip", .ipAddress, "remote IP address", supplied: false),
        f("fd.port", .port, "either end's port", supplied: false),
        f("fd.cport", .port, "client port", supplied: false),
        f("fd.sport", .port, "server port", supplied: false),
        f("fd.lport", .port, "local port", supplied: false),
        f("fd.rport", .port, "remote port", supplied: false),
        f("fd.net", .ipNetwork, "either end's network", supplied: false),
        f("fd.cnet", .ipNetwork, "client network", supplied: false),
        f("fd.snet", .ipNetwork, "server network", supplied: false),
        f("fd.lnet", .ipNetwork, "local network", supplied: false),
        f("fd.rnet", .ipNetwork, "remote network", supplied: false),
        f("fd.cip.name", .string, "client domain name", supplied: false),
        f("fd.sip.name", .string, "server domain name", supplied: false),
        f("fd.lip.name", .string, "local domain name", supplied: false),
        f("fd.rip.name", .string, "remote domain name", supplied: false),
        f("fd.l4proto", .string, "transport protocol: tcp, udp, icmp, raw", supplied: false),
        f("fd.sockfamily", .string, "socket family: ip or unix", supplied: false),
        f("fd.is_server", .bool, "process is the server end", supplied: false),
        f("fd.connected", .bool, "socket is connected", supplied: false),
        f("fs.path.name", .string, "path named by a filesystem call", supplied: false),
        f("fs.path.nameraw", .string, "path named by a filesystem call, as passed", supplied: false),
        f("fs.path.source", .string, "source path of a filesystem call", supplied: false),
        f("fs.path.sourceraw", .string, "source path, as passed", supplied: false),
        f("fs.path.target", .string, "target path of a filesystem call", supplied: false),
        f("fs.path.targetraw", .string, "target path, as passed", supplied: false),
        // container.*
        f("container.id", .string, "short container id (12 hex digits), 'host' outside containers"),
        f("container.full_id", .string, "full container id"),
        f("container.name", .string, "container name"),
        f("container.type", .string, "container runtime: containerd, cri-o, docker, ..."),
        f("container.image", .string, "image reference"),
        f("container.image.id", .string, "image id"),
        f("container.image.repository", .string, "image repository"),
        f("container.image.tag", .string, "image tag"),
        f("container.image.digest", .string, "image digest"),
        f("container.privileged", .bool, "container runs privileged"),
        f("container.start_ts", .absoluteTime, "container start time"),
        f("container.duration", .relativeTime, "nanoseconds since the container started"),
        f("container.ip", .ipAddress, "container IP address", supplied: false),
        f("container.cni.json", .string, "CNI result as JSON", supplied: false),
        f("container.mounts", .string, "mounts as source:dest:mode:rdwr:propagation", many: .list, supplied: false),
        f("container.mount", .string, "one mount by index or source path", arg: .indexOrKey, supplied: false),
        f("container.mount.source", .string, "mount source by index or destination", arg: .indexOrKey, supplied: false),
        f("container.mount.dest", .string, "mount destination by index or source", arg: .indexOrKey, supplied: false),
        f("container.mount.mode", .string, "mount mode by index or source", arg: .indexOrKey, supplied: false),
        f("container.mount.rdwr", .string, "mount read/write flag by index or source", arg: .indexOrKey, supplied: false),
        f("container.mount.propagation", .string, "mount propagation by index or source", arg: .indexOrKey, supplied: false),
        f("container.healthcheck", .string, "health check command", supplied: false),
        f("container.liveness_probe", .string, "liveness probe command", supplied: false),
        f("container.readiness_probe", .string, "readiness probe command", supplied: false),
        // k8s.*
        f("k8s.ns.name", .string, "pod namespace"),
        f("k8s.pod.name", .string, "pod name"),
        f("k8s.pod.uid", .string, "pod UID"),
        f("k8s.pod.id", .string, "pod UID (older name)"),
        f("k8s.pod.labels", .string, "pod labels as key:value pairs", many: .list),
        f("k8s.pod.label", .string, "one pod label: k8s.pod.label[app]", arg: .requiredKey),
        f("k8s.pod.ip", .ipAddress, "pod IP address", supplied: false),
        f("k8s.pod.cni.json", .string, "pod CNI result", supplied: false),
        f("k8s.pod.sandbox_id", .string, "pod sandbox id"),
        f("k8s.pod.full_sandbox_id", .string, "full pod sandbox id"),
        f("k8s.ns.id", .string, "namespace UID", supplied: false),
        f("k8s.ns.labels", .string, "namespace labels", many: .list, supplied: false),
        f("k8s.ns.label", .string, "one namespace label", arg: .requiredKey, supplied: false),
        f("k8s.rc.name", .string, "replication controller name", supplied: false),
        f("k8s.rs.name", .string, "replica set name", supplied: false),
        f("k8s.svc.name", .string, "service name", supplied: false),
        f("k8s.deployment.name", .string, "deployment name", supplied: false),
    ]
}
