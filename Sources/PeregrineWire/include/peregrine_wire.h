/*
 * peregrine_wire.h: the one home of the kernel -> user record layout.
 *
 * Included by bpf/peregrine.bpf.c (which writes records into the ring buffer) and by
 * the Swift layout test (which checks PeregrineEvents' offsets against it). The Swift
 * decoder itself never imports this header: it reads bytes at the offsets below.
 *
 * Every record starts with a pg_header and continues with the fixed body of its kind,
 * then a string area. Strings are referenced by pg_str {off, len}: `off` counts from the
 * start of the record, `len` excludes any terminator. An empty string has len 0.
 *
 *   0        8        16                40       48                64
 *   +--------+--------+-----------------+--------+-----------------+-- fixed body --+-- strings --+
 *   |size|knd|ts_boot | tgid tid ppid   |cgroup  | comm[16]        |  (per kind)    |  (packed)   |
 *   |    |sc |        | uid gid flags   |  id    |                 |                |             |
 *   +--------+--------+-----------------+--------+-----------------+----------------+-------------+
 *
 * Records are 8-byte aligned by the ring buffer; all fixed fields are naturally aligned.
 * Changing anything here is an ABI change: bump PG_WIRE_VERSION (capture files record it).
 */
#ifndef PEREGRINE_WIRE_H
#define PEREGRINE_WIRE_H

#ifdef __bpf__
/* vmlinux.h provides __u8.. __u64 / __s32 / __s64. */
#elif defined(_LINUX_TYPES_H)
/* So does <linux/types.h>, for C that includes it first (scripts/lib/arm64-check.c). */
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int32_t __s32;
typedef int64_t __s64;
#endif

#define PG_WIRE_VERSION 1

/* Upper bounds on variable parts. A record never exceeds PG_MAX_RECORD bytes. */
#define PG_MAX_PATH 4096      /* one path, including what fits of deep trees */
#define PG_MAX_ARGS 4096      /* argv blob: NUL-terminated arguments back to back */
#define PG_MAX_ARGC 128       /* argv pointers read for failed execs */
#define PG_MAX_SHORT 256      /* fs type names, mount sources */
#define PG_MAX_RECORD 16384

/* What produced the record. */
enum pg_kind {
    PG_KIND_EXEC = 1,   /* execve/execveat: success (from sched_process_exec) or failure (from sys_exit) */
    PG_KIND_OPEN = 2,   /* open/openat/openat2/creat, on return */
    PG_KIND_MOUNT = 3,  /* mount/umount2 and the new mount API, on return */
    PG_KIND_FORK = 4,   /* a process or thread was created (sched_process_fork) */
    PG_KIND_EXIT = 5,   /* a thread exited (sched_process_exit); see PG_F_GROUP_DEAD */
    PG_KIND_CHDIR = 6,  /* chdir/fchdir, on return */
    PG_KIND_MAX = 7,
};

/* Architecture-independent syscall identity carried in pg_header.syscall. */
enum pg_syscall {
    PG_SC_NONE = 0,
    PG_SC_EXECVE = 1,
    PG_SC_EXECVEAT = 2,
    PG_SC_OPEN = 3,
    PG_SC_OPENAT = 4,
    PG_SC_OPENAT2 = 5,
    PG_SC_CREAT = 6,
    PG_SC_MOUNT = 7,
    PG_SC_UMOUNT2 = 8,
    PG_SC_FSOPEN = 9,
    PG_SC_FSMOUNT = 10,
    PG_SC_MOVE_MOUNT = 11,
    PG_SC_OPEN_TREE = 12,
    PG_SC_CHDIR = 13,
    PG_SC_FCHDIR = 14,
    PG_SC_CLONE = 15,
    PG_SC_CLONE3 = 16,
    PG_SC_FORK = 17,
    PG_SC_VFORK = 18,
    PG_SC_MAX = 19,
};

/* pg_header.flags */
#define PG_F_PATH_TRUNCATED  (1u << 0) /* a path hit PG_MAX_PATH or the component limit */
#define PG_F_ARGS_TRUNCATED  (1u << 1) /* argv did not fit PG_MAX_ARGS / PG_MAX_ARGC */
#define PG_F_GROUP_DEAD      (1u << 2) /* exit: the last thread of the process exited */
#define PG_F_THREAD          (1u << 3) /* fork: the child is a thread (CLONE_THREAD) */
#define PG_F_STRING_FAULT    (1u << 4) /* a user string could not be read (bad pointer) */

struct pg_str {
    __u16 off;
    __u16 len;
};

