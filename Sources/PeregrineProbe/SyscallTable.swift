import PeregrineEvents

/// This architecture's syscall numbers for what the probe understands. The BPF program is
/// architecture-neutral: user space tells it which numbers mean what (`pg_syscall_kind`).
public enum SyscallTable {
    #if arch(x86_64)
    public static let numbers: [(nr: UInt32, id: SyscallID)] = [
        (2, .open), (257, .openat), (437, .openat2), (85, .creat),
        (59, .execve), (322, .execveat),
        (165, .mount), (166, .umount2), (430, .fsopen), (432, .fsmount), (429, .moveMount), (428, .openTree),
        (80, .chdir), (81, .fchdir),
        (56, .clone), (435, .clone3), (57, .fork), (58, .vfork),
    ]
    #elseif arch(arm64)
    public static let numbers: [(nr: UInt32, id: SyscallID)] = [
        (56, .openat), (437, .openat2),
        (221, .execve), (281, .execveat),
        (40, .mount), (39, .umount2), (430, .fsopen), (432, .fsmount), (429, .moveMount), (428, .openTree),
        (49, .chdir), (50, .fchdir),
        (220, .clone), (435, .clone3),
    ]
    #else
    public static let numbers: [(nr: UInt32, id: SyscallID)] = []
    #endif

    /// Always reported: the process tree is built from them.
    public static let lifecycle: Set<SyscallID> = [.execve, .execveat, .clone, .clone3, .fork, .vfork]
}
