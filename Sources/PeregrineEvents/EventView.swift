/// A decoded record, read in place: no copy, no allocation. Valid only as long as the bytes
/// it borrows (a ring-buffer slot, a capture block) are. Obtain one from `RecordDecoder`,
/// which has checked every length and string reference, so accessors here cannot read out
/// of bounds.
public struct EventView {
    public let bytes: UnsafeRawBufferPointer
    public let kind: EventKind

    /// Only `RecordDecoder` makes views: it validates first.
    init(validated bytes: UnsafeRawBufferPointer, kind: EventKind) {
        self.bytes = bytes
        self.kind = kind
    }

    @inlinable @inline(__always)
    func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    // MARK: header

    /// `syscall`'s raw value, unchecked: what an index by syscall reads without the enum's
    /// validation (a call per event).
    @inlinable
    public var syscallNumber: UInt16 { load(WireLayout.Header.syscall, as: UInt16.self) }
    @inlinable
    public var syscall: SyscallID { SyscallID(rawValue: load(WireLayout.Header.syscall, as: UInt16.self)) ?? .none }
    @inlinable
    public var timestampBootNs: UInt64 { load(WireLayout.Header.tsBootNs, as: UInt64.self) }
    @inlinable
    public var pid: UInt32 { load(WireLayout.Header.tgid, as: UInt32.self) }
    @inlinable
    public var tid: UInt32 { load(WireLayout.Header.tid, as: UInt32.self) }
    @inlinable
    public var ppid: UInt32 { load(WireLayout.Header.ppid, as: UInt32.self) }
    @inlinable
    public var uid: UInt32 { load(WireLayout.Header.uid, as: UInt32.self) }
    @inlinable
    public var gid: UInt32 { load(WireLayout.Header.gid, as: UInt32.self) }
    @inlinable
    public var flags: WireLayout.Flags { WireLayout.Flags(rawValue: load(WireLayout.Header.flags, as: UInt32.self)) }
    @inlinable
    public var cgroupID: UInt64 { load(WireLayout.Header.cgroupID, as: UInt64.self) }