struct pg_header {
    __u32 size;          /* total record length in bytes, header included */
    __u16 kind;          /* enum pg_kind */
    __u16 syscall;       /* enum pg_syscall */
    __u64 ts_boot_ns;    /* bpf_ktime_get_boot_ns() */
    __u32 tgid;          /* process id (init pid namespace) */
    __u32 tid;           /* thread id */
    __u32 ppid;          /* real parent's tgid */
    __u32 uid;           /* real uid */
    __u32 gid;           /* real gid */
    __u32 flags;         /* PG_F_* */
    __u64 cgroup_id;     /* cgroup v2 id of the task */
    char comm[16];       /* task comm, NUL-padded */
};

struct pg_exec {
    struct pg_header h;
    __s64 res;           /* 0 or -errno */
    __u32 euid;
    __u32 loginuid;      /* (u32)-1 when unset */
    __u32 tty;           /* controlling tty as (major << 20 | minor), 0 when none */
    __u32 pid_ns;        /* pid namespace inode */
    __u32 mnt_ns;        /* mount namespace inode */
    __u32 vpid;          /* pid inside its pid namespace */
    __u32 sid;           /* session id */
    __u32 argc;          /* arguments present in `args` */
    __s32 dirfd;         /* execveat dirfd, AT_FDCWD otherwise */
    __u32 at_flags;      /* execveat flags */
    __u64 start_boot_ns; /* task start time, boot clock */
    struct pg_str exe;       /* absolute path of the executed file (success), as resolved by the kernel */
    struct pg_str filename;  /* the path as passed by the caller */
    struct pg_str args;      /* argv: NUL-terminated strings back to back */
    struct pg_str cwd;       /* current working directory */
    struct pg_str cgroup;    /* cgroup v2 path of the task, e.g. /kubepods/.../cri-containerd-<id>.scope */
    __u32 _pad;
};

struct pg_open {
    struct pg_header h;
    __s64 res;           /* fd or -errno */
    __u32 flags;         /* open flags (creat reports O_CREAT|O_WRONLY|O_TRUNC) */
    __u32 mode;
    __s32 dirfd;         /* AT_FDCWD (-100) unless a directory fd was passed */
    __u32 dev;           /* device of the opened file (success), new_encode_dev form */
    __u64 ino;           /* inode of the opened file (success) */
    __u64 resolve;       /* openat2 RESOLVE_* flags */
    struct pg_str path;  /* absolute path of the opened file (success), symlinks and .. resolved */
    struct pg_str raw;   /* the path as passed */
    struct pg_str base;  /* failure with a relative path: the directory it is relative to */
    __u32 _pad;
};

struct pg_mount {
    struct pg_header h;
    __s64 res;           /* 0, an fd (fsopen/fsmount/open_tree) or -errno */
    __u64 flags;         /* mount / umount2 / fsmount / move_mount / open_tree flags */
    __s32 from_dirfd;    /* move_mount from_dfd, open_tree dfd, fsmount fs_fd */
    __s32 to_dirfd;      /* move_mount to_dfd */
    struct pg_str source;  /* mount dev name, fsopen fs name, move_mount/open_tree from path */
    struct pg_str target;  /* mount/umount2 dir, move_mount to path */
    struct pg_str fstype;  /* mount type */
    struct pg_str base;    /* the caller's cwd, for relative paths */
};

struct pg_fork {
    struct pg_header h;  /* describes the parent */
    __u32 child_tgid;
    __u32 child_tid;
    __u64 clone_flags;
    __u64 child_start_boot_ns;
};

struct pg_exit {
    struct pg_header h;
    __s32 exit_code;     /* wait status as the kernel keeps it */
    __u32 _pad;
};

struct pg_chdir {
    struct pg_header h;
    __s64 res;
    struct pg_str cwd;   /* the new cwd (success) */
    struct pg_str raw;   /* the path as passed (chdir) */
};

/* Per-CPU counters in map `pg_stats`, indexed by these values. Never silent: every record
 * that could not be delivered is counted under a reason. */
enum pg_stat {
    PG_STAT_ATTEMPTED = 0,     /* records the probe tried to emit */
    PG_STAT_LOST_RINGBUF = 1,  /* ring buffer full: record lost */
    PG_STAT_LOST_SCRATCH = 2,  /* no per-CPU scratch space (should not happen) */
    PG_STAT_WAKEUPS = 3,       /* forced wake-ups of the consumer */
    PG_STAT_MAX = 8,
};

/* Run-time configuration lives in the BPF object's .bss/.data sections (mmapped):
 *   pg_traced[PG_SC_MAX]  1 when a syscall kind is wanted by the loaded rules
 *   pg_self_tgid          the agent itself, never traced (no feedback loops)
 *   pg_only_tgid          when non-zero, trace only this process (tests and benchmarks)
 *   pg_wakeup_bytes       force a consumer wake-up once this much data is pending
 *   pg_failed_execs       report failed execve/execveat (from sys_exit)
 */

#endif /* PEREGRINE_WIRE_H */
