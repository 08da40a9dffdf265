import PeregrineEvents
import PeregrineRules

/// Extracts field values from one event and its process context: the single place that
/// defines what each Falco field means here, used by the compiled matcher (fast path) and by
/// `EventFields` (the reference path and outputs).
///
/// A class the engine keeps and points at each event in turn: handing a struct of this size
/// down the matcher's recursion made Swift copy it, retaining everything inside, per call.
final class FieldExtractor {
    private(set) var event: EventView
    private(set) var number: UInt64
    /// The process table of the current event. The engine lends its caller's table for the
    /// length of `Engine.process` (a pointer: holding the table would cost a retain and a
    /// release per event, and the caller's next change to it a copy); an extractor made for
    /// `EventFields` owns a copy instead.
    private var table: UnsafePointer<ProcessTable>
    private let ownedTable: UnsafeMutablePointer<ProcessTable>?
    var processes: ProcessTable { table.pointee }
    var context: EngineContext
    /// The event's process, by reference (see `ProcessTable.Entry`), looked up when a field
    /// first needs it: an event settled by fields of the record alone never asks.
    var entry: ProcessTable.Entry? {
        if !entryFound {
            foundEntry = ProcessTable.entry(event.pid, in: table)
            entryFound = true
        }
        return foundEntry
    }
    private var foundEntry: ProcessTable.Entry?
    private var entryFound = false
    var process: ProcessInfo? { entry?.info }
    private(set) var eventType: EventTypeCode

    /// An extractor that owns a copy of `processes` (for `EventFields`).
    init(event: EventView, number: UInt64, processes: ProcessTable, context: EngineContext) {
        self.event = event
        self.number = number
        let owned = UnsafeMutablePointer<ProcessTable>.allocate(capacity: 1)
        owned.initialize(to: processes)
        ownedTable = owned
        table = UnsafePointer(owned)
        self.context = context
        eventType = EventTypeCode.of(event)
    }

    /// An extractor the engine points at each event in turn with `reset`.
    init(borrowing table: UnsafePointer<ProcessTable>, event: EventView, context: EngineContext) {
        self.event = event
        number = 0
        self.table = table
        ownedTable = nil
        self.context = context
        eventType = EventTypeCode.of(event)
    }

    deinit {
        if let ownedTable {
            ownedTable.deinitialize(count: 1)
            ownedTable.deallocate()
        }
        arena.deallocate()
        for r in retired { r.deallocate() }
    }

    // Text computed for the current event (a refused relative open's path, a transformed
    // value) lives in this arena until the next event: no allocation once it is large enough.
    private var arena = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    private var arenaUsed = 0
    /// Arenas outgrown during the current event: their bytes may still be referenced until it ends.
    private var retired: [UnsafeMutableRawBufferPointer] = []
    /// `fd.name` of the current event once found (it may be in the arena): `fd.name`,
    /// `fd.directory` and `fd.filename` each ask for it, and finding it reads the record's
    /// offsets and, for a refused open, scans the raw path.
    private var fdNameFound: UnsafeRawBufferPointer?

    /// `count` bytes of the arena for the current event.
    func scratch(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if arenaUsed + count > arena.count {
            retired.append(arena)
            hasRetired = true
            arena = .allocate(byteCount: max(arena.count * 2, count), alignment: 8)
            arenaUsed = 0
        }
        defer { arenaUsed += count }
        return UnsafeMutableRawBufferPointer(rebasing: arena[arenaUsed..<(arenaUsed + count)])
    }

    /// Gives back the arena's unused tail after `scratch(_:)` was asked for more than needed.
    func trimScratch(unused: Int) { arenaUsed -= unused }

    @inline(__always)
    private func resetArena() {
        arenaUsed = 0
        fdNameFound = nil
        if hasRetired { freeRetired() }
    }

    /// Whether `retired` holds anything: a flag, where the array's count cost a call per event.
    private var hasRetired = false

