/// The driver's portable flag encodings (`PPM_O_*`, `PPM_CL_*` in ppm_events_public.h)
/// converted to the Linux values Peregrine's records carry.
public enum ScapFlags {
    /// PPM_O_* → O_* (x86-64/arm64 generic values).
    public static func openFlags(_ ppm: UInt32) -> UInt32 {
        var linux: UInt32 = 0
        switch ppm & 3 {
        case 2: linux |= 0o1      // PPM_O_WRONLY
        case 3: linux |= 0o2      // PPM_O_RDWR
        default: break            // PPM_O_RDONLY or none
        }
        let table: [(UInt32, UInt32)] = [
            (1 << 2, 0o100),        // CREAT
            (1 << 3, 0o2000),       // APPEND
            (1 << 4, 0o10000),      // DSYNC
            (1 << 5, 0o200),        // EXCL
            (1 << 6, 0o4000),       // NONBLOCK
            (1 << 7, 0o4010000),    // SYNC (includes DSYNC's bit, as in Linux)
            (1 << 8, 0o1000),       // TRUNC
            (1 << 9, 0o40000),      // DIRECT
            (1 << 10, 0o200000),    // DIRECTORY
            (1 << 11, 0o100000),    // LARGEFILE
            (1 << 12, 0o2000000),   // CLOEXEC
            (1 << 13, 0o20200000),  // TMPFILE (includes DIRECTORY's bit, as in Linux)
        ]
        for (bit, value) in table where ppm & bit != 0 { linux |= value }
        return linux
    }

    /// PPM_CL_* → CLONE_* (sinsp-internal bits such as PPM_CL_CLONE_INVERTED are dropped).
    public static func cloneFlags(_ ppm: UInt32) -> UInt64 {
        let table: [(UInt32, UInt64)] = [
            (1 << 0, 0x400),          // CLONE_FILES
            (1 << 1, 0x200),          // CLONE_FS
            (1 << 2, 0x8000_0000),    // CLONE_IO
            (1 << 3, 0x0800_0000),    // CLONE_NEWIPC
            (1 << 4, 0x4000_0000),    // CLONE_NEWNET
            (1 << 5, 0x0002_0000),    // CLONE_NEWNS
            (1 << 6, 0x2000_0000),    // CLONE_NEWPID
            (1 << 7, 0x0400_0000),    // CLONE_NEWUTS
            (1 << 8, 0x8000),         // CLONE_PARENT
            (1 << 9, 0x0010_0000),    // CLONE_PARENT_SETTID
            (1 << 10, 0x2000),        // CLONE_PTRACE
            (1 << 11, 0x800),         // CLONE_SIGHAND
            (1 << 12, 0x0004_0000),   // CLONE_SYSVSEM
            (1 << 13, 0x0001_0000),   // CLONE_THREAD
            (1 << 14, 0x0080_0000),   // CLONE_UNTRACED
            (1 << 15, 0x100),         // CLONE_VM
            (1 << 20, 0x1000_0000),   // CLONE_NEWUSER
            (1 << 23, 0x0020_0000),   // CLONE_CHILD_CLEARTID
            (1 << 24, 0x0100_0000),   // CLONE_CHILD_SETTID
            (1 << 25, 0x0008_0000),   // CLONE_SETTLS
            (1 << 27, 0x4000),        // CLONE_VFORK
            (1 << 28, 0x0200_0000),   // CLONE_NEWCGROUP
        ]
        var linux: UInt64 = 0
        for (bit, value) in table where ppm & bit != 0 { linux |= value }
        return linux
    }

    static let ppmCloneThread: UInt32 = 1 << 13

    /// creat(2) is open(2) with these flags.
    static let creatFlags: UInt32 = 0o100 | 0o1 | 0o1000
}
