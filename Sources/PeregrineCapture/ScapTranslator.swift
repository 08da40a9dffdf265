import PeregrineEvents

/// Keeps the thread table the way sysdig does while events go by, and turns the exit
/// events Peregrine models into wire records.
///
/// State: the process list seeds the threads (with their fds from the fd lists); clone,
/// fork, vfork and clone3 exits create threads (whichever of parent and child reports
/// first); execve/execveat exits replace the image (comm, exe, args, cwd, ...); procexit
/// removes the thread; chdir/fchdir move the cwd; successful opens add fds, closes drop
/// them. Entry events are kept per thread until their exit, for the parameters only the
/// entry carries (openat's path in old drivers, fchdir's fd, mount flags, execveat's dirfd).
struct ScapTranslator {
    /// A thread of the table, held by reference. Most events change one field of a thread
    /// (an fd, the cwd); a struct stored in the dictionary was copied whole, fd table
    /// included, whenever a copy of it was alive, which cost ~13k instructions per open.
    final class Entry {
        var thread: ScapThread
        /// In the table. A thread met while the table is full is made up for its event only
        /// (see `Limits`), and nothing is remembered on it.
        let kept: Bool
        init(_ thread: ScapThread, kept: Bool = true) {
            self.thread = thread
            self.kept = kept
        }
    }

    /// What a capture can make the translator keep, whatever the file says, so that memory
    /// stays within a fixed bound (issue 5): threads (each with at most one entry event
    /// waiting for its exit) and fds over all threads. A fork copies its parent's fds, so a
    /// bound per thread would still let a file multiply them. Beyond a limit, new threads and
    /// fds are not remembered and are counted in `overflows`; their events still translate,
    /// with what is known (an fd's path: `<UNKNOWN>`, as sysdig writes for fds it never saw).
    struct Limits {
        var threads = ScapReader.Options.defaultMaxThreads
        var fds = ScapReader.Options.defaultMaxFds
    }

    /// What was not remembered because a limit was reached.
    struct Overflows {
        /// Events that met a thread the full table could not keep.
        var threads = 0
        var pendingEntries = 0
        var fds = 0
    }

    let limits: Limits
    private(set) var overflows = Overflows()
    /// fds over all kept threads, against `limits.fds`.
    private var fdCount = 0

    /// Threads by tid. Add and drop them through `store`/`remove`, and change a pid through
    /// `regroup`, which keep `groupSizes`; other fields may be changed in place.
    private var table: [Int64: Entry] = [:]
    /// Threads per thread group, so an exit knows in O(1) whether its group lives on.
    private var groupSizes: [Int64: Int] = [:]
    private var lastEnter: [Int64: ScapEvent] = [:]
    /// Events read but not translated, by event type (entries of modeled syscalls are not
    /// counted: they are consumed). An array, so the per-event path does not hash strings.
    private var skippedByType = [Int](repeating: 0, count: 512)
    private var skippedBeyondTable: [UInt16: Int] = [:]
    /// Modeled events that made no record, by reason (`clone (child)`, `procexit (thread)`, ...).
    private var skippedByReason: [SkipKey: Int] = [:]

    /// Why a modeled event made no record, with its type: names are only built for the report.
    private enum SkipReason: String { case child, failed, thread }
    private struct SkipKey: Hashable {
        var type: UInt16
        var reason: SkipReason
    }

    /// The thread table as values (a copy, for callers outside the translator).
    var threads: [Int64: ScapThread] { table.mapValues(\.thread) }

    /// Events not translated, by sysdig's `evt.type` name (or a reason).
    var skipped: [String: Int] {
        var out: [String: Int] = [:]
        for (key, n) in skippedByReason { out[ScapEventNames.name(of: key.type) + " (\(key.reason.rawValue))", default: 0] += n }
        for (type, n) in skippedByType.enumerated() where n > 0 {
            out[ScapEventNames.name(of: UInt16(type)), default: 0] += n
        }
        for (type, n) in skippedBeyondTable { out[ScapEventNames.name(of: type), default: 0] += n }
        return out
    }