    private func freeRetired() {
        for r in retired { r.deallocate() }
        retired.removeAll(keepingCapacity: true)
        hasRetired = false
    }

    /// `base` + "/" + `path`, normalized, in the arena.
    func resolve(_ path: UnsafeRawBufferPointer, relativeTo base: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let room = scratch(base.count + path.count + 1)
        let n = PathNormalizer.resolve(path, relativeTo: base, into: room) ?? 0
        trimScratch(unused: room.count - n)
        return UnsafeRawBufferPointer(rebasing: room[0..<n])
    }

    /// Points the extractor at the next event, in `table` (valid until `release`).
    func reset(event: EventView, type: EventTypeCode, number: UInt64, table: UnsafePointer<ProcessTable>) {
        self.event = event
        self.number = number
        self.table = table
        entryFound = false
        eventType = type
        // Most events ask for no ancestor: emptying an empty array still costs ~50 instructions.
        if !chain.isEmpty { chain.removeAll(keepingCapacity: true) }
        chainEnded = false
        fdNameSlash = Self.slashUnknown
        resetArena()
    }

    /// Lets go of the event's process and ancestors (the table itself is only borrowed).
    @inline(__always)
    func release() {
        if entryFound {
            foundEntry = nil
            entryFound = false
        }
        if !chain.isEmpty { chain.removeAll(keepingCapacity: true) }
    }

    /// The same event for the reference evaluator and output rendering, answered by this
    /// extractor (valid while the engine processes the event).
    var fields: EventFields { EventFields(extractor: self) }

    var timeNs: UInt64 { UInt64(bitPattern: Int64(bitPattern: event.timestampBootNs) &+ context.bootToEpochNs) }

    var result: Int64? { event.kind == .fork || event.kind == .exit ? nil : event.result }

    var openFlags: UInt32? { event.kind == .open ? event.open.flags : nil }

    var openSucceeded: Bool { event.kind == .open && (event.result ?? -1) >= 0 }

    /// What the rule index's guards test (see `RuleIndex.GuardList.facts`), from the record alone.
    var recordFacts: RecordFacts {
        @inline(__always) get {
            var facts: RecordFacts = event.tid == event.pid ? .mainThread : []
            if event.kind == .open {
                // Most guarded events are opens: their facts without `result`'s switch on the kind.
                let open = event.open
                let flags = open.flags
                facts.insert([.open, .hasResult])
                facts.insert(open.res < 0 ? .failed : .openSucceeded)
                if OpenFlags.isRead(flags) { facts.insert(.openRead) }
                if OpenFlags.isWrite(flags) { facts.insert(.openWrite) }
                if flags & OpenFlags.create != 0 { facts.insert(.openCreate) }
            } else if let r = result {
                facts.insert(.hasResult)
                if r < 0 { facts.insert(.failed) }
            }
            return facts
        }
    }

    var processName: String {
        if let p = entry, !p.info.name.isEmpty { return p.info.name }
        return String(decoding: event.comm, as: UTF8.self)
    }

    /// The value of a single-valued field (ancestor fields: pass the ancestor index).
    func value(_ code: FieldCode, argument: FieldArgument?, field: ResolvedField?) -> FastValue {
        switch code {
        case .evtArg: return argumentValue(argument)
        case .containerName, .containerType, .containerImage, .containerImageID, .containerImageRepository,
             .containerImageTag, .containerImageDigest, .containerPrivileged,
             .k8sNsName, .k8sPodName, .k8sPodUID, .k8sPodLabels, .k8sPodLabel, .k8sPodSandboxID, .k8sPodFullSandboxID:
            return containerValue(code, argument: argument, field: field)
        case .procAname, .procAexe, .procAexePath, .procAcmdline, .procApid:
            guard case .index(let i)? = argument else { return .missing }
            return ancestorValue(code, index: i)
        case .external:
            guard let extra = context.extraField, let field else { return .missing }
            let fields = EventFields(event: event, number: number, processes: processes, context: context)
            return Self.fast(extra(field, fields))
        default:
            return value(code)
        }
    }