    /// The task's comm, without its NUL padding.
    public var comm: UnsafeRawBufferPointer {
        let start = WireLayout.Header.comm
        var end = start
        while end < start + WireLayout.Header.commLength && bytes[end] != 0 { end += 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// The string referenced by the `pg_str` at `offset` (one of `WireLayout.*` string fields).
    @inlinable @inline(__always)
    public func string(at offset: Int) -> UnsafeRawBufferPointer {
        let len = Int(load(offset + 2, as: UInt16.self))
        // An empty string's offset is not checked by the decoder, so it is never used.
        if len == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let off = Int(load(offset, as: UInt16.self))
        return UnsafeRawBufferPointer(rebasing: bytes[off..<(off + len)])
    }

    /// The syscall's return value, for the kinds that have one.
    @inlinable
    public var result: Int64? {
        switch kind {
        case .exec: return load(WireLayout.Exec.res, as: Int64.self)
        case .open: return load(WireLayout.Open.res, as: Int64.self)
        case .mount: return load(WireLayout.Mount.res, as: Int64.self)
        case .chdir: return load(WireLayout.Chdir.res, as: Int64.self)
        case .fork: return Int64(load(WireLayout.Fork.childTgid, as: UInt32.self))
        case .exit: return nil
        }
    }
}

extension EventView {
    @inlinable
    public var exec: ExecFields { ExecFields(view: self) }
    @inlinable
    public var open: OpenFields { OpenFields(view: self) }
    @inlinable
    public var mount: MountFields { MountFields(view: self) }
    @inlinable
    public var fork: ForkFields { ForkFields(view: self) }
    @inlinable
    public var exit: ExitFields { ExitFields(view: self) }
    @inlinable
    public var chdir: ChdirFields { ChdirFields(view: self) }
}

/// Typed access to the body of each kind; check `kind` before using one.
public struct ExecFields {
    @usableFromInline let view: EventView
    @usableFromInline init(view: EventView) { self.view = view }
    public var euid: UInt32 { view.load(WireLayout.Exec.euid, as: UInt32.self) }
    public var loginuid: UInt32 { view.load(WireLayout.Exec.loginuid, as: UInt32.self) }
    public var tty: UInt32 { view.load(WireLayout.Exec.tty, as: UInt32.self) }
    public var pidNamespace: UInt32 { view.load(WireLayout.Exec.pidNamespace, as: UInt32.self) }
    public var mountNamespace: UInt32 { view.load(WireLayout.Exec.mountNamespace, as: UInt32.self) }
    public var vpid: UInt32 { view.load(WireLayout.Exec.vpid, as: UInt32.self) }
    public var sid: UInt32 { view.load(WireLayout.Exec.sid, as: UInt32.self) }
    public var argc: UInt32 { view.load(WireLayout.Exec.argc, as: UInt32.self) }
    public var dirfd: Int32 { view.load(WireLayout.Exec.dirfd, as: Int32.self) }
    public var atFlags: UInt32 { view.load(WireLayout.Exec.atFlags, as: UInt32.self) }
    public var startBootNs: UInt64 { view.load(WireLayout.Exec.startBootNs, as: UInt64.self) }
    public var exe: UnsafeRawBufferPointer { view.string(at: WireLayout.Exec.exe) }
    public var filename: UnsafeRawBufferPointer { view.string(at: WireLayout.Exec.filename) }
    /// argv: NUL-terminated strings back to back.
    public var args: UnsafeRawBufferPointer { view.string(at: WireLayout.Exec.args) }
    public var cwd: UnsafeRawBufferPointer { view.string(at: WireLayout.Exec.cwd) }
    public var cgroup: UnsafeRawBufferPointer { view.string(at: WireLayout.Exec.cgroup) }
}

public struct OpenFields {
    @usableFromInline let view: EventView
    @usableFromInline init(view: EventView) { self.view = view }
    /// The fd, or -errno (`EventView.result` without the switch on the kind).
    @inlinable public var res: Int64 { view.load(WireLayout.Open.res, as: Int64.self) }
    @inlinable public var flags: UInt32 { view.load(WireLayout.Open.flags, as: UInt32.self) }
    @inlinable public var mode: UInt32 { view.load(WireLayout.Open.mode, as: UInt32.self) }
    @inlinable public var dirfd: Int32 { view.load(WireLayout.Open.dirfd, as: Int32.self) }
    @inlinable public var dev: UInt32 { view.load(WireLayout.Open.dev, as: UInt32.self) }
    @inlinable public var ino: UInt64 { view.load(WireLayout.Open.ino, as: UInt64.self) }
    @inlinable public var resolve: UInt64 { view.load(WireLayout.Open.resolve, as: UInt64.self) }
    /// Absolute path of what was opened (success only).
    @inlinable public var path: UnsafeRawBufferPointer { view.string(at: WireLayout.Open.path) }
    /// The path as the caller passed it.
    @inlinable public var raw: UnsafeRawBufferPointer { view.string(at: WireLayout.Open.raw) }
    /// For a failed open of a relative path: the directory it was relative to.
    @inlinable public var base: UnsafeRawBufferPointer { view.string(at: WireLayout.Open.base) }
}

public struct MountFields {
    @usableFromInline let view: EventView
    @usableFromInline init(view: EventView) { self.view = view }
    @inlinable
    public var flags: UInt64 { view.load(WireLayout.Mount.flags, as: UInt64.self) }
    public var fromDirfd: Int32 { view.load(WireLayout.Mount.fromDirfd, as: Int32.self) }
    public var toDirfd: Int32 { view.load(WireLayout.Mount.toDirfd, as: Int32.self) }
    public var source: UnsafeRawBufferPointer { view.string(at: WireLayout.Mount.source) }
    public var target: UnsafeRawBufferPointer { view.string(at: WireLayout.Mount.target) }
    public var fstype: UnsafeRawBufferPointer { view.string(at: WireLayout.Mount.fstype) }
    public var base: UnsafeRawBufferPointer { view.string(at: WireLayout.Mount.base) }
}

public struct ForkFields {
    @usableFromInline let view: EventView
    @usableFromInline init(view: EventView) { self.view = view }
    public var childPid: UInt32 { view.load(WireLayout.Fork.childTgid, as: UInt32.self) }
    public var childTid: UInt32 { view.load(WireLayout.Fork.childTid, as: UInt32.self) }
    public var cloneFlags: UInt64 { view.load(WireLayout.Fork.cloneFlags, as: UInt64.self) }
    public var childStartBootNs: UInt64 { view.load(WireLayout.Fork.childStartBootNs, as: UInt64.self) }
}

public struct ExitFields {
    @usableFromInline let view: EventView
    @usableFromInline init(view: EventView) { self.view = view }
    public var exitCode: Int32 { view.load(WireLayout.Exit.exitCode, as: Int32.self) }
}

public struct ChdirFields {
    @usableFromInline let view: EventView
    @usableFromInline init(view: EventView) { self.view = view }
    public var cwd: UnsafeRawBufferPointer { view.string(at: WireLayout.Chdir.cwd) }
    public var raw: UnsafeRawBufferPointer { view.string(at: WireLayout.Chdir.raw) }
}