    /// Counts an event that makes no record (the reader calls it for types it never hands over).
    mutating func skip(_ type: UInt16) {
        if Int(type) < skippedByType.count { skippedByType[Int(type)] += 1 } else { skippedBeyondTable[type, default: 0] += 1 }
    }
    private mutating func skip(_ type: UInt16, _ reason: SkipReason) {
        skippedByReason[SkipKey(type: type, reason: reason), default: 0] += 1
    }

    /// The per-type counters of `skip(_:)`, for a loop that counts many events at once.
    mutating func withSkipCounters<R>(_ body: (inout UnsafeMutableBufferPointer<Int>) -> R) -> R {
        skippedByType.withUnsafeMutableBufferPointer { body(&$0) }
    }

    static let atFdcwd: Int64 = -100

    init(threads: [Int64: ScapThread], limits: Limits = Limits()) {
        self.limits = limits
        for t in threads.values { store(t) }
    }

    /// Adds `t`, or replaces the thread with its tid. Its fds are dropped (and counted) when
    /// they would take the table past `limits.fds`; with the table full, a new thread is
    /// not kept.
    @discardableResult
    mutating func store(_ t: ScapThread) -> Entry {
        var t = t
        let old = table[t.tid]
        guard old != nil || table.count < limits.threads else {
            overflows.threads += 1
            t.fds = [:]
            return Entry(t, kept: false)
        }
        let freed = old?.thread.fds.count ?? 0
        if fdCount - freed + t.fds.count > limits.fds {
            overflows.fds += t.fds.count
            t.fds = [:]
        }
        fdCount += t.fds.count - freed
        groupSizes[t.pid, default: 0] += 1
        if let old {
            shrink(old.thread.pid)
            old.thread = t
            return old
        }
        let entry = Entry(t)
        table[t.tid] = entry
        return entry
    }

    mutating func remove(_ tid: Int64) {
        guard let old = table.removeValue(forKey: tid) else { return }
        fdCount -= old.thread.fds.count
        shrink(old.thread.pid)
    }

    /// Names fd `fd` of `entry` (nil: closes it), within `limits.fds`.
    private mutating func setFd(_ fd: Int64, _ name: String?, in entry: Entry) {
        guard entry.kept else { return }
        guard let name else {
            if entry.thread.fds.removeValue(forKey: fd) != nil { fdCount -= 1 }
            return
        }
        // One lookup when the fd is new or the table has room (the usual cases).
        guard entry.thread.fds.updateValue(name, forKey: fd) == nil else { return }
        if fdCount < limits.fds {
            fdCount += 1
        } else {
            entry.thread.fds.removeValue(forKey: fd)
            overflows.fds += 1
        }
    }

    /// Keeps `event` until its thread's exit event, within `limits.threads` threads waiting.
    private mutating func keepEnter(_ event: ScapEvent) {
        if lastEnter.count >= limits.threads && lastEnter[event.tid] == nil {
            overflows.pendingEntries += 1
            return
        }
        lastEnter[event.tid] = event.detached()
    }

    /// Moves a thread to another thread group.
    private mutating func regroup(_ entry: Entry, pid: Int64) {
        guard entry.thread.pid != pid else { return }
        shrink(entry.thread.pid)
        entry.thread.pid = pid
        groupSizes[pid, default: 0] += 1
    }

    private mutating func shrink(_ pid: Int64) {
        let n = (groupSizes[pid] ?? 1) - 1
        groupSizes[pid] = n > 0 ? n : nil
    }

    /// Adds fds from an fd list block to a thread of the process list.
    mutating func addFds(_ fds: [(Int64, String)], to tid: Int64) {
        guard let entry = table[tid] else { return }
        for (fd, name) in fds { setFd(fd, name, in: entry) }
    }

    // MARK: thread helpers