    /// The value of a field that takes no argument and is answered here (what the compiled
    /// matcher extracts for most slots): without the argument and field parameters, whose
    /// set-up cost more than many of these cases.
    func value(_ code: FieldCode) -> FastValue {
        switch code {
        case .evtNum: return .int(Int64(bitPattern: number))
        case .evtTime: return .int(Int64(bitPattern: timeNs))
        case .evtType: return .string(eventType.name)
        case .evtDir: return .string("<")
        case .evtSource: return .string("syscall")
        case .evtHostname: return .string(context.hostname)
        case .evtCategory:
            switch event.kind {
            case .open, .chdir: return .string("file")
            case .mount: return .string("other")
            default: return .string("process")
            }
        case .evtRes:
            guard let r = result else { return .missing }
            return .string(r < 0 ? ErrnoName.name(Int(-r)) : "SUCCESS")
        case .evtRawRes: return result.map { .int($0) } ?? .missing
        case .evtFailed: return result.map { .bool($0 < 0) } ?? .missing
        case .evtIsOpenRead: return openFlags.map { .bool(OpenFlags.isRead($0)) } ?? .missing
        case .evtIsOpenWrite: return openFlags.map { .bool(OpenFlags.isWrite($0)) } ?? .missing
        case .evtIsOpenCreate: return openFlags.map { .bool($0 & OpenFlags.create != 0) } ?? .missing
        case .evtIsOpenExec: return openFlags == nil ? .missing : .bool(false)
        case .procPid: return .int(Int64(event.pid))
        case .procVpid: return entry.map { .int(Int64($0.info.vpid == 0 ? $0.info.pid : $0.info.vpid)) } ?? .missing
        case .procName:
            if let p = entry, !p.info.name.isEmpty { return .string(p.info.name) }
            return .record(event.comm)
        case .procExe: return entry.map { .string($0.info.args.first ?? $0.info.name) } ?? .missing
        case .procExePath: return entry.map { .string($0.info.exePath) } ?? .missing
        case .procArgs: return entry.map { .string($0.info.argsText) } ?? .missing
        case .procCmdline: return entry.map { .string($0.info.cmdline) } ?? .missing
        case .procCmdNArgs: return entry.map { .int(Int64(max($0.info.args.count - 1, 0))) } ?? .missing
        case .procCmdLenArgs: return entry.map { .int(Int64($0.info.argsText.utf8.count - max($0.info.args.count - 2, 0))) } ?? .missing
        case .procExeline: return entry.map { .string($0.info.args.joined(separator: " ")) } ?? .missing
        case .procCwd:
            guard let p = entry?.info else { return .missing }
            if p.cwd.hasSuffix("/") { return .string(p.cwd) }
            var cwd = p.cwd
            return cwd.withUTF8 { b in
                let room = scratch(b.count + 1)
                room.copyMemory(from: UnsafeRawBufferPointer(b))
                room[b.count] = UInt8(ascii: "/")
                return .record(UnsafeRawBufferPointer(room))
            }
        case .procTTY: return entry.map { .int(Int64($0.info.tty)) } ?? .missing
        case .procSid: return entry.map { .int(Int64($0.info.sid)) } ?? .missing
        case .procIsSidLeader: return entry.map { .bool($0.info.sid == $0.info.pid) } ?? .missing
        case .procPidTs: return entry.map { .int(Int64(bitPattern: $0.info.startBootNs)) } ?? .missing
        case .threadTid: return .int(Int64(event.tid))
        case .threadIsMain: return .bool(event.tid == event.pid)
        case .userUid: return .int(Int64(event.uid))
        case .userName: return context.users[event.uid].map { .string($0) } ?? .missing
        case .userLoginUid: return entry.map { .int(Int64(Int32(bitPattern: $0.info.loginuid))) } ?? .missing
        case .userLoginName:
            guard let p = entry?.info, p.loginuid != UInt32.max, let n = context.users[p.loginuid] else { return .missing }
            return .string(n)
        case .groupGid: return .int(Int64(event.gid))
        case .groupName: return context.groups[event.gid].map { .string($0) } ?? .missing
        case .containerID: return .string(entry?.info.containerID ?? ContainerID.host)
        case .containerFullID:
            guard let p = entry?.info else { return .string(ContainerID.host) }
            return .string(ContainerID.fullID(fromCgroup: p.cgroup) ?? ContainerID.host)
        case .fdNum: return openSucceeded ? (result.map { .int($0) } ?? .missing) : .missing
        case .fdName: return fdName
        case .fdNameRaw: return event.kind == .open ? .record(event.open.raw) : .missing
        case .fdDirectory: return fdNamePart(directory: true)
        case .fdFilename: return fdNamePart(directory: false)
        case .fdTypeChar:
            guard let flags = openFlags else { return .missing }
            return .string(flags & 0o200000 != 0 ? "d" : "f")
        case .fdType:
            guard let flags = openFlags else { return .missing }
            return .string(flags & 0o200000 != 0 ? "directory" : "file")
        case .fdIno: return openSucceeded ? .int(Int64(bitPattern: event.open.ino)) : .missing
        case .fdDev: return openSucceeded ? .int(Int64(event.open.dev)) : .missing
        case .procPpid: return .int(Int64(event.ppid))
        case .procPname: return ancestor(1).map { .string($0.info.name) } ?? .missing
        case .procPexe: return ancestor(1).map { .string($0.info.args.first ?? $0.info.name) } ?? .missing
        case .procPexePath: return ancestor(1).map { .string($0.info.exePath) } ?? .missing
        case .procPcmdline: return ancestor(1).map { .string($0.info.cmdline) } ?? .missing
        case .evtArg, .procAname, .procAexe, .procAexePath, .procAcmdline, .procApid, .external,
             .containerName, .containerType, .containerImage, .containerImageID, .containerImageRepository,
             .containerImageTag, .containerImageDigest, .containerPrivileged,
             .k8sNsName, .k8sPodName, .k8sPodUID, .k8sPodLabels, .k8sPodLabel, .k8sPodSandboxID, .k8sPodFullSandboxID:
            // These need an argument or another layer: `value(_:argument:field:)`.
            return containerOrArgumentless(code)
        }
    }

