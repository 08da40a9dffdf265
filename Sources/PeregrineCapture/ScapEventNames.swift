/// sysdig's `evt.type` name of each scap event type (`driver/event_table.c`): entry and exit
/// of a syscall share a name, so the table is indexed by `type / 2`.
public enum ScapEventNames {
    public static func name(of type: UInt16) -> String {
        let index = Int(type) / 2
        return index < pairs.count ? pairs[index] : "unknown(\(type))"
    }

    static let pairs: [String] = [
        "syscall", "open", "close", "read", "write", "brk", "execve", "clone", "procexit",
        "socket", "bind", "connect", "listen", "accept", "send", "sendto", "recv", "recvfrom", "shutdown",
        "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "sendmsg", "sendmmsg",
        "recvmsg", "recvmmsg", "accept", "creat", "pipe", "eventfd", "futex", "stat", "lstat", "fstat",
        "stat64", "lstat64", "fstat64", "epoll_wait", "poll", "select", "select", "lseek", "llseek",
        "ioctl", "getcwd", "chdir", "fchdir", "mkdir", "rmdir", "openat", "link", "linkat", "unlink",
        "unlinkat", "pread", "pwrite", "readv", "writev", "preadv", "pwritev", "dup", "signalfd", "kill",
        "tkill", "tgkill", "nanosleep", "timerfd_create", "inotify_init", "getrlimit", "setrlimit",
        "prlimit", "switch", "drop", "fcntl", "switch", "execve", "clone", "brk", "mmap", "mmap2",
        "munmap", "splice", "ptrace", "ioctl", "execve", "rename", "renameat", "symlink", "symlinkat",
        "fork", "vfork", "procexit", "sendfile", "quotactl", "setresuid", "setresgid", "sysdigevent",
        "setuid", "setgid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "execve",
        "clone", "fork", "vfork", "clone", "fork", "vfork", "container", "execve", "signaldeliver",
        "procinfo", "getdents", "getdents64", "setns", "flock", "cpu_hotplug", "accept", "accept4",
        "semop", "semctl", "ppoll", "mount", "umount", "k8s", "semget", "access", "chroot", "tracer",
        "mesos", "container", "setsid", "mkdir", "rmdir", "notification", "execve", "unshare", "infra",
        "execve", "page_fault", "execve", "setpgid", "bpf", "seccomp", "unlink", "unlinkat", "mkdirat",
        "openat", "link", "linkat", "fchmodat", "chmod", "fchmod", "renameat2", "userfaultfd",
        "pluginevent", "container", "openat2", "mprotect", "execveat", "copy_file_range", "clone3",
        "open_by_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register", "mlock", "munlock",
        "mlockall", "munlockall", "capset", "useradded", "userdeleted", "groupadded", "groupdeleted",
        "dup2", "dup3", "dup", "bpf", "mlock2", "fsconfig", "epoll_create", "epoll_create1", "chown",
        "lchown", "fchown", "fchownat", "umount", "accept4", "umount2", "pipe2", "inotify_init1",
        "eventfd2", "signalfd4", "prctl", "asyncevent", "memfd_create", "pidfd_getfd", "pidfd_open",
        "init_module", "finit_module", "mknod", "mknodat", "newfstatat", "process_vm_readv",
        "process_vm_writev", "delete_module",
    ]
}