    /// The thread, made up as sysdig does when an event names one it has never seen: its
    /// own group, parent -1, uid and gid unknown (UInt32.max, never 0 = root), no comm.
    private mutating func thread(_ tid: Int64) -> Entry {
        if let entry = table[tid] { return entry }
        var t = ScapThread(tid: tid, pid: tid, ptid: -1)
        t.uid = UInt32.max
        t.gid = UInt32.max
        return store(t)
    }

    /// fds and cwd belong to the thread group: kept on its leader when we know it, else on
    /// the thread itself.
    private func owner(of tid: Int64) -> Entry? {
        table[tid].map(owner(of:))
    }

    private func owner(of entry: Entry) -> Entry {
        table[entry.thread.pid] ?? entry
    }

    func cwd(of tid: Int64) -> String {
        owner(of: tid)?.thread.cwd ?? ""
    }

    private func setCwd(_ cwd: String, of tid: Int64) {
        guard let entry = table[tid] else { return }
        entry.thread.cwd = cwd
        if let leader = table[entry.thread.pid], leader !== entry { leader.thread.cwd = cwd }
    }

    func fdName(_ fd: Int64, of tid: Int64) -> String? {
        owner(of: tid)?.thread.fds[fd] ?? table[tid]?.thread.fds[fd]
    }

    private mutating func setFd(_ fd: Int64, _ name: String?, of tid: Int64) {
        if let owner = owner(of: tid) { setFd(fd, name, in: owner) }
    }

    /// `owner`, when the caller has it, is `owner(of: entry)`.
    private func header(_ kind: EventKind, _ syscall: SyscallID, _ event: ScapEvent, _ entry: Entry,
                        owner: Entry? = nil, flags: WireLayout.Flags = []) -> RecordWriter {
        // The process's parent is the main thread's parent: its thread group when we know
        // that thread, else the parent tid as recorded (-1 when never known), as sysdig.
        let (pid, tid) = (entry.thread.pid, entry.thread.tid)
        let ptid = (owner ?? self.owner(of: entry)).thread.ptid
        let parent = table[ptid]?.thread.pid ?? ptid
        return RecordWriter(kind: kind, syscall: syscall, timestampBootNs: event.timestamp,
                            pid: UInt32(truncatingIfNeeded: pid), tid: UInt32(truncatingIfNeeded: tid),
                            ppid: UInt32(truncatingIfNeeded: parent), uid: entry.thread.uid, gid: entry.thread.gid,
                            comm: entry.thread.comm, flags: flags)
    }