    /// Argument-taking and metadata fields asked for without an argument or field: container
    /// metadata from the handle alone; the rest have no value without their argument.
    private func containerOrArgumentless(_ code: FieldCode) -> FastValue {
        code.isContainerMetadata ? containerValue(code, argument: nil, field: nil) : .missing
    }

    /// Container and pod metadata: from the handle the container layer put on the process's
    /// entry (two pointer loads when cached), else from `EngineContext.extraField` (rule tests
    /// and replay answer there), else missing. A runtime's empty string is missing too.
    func containerValue(_ code: FieldCode, argument: FieldArgument?, field: ResolvedField?) -> FastValue {
        if let handle = entry?.container { return metadataValue(code, argument: argument, handle: handle) }
        guard let extra = context.extraField, let field else { return .missing }
        let fields = EventFields(event: event, number: number, processes: processes, context: context)
        return Self.fast(extra(field, fields))
    }

    /// Container and pod metadata from the handle the container layer put on the entry.
    func metadataValue(_ code: FieldCode, argument: FieldArgument?, handle: ContainerHandle) -> FastValue {
        guard let m = handle.metadata else { return .missing }
        func text(_ s: String) -> FastValue { s.isEmpty ? .missing : .string(s) }
        switch code {
        case .containerName: return text(m.name)
        case .containerType: return text(m.type)
        case .containerImage: return text(m.image)
        case .containerImageID: return text(m.imageID)
        case .containerImageRepository: return text(m.imageRepository)
        case .containerImageTag: return text(m.imageTag)
        case .containerImageDigest: return text(m.imageDigest)
        case .containerPrivileged: return m.privileged.map { .bool($0) } ?? .missing
        case .k8sNsName: return text(m.podNamespace)
        case .k8sPodName: return text(m.podName)
        case .k8sPodUID: return text(m.podUID)
        case .k8sPodLabels: return m.podLabelList.isEmpty ? .missing : .string(m.podLabelList.joined(separator: ","))
        case .k8sPodLabel:
            guard case .key(let key)? = argument, let v = m.podLabels[key] else { return .missing }
            return .string(v)
        case .k8sPodSandboxID: return text(String(m.sandboxID.prefix(12)))
        case .k8sPodFullSandboxID: return text(m.sandboxID)
        default: return .missing
        }
    }

