/// What produced a record (`enum pg_kind` in peregrine_wire.h).
public enum EventKind: UInt16, Sendable, CaseIterable {
    case exec = 1
    case open = 2
    case mount = 3
    case fork = 4
    case exit = 5
    case chdir = 6
}

/// The syscall behind a record, independent of the architecture (`enum pg_syscall`).
/// `falcoName` is the `evt.type` a Falco rule writes.
public enum SyscallID: UInt16, Sendable, CaseIterable {
    case none = 0
    case execve = 1
    case execveat = 2
    case open = 3
    case openat = 4
    case openat2 = 5
    case creat = 6
    case mount = 7
    case umount2 = 8
    case fsopen = 9
    case fsmount = 10
    case moveMount = 11
    case openTree = 12
    case chdir = 13
    case fchdir = 14
    case clone = 15
    case clone3 = 16
    case fork = 17
    case vfork = 18

    public var falcoName: String {
        switch self {
        case .none: return "none"
        case .execve: return "execve"
        case .execveat: return "execveat"
        case .open: return "open"
        case .openat: return "openat"
        case .openat2: return "openat2"
        case .creat: return "creat"
        case .mount: return "mount"
        case .umount2: return "umount2"
        case .fsopen: return "fsopen"
        case .fsmount: return "fsmount"
        case .moveMount: return "move_mount"
        case .openTree: return "open_tree"
        case .chdir: return "chdir"
        case .fchdir: return "fchdir"
        case .clone: return "clone"
        case .clone3: return "clone3"
        case .fork: return "fork"
        case .vfork: return "vfork"
        }
    }

    /// The record kind this syscall reports through.
    public var kind: EventKind? {
        switch self {
        case .none: return nil
        case .execve, .execveat: return .exec
        case .open, .openat, .openat2, .creat: return .open
        case .mount, .umount2, .fsopen, .fsmount, .moveMount, .openTree: return .mount
        case .chdir, .fchdir: return .chdir
        case .clone, .clone3, .fork, .vfork: return .fork
        }
    }
}