    /// sysdig's path arithmetic: absolute names stand alone, others join the directory.
    static func resolve(_ name: String, in directory: String) -> String {
        if name.isEmpty { return "" }
        var (name, directory) = (name, directory)
        // Most paths are absolute and already normal: they stand as they are.
        if name.withUTF8({ PathNormalizer.isNormalAbsolute(UnsafeRawBufferPointer($0)) }) { return name }
        let out = name.withUTF8 { n in
            directory.withUTF8 { d in PathNormalizer.resolve(UnsafeRawBufferPointer(n), relativeTo: UnsafeRawBufferPointer(d)) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: events

    /// Folds `event` into the state; returns the record for a modeled exit event.
    mutating func apply(_ event: ScapEvent) -> [UInt8]? {
        switch event.type {
        // entries whose parameters the exit needs
        case 2, 58, 102, 306, 326, 96, 4, 256, 258, 386, 390, 330, 12, 154, 172, 214, 230, 282, 288, 292,
             14, 156, 216, 222, 182, 184, 218, 220, 224, 226, 334:
            keepEnter(event)
            if event.type == 4 { skip(event.type) }
            return nil
        case 3, 59, 103, 307, 327:
            return open(event)
        case 5:
            defer { lastEnter[event.tid] = nil }
            if let enter = lastEnter[event.tid], enter.type == 4, let res = event.int(0), res >= 0, let fd = enter.int(0) {
                setFd(fd, nil, of: event.tid)
            }
            skip(event.type)
            return nil
        case 95, 97:
            return chdir(event)
        case 13, 155, 173, 215, 231, 283, 289, 293, 331:
            return exec(event)
        case 15, 157, 217, 223, 183, 185, 219, 221, 225, 227, 335:
            return clone(event)
        case 16, 186:
            return procexit(event)
        case 257, 259, 387, 391:
            return mount(event)
        default:
            skip(event.type)
            return nil
        }
    }

    private mutating func takeEnter(_ tid: Int64, types: [UInt16]) -> ScapEvent? {
        guard let e = lastEnter.removeValue(forKey: tid), types.contains(e.type) else { return nil }
        return e
    }

    private mutating func open(_ event: ScapEvent) -> [UInt8] {
        let entry = thread(event.tid)
        let res = event.int(0) ?? -1
        var name: String?
        var ppmFlags: UInt32?
        var mode: UInt32 = 0
        var dirfd: Int64 = Self.atFdcwd
        var resolveFlags: UInt32 = 0
        var dev: UInt32 = 0
        var ino: UInt64 = 0
        let syscall: SyscallID
        switch event.type {
        case 3:
            syscall = .open
            let enter = takeEnter(event.tid, types: [2])
            name = event.text(1) ?? enter?.text(0)
            ppmFlags = (event.uint(2) ?? enter?.uint(1)).map { UInt32(truncatingIfNeeded: $0) }
            mode = UInt32(truncatingIfNeeded: event.uint(3) ?? enter?.uint(2) ?? 0)
            dev = UInt32(truncatingIfNeeded: event.uint(4) ?? 0)
            ino = event.uint(5) ?? 0
        case 59:
            syscall = .creat
            let enter = takeEnter(event.tid, types: [58])
            name = event.text(1) ?? enter?.text(0)
            mode = UInt32(truncatingIfNeeded: event.uint(2) ?? enter?.uint(1) ?? 0)
            dev = UInt32(truncatingIfNeeded: event.uint(3) ?? 0)
            ino = event.uint(4) ?? 0
        case 103, 307:
            syscall = .openat
            let enter = takeEnter(event.tid, types: [102, 306])
            if event.count >= 3 {
                dirfd = event.int(1) ?? Self.atFdcwd
                name = event.text(2)
                ppmFlags = event.uint(3).map { UInt32(truncatingIfNeeded: $0) }
                mode = UInt32(truncatingIfNeeded: event.uint(4) ?? 0)
                dev = UInt32(truncatingIfNeeded: event.uint(5) ?? 0)
                ino = event.uint(6) ?? 0
            } else if let enter {
                dirfd = enter.int(0) ?? Self.atFdcwd
                name = enter.text(1)
                ppmFlags = enter.uint(2).map { UInt32(truncatingIfNeeded: $0) }
                mode = UInt32(truncatingIfNeeded: enter.uint(3) ?? 0)
            }
        default:
            syscall = .openat2
            let enter = takeEnter(event.tid, types: [326])
            if event.count >= 3 {
                dirfd = event.int(1) ?? Self.atFdcwd
                name = event.text(2)
                ppmFlags = event.uint(3).map { UInt32(truncatingIfNeeded: $0) }
                mode = UInt32(truncatingIfNeeded: event.uint(4) ?? 0)
                resolveFlags = UInt32(truncatingIfNeeded: event.uint(5) ?? 0)
                dev = UInt32(truncatingIfNeeded: event.uint(6) ?? 0)
                ino = event.uint(7) ?? 0
            } else if let enter {
                dirfd = enter.int(0) ?? Self.atFdcwd
                name = enter.text(1)
                ppmFlags = enter.uint(2).map { UInt32(truncatingIfNeeded: $0) }
                mode = UInt32(truncatingIfNeeded: enter.uint(3) ?? 0)
                resolveFlags = UInt32(truncatingIfNeeded: enter.uint(4) ?? 0)
            }
        }
        let raw = name ?? ""
        // openat with a real dirfd is relative to that directory; sysdig writes <UNKNOWN>
        // for a dirfd it has no name for.
        let owner = owner(of: entry)
        let base: String
        if dirfd == Self.atFdcwd || raw.hasPrefix("/") {
            base = owner.thread.cwd
        } else {
            base = owner.thread.fds[dirfd] ?? entry.thread.fds[dirfd] ?? "<UNKNOWN>"
        }
        let path = Self.resolve(raw, in: base)
        if res >= 0 && !path.isEmpty { setFd(res, path, in: owner) }

        let flags = syscall == .creat ? ScapFlags.creatFlags : ScapFlags.openFlags(ppmFlags ?? 0)
        var w = header(.open, syscall, event, entry, owner: owner)
        w.put(res, at: WireLayout.Open.res)
        w.put(flags, at: WireLayout.Open.flags)
        w.put(mode, at: WireLayout.Open.mode)
        w.put(Int32(truncatingIfNeeded: dirfd), at: WireLayout.Open.dirfd)
        w.put(dev, at: WireLayout.Open.dev)
        w.put(ino, at: WireLayout.Open.ino)
        w.put(UInt64(resolveFlags), at: WireLayout.Open.resolve)
        w.string(path, at: WireLayout.Open.path)
        w.string(raw, at: WireLayout.Open.raw)
        w.string(base, at: WireLayout.Open.base)
        return w.bytes()
    }

    private mutating func chdir(_ event: ScapEvent) -> [UInt8] {
        let res = event.int(0) ?? -1
        var raw = ""
        var newCwd = cwd(of: event.tid)
        let syscall: SyscallID
        if event.type == 95 {
            syscall = .chdir
            _ = takeEnter(event.tid, types: [94])
            raw = event.text(1) ?? ""
            if res >= 0 { newCwd = Self.resolve(raw, in: newCwd) }
        } else {
            syscall = .fchdir
            let enter = takeEnter(event.tid, types: [96])
            if res >= 0, let fd = enter?.int(0), let name = fdName(fd, of: event.tid) { newCwd = name }
        }
        let entry = thread(event.tid)
        if res >= 0 { setCwd(newCwd, of: event.tid) }
        var w = header(.chdir, syscall, event, entry)
        w.put(res, at: WireLayout.Chdir.res)
        w.string(newCwd, at: WireLayout.Chdir.cwd)
        w.string(raw, at: WireLayout.Chdir.raw)
        return w.bytes()
    }

    private mutating func exec(_ event: ScapEvent) -> [UInt8] {
        let res = event.int(0) ?? -1
        let enter = takeEnter(event.tid, types: [12, 154, 172, 214, 230, 282, 288, 292, 330])
        let entry = thread(event.tid)
        let isAt = event.type == 331
        let filename = (isAt ? enter?.text(1) : nil) ?? event.text(1) ?? enter?.text(0) ?? ""
        if res == 0 {
            if let pid = event.int(4), pid > 0 { regroup(entry, pid: pid) }
            // In place: the thread's fd table is not copied.
            entry.thread.replaceImage(with: event)
        }
        let t = entry.thread
        var w = header(.exec, isAt ? .execveat : .execve, event, entry)
        w.put(res, at: WireLayout.Exec.res)
        w.put(t.uid, at: WireLayout.Exec.euid)
        w.put(t.loginuid, at: WireLayout.Exec.loginuid)
        w.put(t.tty, at: WireLayout.Exec.tty)
        w.put(UInt32(truncatingIfNeeded: max(t.vpid, 0)), at: WireLayout.Exec.vpid)
        w.put(UInt32(truncatingIfNeeded: max(t.sid, 0)), at: WireLayout.Exec.sid)
        let argv = res == 0 ? NulSeparated.prepending(t.exe, to: t.argsList)
                            : NulSeparated.prepending(filename, to: event.raw(2))
        w.put(UInt32(argv.count), at: WireLayout.Exec.argc)
        let dirfd = isAt ? (enter?.int(0) ?? Self.atFdcwd) : Self.atFdcwd
        w.put(Int32(truncatingIfNeeded: dirfd), at: WireLayout.Exec.dirfd)
        if isAt { w.put(UInt32(truncatingIfNeeded: enter?.uint(2) ?? 0), at: WireLayout.Exec.atFlags) }
        w.put(event.timestamp, at: WireLayout.Exec.startBootNs)
        w.string(res == 0 ? (t.exePath.isEmpty ? t.exe : t.exePath) : "", at: WireLayout.Exec.exe)
        w.string(filename, at: WireLayout.Exec.filename)
        w.string(bytes: argv.list, at: WireLayout.Exec.args)
        w.string(cwd(of: event.tid), at: WireLayout.Exec.cwd)
        w.string(t.cgroupPath, at: WireLayout.Exec.cgroup)
        return w.bytes()
    }

    /// Where comm, cgroups, flags, uid and gid sit in a clone-family exit, by version
    /// (told apart by parameter count).
    private static func cloneLayout(_ count: Int) -> (comm: Int?, cgroups: Int?, flags: Int, uid: Int, gid: Int) {
        if count >= 20 { return (13, 14, 15, 16, 17) }
        if count >= 17 { return (13, nil, 14, 15, 16) }
        if count >= 16 { return (nil, nil, 13, 14, 15) }
        return (nil, nil, 8, 9, 10)
    }

    private mutating func clone(_ event: ScapEvent) -> [UInt8]? {
        _ = takeEnter(event.tid, types: [14, 156, 216, 222, 182, 184, 218, 220, 224, 226, 334])
        let res = event.int(0) ?? -1
        let layout = Self.cloneLayout(event.count)
        let ppmFlags = UInt32(truncatingIfNeeded: event.uint(layout.flags) ?? 0)
        func describe(_ t: inout ScapThread) {
            if let exe = event.text(1) { t.exe = exe }
            t.argsList = event.raw(2)
            if let cwd = event.text(6) { t.cwd = cwd }
            if let i = layout.comm, let comm = event.text(i) { t.comm = comm }
            if let i = layout.cgroups { t.cgroupsList = event.raw(i) }
            if let uid = event.uint(layout.uid) { t.uid = UInt32(truncatingIfNeeded: uid) }
            if let gid = event.uint(layout.gid) { t.gid = UInt32(truncatingIfNeeded: gid) }
            t.flags = ppmFlags
            if event.count > 19 {
                t.vtid = event.int(18) ?? -1
                t.vpid = event.int(19) ?? -1
            }
        }
        if res == 0 {
            // The child's side: its tid, pid and ptid are in the parameters. No record: the
            // parent's exit reports the fork.
            if table[event.tid]?.thread.comm.isEmpty ?? true {
                var child = ScapThread(tid: event.tid, pid: event.int(4) ?? event.tid, ptid: event.int(5) ?? 0)
                describe(&child)
                if let parent = table[child.ptid] { child.inherit(from: parent.thread) }
                store(child)
            }
            skip(event.type, .child)
            return nil
        }
        let parent = thread(event.tid)
        guard res > 0 else {
            skip(event.type, .failed)
            return nil
        }
        let isThread = ppmFlags & ScapFlags.ppmCloneThread != 0
        let childPid = isThread ? parent.thread.pid : res
        if table[res] == nil {
            // A new thread's parent is its process's parent, as the kernel has it.
            var child = ScapThread(tid: res, pid: childPid, ptid: isThread ? parent.thread.ptid : event.tid)
            child.inherit(from: parent.thread)
            child.comm = parent.thread.comm
            child.uid = parent.thread.uid
            child.gid = parent.thread.gid
            describe(&child)
            child.cwd = cwd(of: event.tid)
            // A new process starts with a copy of the fd table (shared until either side changes it).
            if !isThread { child.fds = owner(of: event.tid)?.thread.fds ?? [:] }
            store(child)
        }
        let syscall: SyscallID
        switch event.type {
        case 183, 219, 225: syscall = .fork
        case 185, 221, 227: syscall = .vfork
        case 335: syscall = .clone3
        default: syscall = .clone
        }
        var w = header(.fork, syscall, event, parent)
        w.put(UInt32(truncatingIfNeeded: childPid), at: WireLayout.Fork.childTgid)
        w.put(UInt32(truncatingIfNeeded: res), at: WireLayout.Fork.childTid)
        w.put(ScapFlags.cloneFlags(ppmFlags), at: WireLayout.Fork.cloneFlags)
        w.put(event.timestamp, at: WireLayout.Fork.childStartBootNs)
        return w.bytes()
    }

    private mutating func procexit(_ event: ScapEvent) -> [UInt8]? {
        let entry = thread(event.tid)
        remove(event.tid)
        lastEnter[event.tid] = nil
        let groupAlive = groupSizes[entry.thread.pid] != nil
        guard !groupAlive else {
            // A thread of a live group: Peregrine's process table tracks groups, so only the
            // last thread's exit becomes a record.
            skip(event.type, .thread)
            return nil
        }
        // procexit_1: status (raw wait status), ret (exit code), sig, core.
        let code: Int64
        if let ret = event.int(1) { code = ret } else if let status = event.int(0) { code = (status >> 8) & 0xff } else { code = 0 }
        var w = header(.exit, .none, event, entry, flags: .groupDead)
        w.put(Int32(truncatingIfNeeded: code), at: WireLayout.Exit.exitCode)
        return w.bytes()
    }

    private mutating func mount(_ event: ScapEvent) -> [UInt8] {
        let entry = thread(event.tid)
        let res = event.int(0) ?? -1
        let isMount = event.type == 257
        let enter = takeEnter(event.tid, types: isMount ? [256] : [258, 386, 390])
        let flags = enter?.uint(0) ?? 0
        var w = header(.mount, isMount ? .mount : .umount2, event, entry)
        w.put(res, at: WireLayout.Mount.res)
        w.put(flags, at: WireLayout.Mount.flags)
        w.put(Int32(Self.atFdcwd), at: WireLayout.Mount.fromDirfd)
        w.put(Int32(Self.atFdcwd), at: WireLayout.Mount.toDirfd)
        if isMount {
            w.string(event.text(1) ?? "", at: WireLayout.Mount.source)
            w.string(event.text(2) ?? "", at: WireLayout.Mount.target)
            w.string(event.text(3) ?? "", at: WireLayout.Mount.fstype)
        } else {
            w.string(event.text(1) ?? "", at: WireLayout.Mount.target)
        }
        w.string(cwd(of: event.tid), at: WireLayout.Mount.base)
        return w.bytes()
    }
}

private extension ScapThread {
    /// What a new thread or process keeps of its parent beyond what the clone exit reports.
    mutating func inherit(from parent: ScapThread) {
        exePath = parent.exePath
        loginuid = parent.loginuid
        tty = parent.tty
        sid = parent.sid
    }

    /// A successful execve/execveat exit: the new image's exe, args, comm, cgroups, ...
    mutating func replaceImage(with event: ScapEvent) {
        if let exe = event.text(1) { self.exe = exe }
        argsList = event.raw(2)
        if let ptid = event.int(5), ptid >= 0 { self.ptid = ptid }
        if event.count > 13, let comm = event.text(13) {
            self.comm = comm
        } else {
            comm = String(exe.split(separator: "/").last ?? "")
        }
        if event.count > 14 { cgroupsList = event.raw(14) }
        if event.count > 16, let tty = event.int(16) { self.tty = UInt32(truncatingIfNeeded: tty) }
        if event.count > 18, let loginuid = event.int(18) { self.loginuid = UInt32(truncatingIfNeeded: loginuid) }
        if event.count > 26, let uid = event.uint(26) { self.uid = UInt32(truncatingIfNeeded: uid) }
        if event.count > 27, let trusted = event.text(27), !trusted.isEmpty {
            exePath = trusted
        } else {
            exePath = exe.hasPrefix("/") ? exe : ""
        }
    }
}