    /// An ancestor field for ancestor `index` (0 = the process itself).
    func ancestorValue(_ code: FieldCode, index: Int) -> FastValue {
        if index == 0 && entry == nil {
            return code == .procAname ? .string(processName) : (code == .procApid ? .int(Int64(event.pid)) : .missing)
        }
        guard let p = ancestor(index)?.info else { return .missing }
        switch code {
        case .procAname: return .string(p.name)
        case .procAexe: return .string(p.args.first ?? p.name)
        case .procAexePath: return .string(p.exePath)
        case .procAcmdline: return .string(p.cmdline)
        default: return .int(Int64(p.pid))
        }
    }

    /// Ancestors found so far for this event (`chain[k]` is generation k+1), so that many
    /// rules asking about parents walk the table once. Reused across events.
    private var chain: [ProcessTable.Entry] = []
    private var chainEnded = false

    /// The process `index` generations up (0: this one); the walk stops at the root, at a
    /// process that is its own parent, or after 64 generations.
    func ancestor(_ index: Int) -> ProcessTable.Entry? {
        if index == 0 { return entry }
        while chain.count < index && !chainEnded {
            let pid = chain.last?.info.ppid ?? entry?.info.ppid ?? event.ppid
            guard pid != 0, chain.count < 64, let p = ProcessTable.entry(pid, in: table) else {
                chainEnded = true
                break
            }
            chain.append(p)
            if p.info.ppid == pid { chainEnded = true }
        }
        return index <= chain.count ? chain[index - 1] : nil
    }

    /// The bytes of a field the record holds as is (`RuleIndex.RecordText`), or nil when
    /// this event does not: what `value` would give as `.record`, without the cache.
    @inline(__always)
    func recordText(_ source: RuleIndex.RecordText) -> UnsafeRawBufferPointer? {
        guard event.kind == .open else { return nil }
        switch source {
        case .openRaw: return event.open.raw
        case .openPath:
            // A refused open has no resolved path: its fd.name is computed (see `fdName`).
            let path = event.open.path
            return path.count > 0 ? path : nil
        case .none: return nil
        }
    }

    var fdName: FastValue {
        if let found = fdNameFound { return .record(found) }
        guard event.kind == .open else { return .missing }
        let open = event.open
        var path = open.path
        if path.count == 0 {
            let raw = open.raw
            // A refused open of a clean absolute path (most of them) is its own fd.name: no copy.
            path = PathNormalizer.isNormalAbsolute(raw) ? raw : resolve(raw, relativeTo: open.base)
        }
        fdNameFound = path
        return .record(path)
    }

    /// Offset of the last '/' in `fd.name` for the current event (-1: it has none), found once
    /// for both `fd.directory` and `fd.filename`; `slashUnknown` until one of them is asked for.
    private var fdNameSlash = FieldExtractor.slashUnknown
    private static let slashUnknown = -2

