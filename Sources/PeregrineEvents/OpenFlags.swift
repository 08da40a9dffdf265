/// Linux open(2) flags, rendered the way Falco prints `evt.arg.flags` (e.g. `O_WRONLY|O_CREAT`).
/// Values are the generic ones shared by x86-64 and arm64.
public enum OpenFlags {
    public static let accessMask: UInt32 = 0o3
    public static let readOnly: UInt32 = 0o0
    public static let writeOnly: UInt32 = 0o1
    public static let readWrite: UInt32 = 0o2
    public static let create: UInt32 = 0o100
    public static let truncate: UInt32 = 0o1000
    public static let append: UInt32 = 0o2000
    public static let tmpfile: UInt32 = 0o20000000 | 0o200000

    private static let named: [(UInt32, String)] = [
        (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o10000, "O_DSYNC"), (0o20000, "O_ASYNC"),
        (0o40000, "O_DIRECT"), (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"),
        (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"), (0o4000000, "O_SYNC"),
        (0o10000000, "O_PATH"), (0o20000000, "O_TMPFILE"),
    ]

    @inlinable public static func isWrite(_ flags: UInt32) -> Bool {
        let access = flags & accessMask
        return access == writeOnly || access == readWrite || flags & (create | truncate | append) != 0
    }

    @inlinable public static func isRead(_ flags: UInt32) -> Bool {
        let access = flags & accessMask
        return access == readOnly || access == readWrite
    }

    public static func describe(_ flags: UInt32) -> String {
        var parts: [String] = []
        switch flags & accessMask {
        case writeOnly: parts.append("O_WRONLY")
        case readWrite: parts.append("O_RDWR")
        default: parts.append("O_RDONLY")
        }
        var rest = flags & ~accessMask
        for (bit, name) in named where rest & bit != 0 {
            // O_TMPFILE includes O_DIRECTORY's bit; O_SYNC includes O_DSYNC's.
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.joined(separator: "|")
    }
}

/// Mount flags (`MS_*`) rendered for `evt.arg.flags` of mount events.
public enum MountFlags {
    private static let named: [(UInt64, String)] = [
        (1, "MS_RDONLY"), (2, "MS_NOSUID"), (4, "MS_NODEV"), (8, "MS_NOEXEC"), (16, "MS_SYNCHRONOUS"),
        (32, "MS_REMOUNT"), (64, "MS_MANDLOCK"), (128, "MS_DIRSYNC"), (1024, "MS_NOATIME"),
        (2048, "MS_NODIRATIME"), (4096, "MS_BIND"), (8192, "MS_MOVE"), (16384, "MS_REC"),
        (32768, "MS_SILENT"), (1 << 16, "MS_POSIXACL"), (1 << 17, "MS_UNBINDABLE"),
        (1 << 18, "MS_PRIVATE"), (1 << 19, "MS_SLAVE"), (1 << 20, "MS_SHARED"),
        (1 << 21, "MS_RELATIME"), (1 << 22, "MS_KERNMOUNT"), (1 << 23, "MS_I_VERSION"),
        (1 << 24, "MS_STRICTATIME"), (1 << 25, "MS_LAZYTIME"),
    ]

    public static func describe(_ flags: UInt64) -> String {
        // The old magic number in the upper half carries no meaning.
        var rest = flags & 0xC0ED_0000 == 0xC0ED_0000 ? flags & 0xFFFF : flags
        var parts: [String] = []
        for (bit, name) in named where rest & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}
