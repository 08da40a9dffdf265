/// Sets of event type names (Falco's names: `execve`, `openat`, ...).
public enum EventTypeSet {
    /// The event types Peregrine's probe produces.
    public static let supported: Set<String> = [
        "execve", "execveat", "open", "openat", "openat2", "creat", "mount", "umount", "umount2",
        "fsopen", "fsconfig", "fsmount", "move_mount", "open_tree", "clone", "clone3", "fork", "vfork",
        "procexit", "chdir", "fchdir",
    ]

    /// Every event type name the rule language knows (Falco's syscall and internal events).
    /// `evt.type != x` and `not evt.type = x` mean "every known type except x".
    public static let known: Set<String> = supported.union([
        "accept", "accept4", "access", "bind", "bpf", "brk", "capset", "chmod", "chown", "chroot",
        "close", "connect", "copy_file_range", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
        "eventfd", "eventfd2", "faccessat", "faccessat2", "fchmod", "fchmodat", "fchown", "fchownat",
        "fcntl", "finit_module", "flock", "fstat", "fsync", "ftruncate", "futex", "getcwd", "getdents",
        "getdents64", "getegid", "geteuid", "getgid", "getpeername", "getresgid", "getresuid",
        "getrlimit", "getsockname", "getsockopt", "getuid", "init_module", "inotify_init",
        "inotify_init1", "io_uring_enter", "io_uring_register", "io_uring_setup", "ioctl", "kill",
        "lchown", "link", "linkat", "listen", "llseek", "lseek", "lstat", "memfd_create", "mkdir",
        "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
        "munlock", "munlockall", "munmap", "nanosleep", "open_by_handle_at", "pidfd_getfd",
        "pidfd_open", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread", "preadv", "prlimit",
        "process_vm_readv", "process_vm_writev", "ptrace", "pwrite", "pwritev", "quotactl", "read",
        "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "rename", "renameat",
        "renameat2", "rmdir", "seccomp", "select", "semctl", "semget", "semop", "sendfile", "sendmmsg",
        "sendmsg", "sendto", "setgid", "setns", "setpgid", "setresgid", "setresuid", "setrlimit",
        "setsid", "setsockopt", "setuid", "shutdown", "signalfd", "signalfd4", "socket", "socketpair",
        "splice", "stat", "symlink", "symlinkat", "tgkill", "timerfd_create", "tkill", "unlink",
        "unlinkat", "unshare", "userfaultfd", "utimensat", "vmsplice", "wait4", "write", "writev",
        "container", "switch", "signaldeliver", "pluginevent", "asyncevent", "procinfo", "infra",
        "page_fault", "notification", "cpu_hotplug", "drop", "sysdigevent", "k8s", "mesos",
        "scapevent", "syscall",
    ])
}