    /// `fd.directory` or `fd.filename`: borrowed slices of `fd.name` (always borrowed text or
    /// missing), with `slice(_:directory:)`'s meaning.
    func fdNamePart(directory: Bool) -> FastValue {
        let name = fdName
        guard case .record(let b) = name else { return Self.slice(name, directory: directory) }
        if fdNameSlash == Self.slashUnknown { fdNameSlash = Self.lastSlash(b) ?? -1 }
        let slash = fdNameSlash
        if slash < 0 { return Self.slice(name, directory: directory) }
        if directory { return slash == 0 ? .string("/") : .record(UnsafeRawBufferPointer(rebasing: b[..<slash])) }
        return .record(UnsafeRawBufferPointer(rebasing: b[(slash + 1)...]))
    }

    /// Offset of the last '/', eight bytes per step: a path's final component is often tens
    /// of bytes (Python's `__pycache__` files), and a byte loop cost ~6 instructions a byte.
    @inline(__always)
    static func lastSlash(_ b: UnsafeRawBufferPointer) -> Int? {
        guard let base = b.baseAddress else { return nil }
        let slashes: UInt64 = 0x2F2F_2F2F_2F2F_2F2F
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var end = b.count
        while end >= 8 {
            // Bytes equal to '/' become zero; the high bit of each zero byte is then set, and
            // only of those (the exact form of the zero-byte test: no carries between bytes).
            let x = base.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self) ^ slashes
            let zeros = ~(((x & low7) &+ low7) | x | low7)
            if zeros != 0 { return end - 8 + (63 - zeros.leadingZeroBitCount) / 8 }
            end -= 8
        }
        let p = base.assumingMemoryBound(to: UInt8.self)
        while end > 0 {
            end -= 1
            if p[end] == 47 { return end }
        }
        return nil
    }

    static func slice(_ value: FastValue, directory: Bool) -> FastValue {
        // Borrowed text gives borrowed parts: no copy for the common case.
        if case .record(let b) = value, let slash = lastSlash(b) {
            if directory { return slash == 0 ? .string("/") : .record(UnsafeRawBufferPointer(rebasing: b[..<slash])) }
            return .record(UnsafeRawBufferPointer(rebasing: b[(slash + 1)...]))
        }
        let result: FastValue? = value.withText { b in
            guard let slash = lastSlash(b) else {
                return directory ? .string(".") : .owned(Array(b))
            }
            if directory {
                return slash == 0 ? .string("/") : .owned(Array(b[..<slash]))
            }
            return .owned(Array(b[(slash + 1)...]))
        }
        return result ?? .missing
    }

    /// Flag names per flag value, kept: a workload uses a handful of distinct values, and a
    /// looked-up name is shared, not built per event.
    private var openFlagCache: [UInt32: String] = [:]
    private var mountFlagCache: [UInt64: String] = [:]
    private let flagCacheLimit = 4096

    func openFlagNames(_ flags: UInt32) -> String {
        if let s = openFlagCache[flags] { return s }
        let s = OpenFlags.describe(flags)
        if openFlagCache.count < flagCacheLimit { openFlagCache[flags] = s }
        return s
    }

    func mountFlagNames(_ flags: UInt64) -> String {
        if let s = mountFlagCache[flags] { return s }
        let s = MountFlags.describe(flags)
        if mountFlagCache.count < flagCacheLimit { mountFlagCache[flags] = s }
        return s
    }

    func argumentValue(_ argument: FieldArgument?) -> FastValue {
        guard case .key(let key)? = argument else { return .missing }
        switch (event.kind, key) {
        case (.open, "flags"): return .string(openFlagNames(event.open.flags))
        case (.open, "mode"): return .int(Int64(event.open.mode))
        case (.open, "name"), (.open, "path"): return fdName
        case (.open, "dirfd"): return .int(Int64(event.open.dirfd))
        case (.open, "fd"), (_, "res"): return result.map { .int($0) } ?? .missing
        case (.exec, "filename"), (.exec, "exe"): return .record(event.exec.filename)
        case (.exec, "args"):
            // argv after argv[0], NUL separators as spaces, in the arena.
            let raw = event.exec.args
            var start = 0
            while start < raw.count && raw[start] != 0 { start += 1 }
            start += 1
            var end = raw.count
            if end > start && raw[end - 1] == 0 { end -= 1 }
            guard start < end else { return .string("") }
            let room = scratch(end - start)
            for i in start..<end { room[i - start] = raw[i] == 0 ? 32 : raw[i] }
            return .record(UnsafeRawBufferPointer(room))
        case (.exec, "cwd"): return .record(event.exec.cwd)
        case (.mount, "dev"), (.mount, "source"), (.mount, "special"): return .record(event.mount.source)
        case (.mount, "dir"), (.mount, "name"), (.mount, "target"):
            return .record(resolve(event.mount.target, relativeTo: event.mount.base))
        case (.mount, "type"), (.mount, "fstype"): return .record(event.mount.fstype)
        case (.mount, "flags"): return .string(mountFlagNames(event.mount.flags))
        case (.chdir, "path"): return .record(event.chdir.raw)
        default: return .missing
        }
    }

    /// Converts to the reference evaluator's value type (outputs, tests).
    static func reference(_ v: FastValue) -> FieldValue? {
        switch v {
        case .missing: return nil
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .record(let b): return .bytes(Array(b))
        case .owned(let a): return .bytes(a)
        }
    }

    static func fast(_ v: FieldValue?) -> FastValue {
        switch v {
        case nil: return .missing
        case .string(let s)?: return .string(s)
        case .int(let i)?: return .int(i)
        case .uint(let u)?: return .int(Int64(truncatingIfNeeded: u))
        case .bool(let b)?: return .bool(b)
        case .bytes(let b)?: return .owned(b)
        case .list(let xs)?: return .string(xs.map(\.text).joined(separator: ","))
        }
    }
}

/// The event type as an index into a fixed table, for cheap `evt.type` checks.
struct EventTypeCode: Equatable {
    let index: Int
    var name: String { Self.names[index] }

    static let names: [String] = SyscallID.allCases.map(\.falcoName) + ["procexit"]
    static let byName: [String: Int] = {
        var m: [String: Int] = [:]
        for (i, n) in names.enumerated() { m[n] = i }
        return m
    }()

    static let procexit = names.count - 1
    /// `SyscallID.allCases.count` (its raw values are 0..<this), as a literal: a computed
    /// global costs a once-check call per read (EngineTests checks that the two agree).
    static let syscallCount = 19

    /// Without hashing a name: the syscall's raw value is its index in `names`.
    @inline(__always)
    static func of(_ event: EventView) -> EventTypeCode {
        switch event.kind {
        case .exit: return EventTypeCode(index: procexit)
        default:
            // An unknown number is `.none` (0), as `SyscallID(rawValue:)` would make it.
            let n = Int(event.syscallNumber)
            let known = n < syscallCount ? n : 0
            if event.kind == .fork && known == 0 { return EventTypeCode(index: Int(SyscallID.clone.rawValue)) }
            return EventTypeCode(index: known)
        }
    }
}

/// Flags of one event's record, as bits: each guard of the rule index is then one mask and
/// compare (see `RuleIndex.GuardList.facts`). Each is what the field it stands for says.
struct RecordFacts: OptionSet {
    let rawValue: UInt32
    /// An open: `evt.is_open_*` have values.
    static let open = RecordFacts(rawValue: 1 << 0)
    static let openRead = RecordFacts(rawValue: 1 << 1)
    static let openWrite = RecordFacts(rawValue: 1 << 2)
    static let openCreate = RecordFacts(rawValue: 1 << 3)
    /// `evt.failed` and `evt.rawres` have values (not a fork or an exit).
    static let hasResult = RecordFacts(rawValue: 1 << 4)
    static let failed = RecordFacts(rawValue: 1 << 5)
    /// An open that returned a descriptor: `fd.num` has a value, and it is >= 0.
    static let openSucceeded = RecordFacts(rawValue: 1 << 6)
    static let mainThread = RecordFacts(rawValue: 1 << 7)
}
