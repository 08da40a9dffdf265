// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * peregrine.bpf.c: the kernel half of Peregrine.
 *
 * Attaches only to BTF-enabled raw tracepoints (tp_btf), which need neither tracefs nor
 * kprobes/fentry (neither loads on our nodes):
 *   sys_exit              opens, failed execs, mounts, chdir: one record per call, on return,
 *                         with the arguments read back from the saved user registers;
 *                         attached only when one of these is selected, because it runs
 *                         (and costs) on every syscall of every process
 *   sched_process_exec    successful execs (the new image is in place, argv readable)
 *   sched_process_fork    new processes (threads are skipped: the tree tracks processes)
 *   sched_process_exit    processes whose last thread exited
 *
 * Records are assembled in a per-CPU scratch area and copied into the ring buffer with
 * bpf_ringbuf_output(): one copy, variable length, no wake-up per record. The consumer is
 * woken when the backlog crosses pg_wakeup_bytes; otherwise it polls on a short timer.
 * Every record that cannot be delivered is counted in pg_stats, per CPU.
 *
 * Syscall selection costs one byte load: pg_syscall_kind[nr] maps this architecture's
 * syscall number to enum pg_syscall, and is 0 for everything the loaded rules do not need.
 * User space fills it (it owns the per-architecture numbering) and may change it at run time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "peregrine_wire.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AT_FDCWD -100
#define PG_NR_SYSCALLS 512
#define PG_MAX_COMPONENTS 64
#define PG_NAME_WORDS 5 /* a dentry's inline name: 40 bytes */
#define PG_UNROLLED_STEPS 4 /* path steps before the loop (build_path calls path_step 4 times) */
#define PG_SHORT_PATH_WORDS 8 /* paths up to 64 bytes are moved without a helper */
#define PG_WAKE_CHECKS 16 /* looks at the backlog per pg_wakeup_bytes emitted, per CPU (see emit) */
#define PG_O_CREAT 0100
#define PG_O_WRONLY 01
#define PG_O_TRUNC 01000

/*
 * Syscall number and arguments from the saved user registers. tp_btf hands the program a
 * trusted `struct pt_regs *`, so on x86 these are plain loads, checked by the verifier and
 * relocated by CO-RE, instead of one bpf_probe_read_kernel() call each (a helper call costs
 * ~30 ns on our nodes, a load ~1 ns). arm64 keeps the CO-RE read macros: it is not built or
 * tested here.
 */
#if defined(__TARGET_ARCH_x86)
#define PG_SYSCALL_NR(regs) ((regs)->orig_ax)
#define PG_ARG1(regs) ((regs)->di)
#define PG_ARG2(regs) ((regs)->si)
#define PG_ARG3(regs) ((regs)->dx)
#define PG_ARG4(regs) ((regs)->r10)
#define PG_ARG5(regs) ((regs)->r8)
#elif defined(__TARGET_ARCH_arm64)
#define PG_SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#define PG_ARG1(regs) PT_REGS_PARM1_CORE_SYSCALL(regs)
#define PG_ARG2(regs) PT_REGS_PARM2_CORE_SYSCALL(regs)
#define PG_ARG3(regs) PT_REGS_PARM3_CORE_SYSCALL(regs)
#define PG_ARG4(regs) PT_REGS_PARM4_CORE_SYSCALL(regs)
#define PG_ARG5(regs) PT_REGS_PARM5_CORE_SYSCALL(regs)
#else
#error "unsupported architecture"
#endif

/* Turns a kernel address held as a number back into a typed pointer the verifier lets us
 * load through (the kernel inlines it: it costs nothing at run time). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Open-coded number iterator (kernel >= 6.4): a loop the verifier checks until its state
 * converges instead of once per iteration, with no callback per step. */
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

/* ---- configuration (.bss/.data, mmapped by user space) ---- */
volatile __u8 pg_syscall_kind[PG_NR_SYSCALLS] = {};
volatile __u32 pg_self_tgid = 0;
volatile __u32 pg_only_tgid = 0;
volatile __u64 pg_wakeup_bytes = 256 * 1024;
volatile __u8 pg_failed_execs = 1; /* report failed execve/execveat from sys_exit */

/* ---- maps ---- */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 * 1024 * 1024);
} pg_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, PG_STAT_MAX);
    __type(key, __u32);
    __type(value, __u64);
} pg_stats SEC(".maps");

/* The record under construction, and a work area where paths are built backwards. */
struct pg_scratch {
    __u8 rec[PG_MAX_RECORD];
    __u8 path[2 * PG_MAX_PATH];
    __u8 name[PG_MAX_SHORT];
    /* This CPU's wake-up bookkeeping (see emit): bytes emitted since it last looked at the
     * backlog, and whether the backlog was at or above pg_wakeup_bytes then. */
    __u64 unchecked_bytes;
    __u64 backlog_above;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pg_scratch);
} pg_scratch_map SEC(".maps");

/* ---- small helpers ---- */

static __always_inline void count(__u32 stat)
{
    __u64 *v = bpf_map_lookup_elem(&pg_stats, &stat);
    if (v)
        *v += 1;
}

static __always_inline struct pg_scratch *scratch(void)
{
    __u32 zero = 0;
    struct pg_scratch *s = bpf_map_lookup_elem(&pg_scratch_map, &zero);
    if (!s) {
        count(PG_STAT_ATTEMPTED);
        count(PG_STAT_LOST_SCRATCH);
    }
    return s;
}

/*
 * The header, from the current task by direct loads. These are the values the
 * bpf_get_current_{pid_tgid,uid_gid,cgroup_id,comm}() helpers return (kuids are the
 * init-namespace ids the uid helper reports; the cgroup id is the v2 cgroup's kernfs id),
 * read without four helper calls: that saves ~130 ns per record here. Only the clock
 * needs a helper.
 */
static __always_inline void fill_header(struct pg_header *h, struct task_struct *t, __u16 kind, __u16 sc)
{
    const struct cred *cred = t->cred;
    const __u64 *comm = (const __u64 *)t->comm;

    h->size = 0;
    h->kind = kind;
    h->syscall = sc;
    h->ts_boot_ns = bpf_ktime_get_boot_ns();
    h->tgid = t->tgid;
    h->tid = t->pid;
    h->ppid = t->real_parent->tgid;
    h->uid = cred->uid.val;
    h->gid = cred->gid.val;
    h->flags = 0;
    h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
    /* comm is kept NUL-padded by the kernel (set_task_comm pads), so two words copy it. */
    ((__u64 *)h->comm)[0] = comm[0];
    ((__u64 *)h->comm)[1] = comm[1];
}

static __always_inline void emit(struct pg_scratch *s, __u32 size)
{
    struct pg_header *h = (void *)s->rec;
    __u64 flags = BPF_RB_NO_WAKEUP;

    count(PG_STAT_ATTEMPTED);
    if (size > PG_MAX_RECORD)
        size = PG_MAX_RECORD;
    h->size = size;
    /*
     * Wake the consumer when the backlog crosses pg_wakeup_bytes, not on every record above
     * it: a forced wake-up is an interrupt (here a VM exit for the APIC write, microseconds),
     * and a consumer that is already behind was woken at the crossing and drains everything
     * before it sleeps again. Below the mark it polls on its timer.
     *
     * Each CPU looks at the backlog once per 1/PG_WAKE_CHECKS of the mark it emits, not per
     * record: bpf_ringbuf_query() is a helper call (~20 ns here) on every record otherwise.
     * A CPU wakes the consumer when it finds the backlog at or above the mark and found it
     * below at its previous look. So a wake-up comes at most mark / PG_WAKE_CHECKS bytes
     * late per producing CPU (16 KiB of a 16 MiB ring with the default mark), and a few
     * CPUs may each wake for the same crossing: both are cheap next to the ring's room.
     */
    {
        __u64 mark = pg_wakeup_bytes;

        s->unchecked_bytes += size;
        if (mark == 0) {
            flags = BPF_RB_FORCE_WAKEUP;
            count(PG_STAT_WAKEUPS);
        } else if (s->unchecked_bytes >= mark / PG_WAKE_CHECKS) {
            __u64 above = bpf_ringbuf_query(&pg_events, BPF_RB_AVAIL_DATA) + size >= mark;

            if (above && !s->backlog_above) {
                flags = BPF_RB_FORCE_WAKEUP;
                count(PG_STAT_WAKEUPS);
            }
            s->backlog_above = above;
            s->unchecked_bytes = 0;
        }
    }
    if (bpf_ringbuf_output(&pg_events, s->rec, size, flags))
        count(PG_STAT_LOST_RINGBUF);
}

/* Appends a string from user memory; the record keeps its NUL (not counted in len). */
static __always_inline void put_user_str(struct pg_scratch *s, __u32 *off, struct pg_str *ref,
                                         const void *uptr, __u32 *flags)
{
    __u32 o = *off;
    long n;

    ref->off = o;
    ref->len = 0;
    if (!uptr)
        return;
    if (o > PG_MAX_RECORD - PG_MAX_PATH) {
        *flags |= PG_F_PATH_TRUNCATED;
        return;
    }
    n = bpf_probe_read_user_str(&s->rec[o], PG_MAX_PATH, uptr);
    if (n <= 0) {
        *flags |= PG_F_STRING_FAULT;
        return;
    }
    if (n == PG_MAX_PATH)
        *flags |= PG_F_PATH_TRUNCATED;
    ref->len = n - 1;
    *off = o + n;
}

static __always_inline void put_user_short(struct pg_scratch *s, __u32 *off, struct pg_str *ref,
                                           const void *uptr, __u32 *flags)
{
    __u32 o = *off;
    long n;

    ref->off = o;
    ref->len = 0;
    if (!uptr || o > PG_MAX_RECORD - PG_MAX_SHORT)
        return;
    n = bpf_probe_read_user_str(&s->rec[o], PG_MAX_SHORT, uptr);
    if (n <= 0) {
        *flags |= PG_F_STRING_FAULT;
        return;
    }
    ref->len = n - 1;
    *off = o + n;
}

/* struct mount embeds the vfsmount that dentries and files point at. */
static __always_inline struct mount *real_mount(struct vfsmount *vm)
{
    return bpf_rdonly_cast((void *)vm - bpf_core_field_offset(struct mount, mnt),
                           bpf_core_type_id_kernel(struct mount));
}

/*
 * Builds the absolute path of (dentry, vfsmount) in s->path, from the end backwards, and
 * returns where it starts: the path is s->path[pos .. PG_MAX_PATH). Crosses mount points
 * upwards and stops at the task's root (chroot-aware) or its mount namespace's root, so a
 * container sees its own paths. Symlinks and ".." never appear: these are the dentries the
 * kernel really used.
 *
 * Each step is a few direct loads, plus one helper call for names over 40 bytes. (It used
 * to be a bpf_loop() callback that read every field with bpf_probe_read_kernel(): ~30 ns a
 * field.) A plain bounded loop is too much for the verifier (it walks all 64 iterations
 * times every branch), and so is a may_goto loop with a step counter (the counter is exact,
 * so no two iterations look alike); the open-coded iterator converges after a few.
 */
struct path_walk {
    struct pg_scratch *s;
    struct dentry *d;
    struct mount *m;
    struct dentry *root_d;
    struct mount *root_m;
    __u32 *flags;
    __u32 pos;
    __u32 done;
};

/* One step up: prepends d's name, or crosses to the parent mount. Returns w->done. */
static __always_inline __u32 path_step(struct path_walk *w)
{
    struct dentry *d = w->d;
    struct mount *m = w->m;
    struct dentry *mnt_root, *parent;
    const unsigned char *name;
    __u32 len, pos = w->pos, last;

    if (d == w->root_d && m == w->root_m) {
        w->done = 1;
        return 1;
    }
    mnt_root = m->mnt.mnt_root;
    parent = d->d_parent;
    if (d == mnt_root) {
        struct mount *up = m->mnt_parent;
        if (up == m || !up) {
            w->done = 1;
            return 1;
        }
        w->d = m->mnt_mountpoint;
        w->m = up;
        return 0;
    }
    len = d->d_name.len;
    name = d->d_name.name;
    /* A dentry that is its own parent without being its mount's root is in no directory
     * tree: memfd and other pseudo files (runc re-executes itself from "memfd:runc"). The
     * kernel names those by the dentry alone; so do we, as "/NAME", and stop. */
    last = d == parent;
    if (last && len == 0) {
        w->done = 1;
        return 1;
    }
    if (len + 1 >= pos || pos > PG_MAX_PATH || len > PG_MAX_PATH) {
        *w->flags |= PG_F_PATH_TRUNCATED;
        w->done = 1;
        return 1;
    }
    if (len <= PG_NAME_WORDS * 8 && pos >= PG_NAME_WORDS * 8) {
        /* Short names (most; the dentry keeps those up to 39 bytes inline) are copied as
         * five words ending at the name's end, by direct loads: no helper call. What
         * lands before the name is still unwritten (the path grows leftwards) and is
         * overwritten by the '/' and the next component, or lies outside the result. */
        const __u64 *src = (const __u64 *)(name + len - PG_NAME_WORDS * 8);
        __u64 *dst = (__u64 *)&w->s->path[(pos - PG_NAME_WORDS * 8) & (PG_MAX_PATH - 1)];
        dst[0] = src[0];
        dst[1] = src[1];
        dst[2] = src[2];
        dst[3] = src[3];
        dst[4] = src[4];
        pos = (pos - len) & (PG_MAX_PATH - 1);
    } else {
        /* The masks change nothing (pos > len + 1 was checked); they give the verifier bounds. */
        pos = (pos - len) & (PG_MAX_PATH - 1);
        bpf_probe_read_kernel(&w->s->path[pos], len & (PG_MAX_PATH - 1), name);
    }
    pos = (pos - 1) & (PG_MAX_PATH - 1);
    w->s->path[pos] = '/';
    w->pos = pos;
    w->d = parent;
    w->done = last;
    return last;
}

/*
 * A global function: the verifier checks it once, on its own, instead of once per caller
 * and per caller state (as a static one it took pg_exec to 325k verified instructions and
 * the load to ~1.2 s). The tags tell it what the pointers are (kernel >= 6.16 for
 * arg:untrusted); the caller must bound the result again.
 */
#define __pg_arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __pg_arg_untrusted __attribute__((btf_decl_tag("arg:untrusted")))

__noinline __u32 build_path(struct pg_scratch *s, struct task_struct *t __pg_arg_trusted,
                            struct dentry *d __pg_arg_untrusted, struct vfsmount *vm __pg_arg_untrusted,
                            __u32 *flags)
{
    struct fs_struct *fs = t->fs;
    struct path_walk w = {
        .s = s,
        .d = d,
        .m = real_mount(vm),
        .root_d = fs->root.dentry,
        .root_m = real_mount(fs->root.mnt),
        .flags = flags,
        .pos = PG_MAX_PATH,
    };
    struct bpf_iter_num it;
    __u32 pos;

    if (!s || !flags)
        return PG_MAX_PATH;
    /* The first steps are written out: most paths end within them, and each iterator
     * step is a kfunc call (~9 ns here). The loop takes the rest of the 64. */
    if (path_step(&w) || path_step(&w) || path_step(&w) || path_step(&w))
        goto out;
    bpf_iter_num_new(&it, PG_UNROLLED_STEPS, PG_MAX_COMPONENTS);
    while (bpf_iter_num_next(&it)) {
        if (path_step(&w))
            break;
    }
    bpf_iter_num_destroy(&it);
out:
    if (!w.done)
        *flags |= PG_F_PATH_TRUNCATED;
    pos = w.pos;
    if (pos >= PG_MAX_PATH) {
        pos = PG_MAX_PATH - 1;
        s->path[pos] = '/';
    }
    return pos;
}

/* Copies the path built at s->path[pos..] into the record. */
static __always_inline void put_built_path(struct pg_scratch *s, __u32 *off, struct pg_str *ref, __u32 pos,
                                           __u32 *flags)
{
    __u32 o = *off;
    __u32 len = PG_MAX_PATH - pos;

    ref->off = o;
    ref->len = 0;
    if (pos >= PG_MAX_PATH || len >= PG_MAX_PATH)
        return;
    /* build_path is verified on its own, so its result is just a number here: bound it
     * again, behind a barrier so the compiler cannot fold the mask into the test above. */
    asm volatile("" : "+r"(pos));
    pos &= PG_MAX_PATH - 1;
    len = PG_MAX_PATH - pos;
    if (o > PG_MAX_RECORD - PG_MAX_PATH) {
        *flags |= PG_F_PATH_TRUNCATED;
        return;
    }
    if (len <= PG_SHORT_PATH_WORDS * 8) {
        /* Most paths are short: eight word moves inside the map value beat a helper call.
         * The bytes copied past the path are overwritten by the next string or lie beyond
         * the record's size, so they are never sent. */
        const __u64 *src = (const __u64 *)&s->path[pos & (PG_MAX_PATH - 1)];
        __u64 *dst = (__u64 *)&s->rec[o & (PG_MAX_RECORD - 1)];
        dst[0] = src[0];
        dst[1] = src[1];
        dst[2] = src[2];
        dst[3] = src[3];
        dst[4] = src[4];
        dst[5] = src[5];
        dst[6] = src[6];
        dst[7] = src[7];
    } else {
        bpf_probe_read_kernel(&s->rec[o], len, &s->path[pos]);
    }
    ref->len = len;
    *off = o + len;
}

static __always_inline void put_path(struct pg_scratch *s, struct task_struct *t, __u32 *off, struct pg_str *ref,
                                     struct dentry *d, struct vfsmount *vm, __u32 *flags)
{
    __u32 pos;

    ref->off = *off;
    ref->len = 0;
    if (!d || !vm)
        return;
    pos = build_path(s, t, d, vm, flags);
    put_built_path(s, off, ref, pos, flags);
}

/* The open file behind `fd`, or NULL. The verifier types the fd array as untrusted memory
 * (an array of pointers has no BTF type to check against): indexing it is still a plain,
 * fault-safe load on this kernel, and the cast gives the file its type back so its fields
 * are direct loads too. */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
    struct fdtable *fdt = t->files->fdt;
    struct file **fds = fdt->fd;
    struct file *f = NULL;

    if (fd < 0 || (unsigned long)fd >= fdt->max_fds)
        return NULL;
    f = fds[fd];
    if (!f)
        return NULL;
    return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

static __always_inline void put_file_path(struct pg_scratch *s, struct task_struct *t, __u32 *off, struct pg_str *ref,
                                          struct file *f,
                                          __u32 *flags)
{
    ref->off = *off;
    ref->len = 0;
    if (!f)
        return;
    put_path(s, t, off, ref, f->f_path.dentry, f->f_path.mnt, flags);
}

static __always_inline void put_cwd(struct pg_scratch *s, __u32 *off, struct pg_str *ref, struct task_struct *t,
                                    __u32 *flags)
{
    put_path(s, t, off, ref, t->fs->pwd.dentry, t->fs->pwd.mnt, flags);
}

/* The directory a relative path passed with `dirfd` is resolved against. */
static __always_inline void put_base(struct pg_scratch *s, __u32 *off, struct pg_str *ref, struct task_struct *t,
                                     long dirfd, __u32 *flags)
{
    if (dirfd == AT_FDCWD)
        put_cwd(s, off, ref, t, flags);
    else
        put_file_path(s, t, off, ref, fd_file(t, dirfd), flags);
}

static __always_inline bool is_relative(struct pg_scratch *s, struct pg_str *ref)
{
    __u32 o = ref->off;
    if (ref->len == 0 || o >= PG_MAX_RECORD)
        return false;
    return s->rec[o] != '/';
}

/* ---- opens ---- */

static __always_inline int on_open(struct task_struct *t, struct pt_regs *regs, long ret, __u16 sc)
{
    struct pg_scratch *s = scratch();
    struct pg_open *e;
    const char *upath = NULL;
    long dirfd = AT_FDCWD;
    __u32 off = sizeof(struct pg_open);
    __u32 flags = 0;

    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_OPEN, sc);
    e->res = ret;
    e->mode = 0;
    e->resolve = 0;
    e->dev = 0;
    e->ino = 0;
    e->_pad = 0;
    switch (sc) {
    case PG_SC_OPEN:
        upath = (const char *)PG_ARG1(regs);
        e->flags = PG_ARG2(regs);
        e->mode = PG_ARG3(regs);
        break;
    case PG_SC_OPENAT:
        dirfd = (int)PG_ARG1(regs);
        upath = (const char *)PG_ARG2(regs);
        e->flags = PG_ARG3(regs);
        e->mode = PG_ARG4(regs);
        break;
    case PG_SC_OPENAT2: {
        struct open_how how = {};
        dirfd = (int)PG_ARG1(regs);
        upath = (const char *)PG_ARG2(regs);
        bpf_probe_read_user(&how, sizeof(how), (void *)PG_ARG3(regs));
        e->flags = how.flags;
        e->mode = how.mode;
        e->resolve = how.resolve;
        break;
    }
    case PG_SC_CREAT:
    default:
        upath = (const char *)PG_ARG1(regs);
        e->mode = PG_ARG2(regs);
        e->flags = PG_O_CREAT | PG_O_WRONLY | PG_O_TRUNC;
        break;
    }
    e->dirfd = dirfd;

    e->path.off = off;
    e->path.len = 0;
    if (ret >= 0) {
        struct file *f = fd_file(t, ret);
        if (f) {
            e->ino = f->f_inode->i_ino;
            e->dev = f->f_inode->i_sb->s_dev;
            put_file_path(s, t, &off, &e->path, f, &flags);
        }
    }
    put_user_str(s, &off, &e->raw, upath, &flags);
    e->base.off = off;
    e->base.len = 0;
    if (ret < 0 && is_relative(s, &e->raw))
        put_base(s, &off, &e->base, t, dirfd, &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

/* ---- execs ---- */

static __always_inline void fill_exec_task(struct pg_exec *e, struct task_struct *t)
{
    struct pid *tp = t->thread_pid;
    unsigned int level = tp->level;
    struct signal_struct *sig = t->signal;
    struct tty_struct *tty = sig->tty;
    struct pid *sid = sig->pids[PIDTYPE_SID];

    e->euid = t->cred->euid.val;
    e->loginuid = t->loginuid.val;
    e->tty = 0;
    if (tty) {
        struct tty_driver *drv = tty->driver;
        e->tty = ((__u32)drv->major << 20) | (__u32)(drv->minor_start + tty->index);
    }
    /* numbers[level] has a run-time index, which direct loads do not allow: read it. */
    e->pid_ns = BPF_CORE_READ(tp, numbers[level].ns, ns.inum);
    e->vpid = BPF_CORE_READ(tp, numbers[level].nr);
    e->mnt_ns = t->nsproxy->mnt_ns->ns.inum;
    e->sid = sid ? sid->numbers[0].nr : 0;
    e->start_boot_ns = t->start_boottime;
    e->_pad = 0;
}

/* The cgroup v2 path of the task, built from kernfs names like a file path. */
static __noinline __u32 build_cgroup_path(struct pg_scratch *s, struct task_struct *t, __u32 *flags)
{
    struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);
    __u32 pos = PG_MAX_PATH;
    int i;

    if (!s)
        return pos;
    for (i = 0; i < 16 && kn; i++) {
        struct kernfs_node *parent;
        const char *name;
        long n;
        __u32 len;

        if (bpf_core_field_exists(kn->__parent))
            parent = BPF_CORE_READ(kn, __parent);
        else
            parent = NULL;
        if (!parent)
            break; /* the root's name is "/" or empty: not part of the path */
        name = BPF_CORE_READ(kn, name);
        n = bpf_probe_read_kernel_str(s->name, PG_MAX_SHORT, name);
        if (n <= 1)
            break;
        len = n - 1;
        if (len >= pos - 1 || len >= PG_MAX_SHORT) {
            *flags |= PG_F_PATH_TRUNCATED;
            break;
        }
        pos -= len;
        if (pos > PG_MAX_PATH)
            break;
        bpf_probe_read_kernel(&s->path[pos], len, s->name);
        pos -= 1;
        if (pos > PG_MAX_PATH)
            break;
        s->path[pos] = '/';
        kn = parent;
    }
    if (pos >= PG_MAX_PATH) {
        pos = PG_MAX_PATH - 1;
        s->path[pos] = '/';
    }
    return pos;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pg_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    struct task_struct *t = bpf_get_current_task_btf();
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    __u32 nr = PG_SYSCALL_NR(regs);
    __u16 sc = PG_SC_EXECVE;
    struct pg_scratch *s;
    struct pg_exec *e;
    __u32 off = sizeof(struct pg_exec);
    __u32 flags = 0;
    unsigned long arg_start, arg_end, len;

    if (tgid == pg_self_tgid || (pg_only_tgid && tgid != pg_only_tgid))
        return 0;
    /* On x86-64 (and, per Falco's driver tests, everywhere but s390x) a successful execveat
     * has turned its saved syscall number into execve's by now (ptrace sees the same at its
     * exit), so it is reported as execve, as Falco's drivers report it; only a failed one
     * (from sys_exit) is execveat. */
    if (nr < PG_NR_SYSCALLS && pg_syscall_kind[nr] == PG_SC_EXECVEAT)
        sc = PG_SC_EXECVEAT;
    s = scratch();
    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_EXEC, sc);
    fill_exec_task(e, t);
    e->res = 0;
    e->argc = bprm->argc;
    e->dirfd = AT_FDCWD;
    e->at_flags = 0;
    if (sc == PG_SC_EXECVEAT) {
        e->dirfd = (int)PG_ARG1(regs);
        e->at_flags = PG_ARG5(regs);
    }

    /* argv first: it is what rules look at most. */
    arg_start = t->mm->arg_start;
    arg_end = t->mm->arg_end;
    len = arg_end - arg_start;
    if (len > PG_MAX_ARGS) {
        len = PG_MAX_ARGS;
        flags |= PG_F_ARGS_TRUNCATED;
    }
    e->args.off = off;
    e->args.len = 0;
    if (len > 0 && len <= PG_MAX_ARGS && off <= PG_MAX_RECORD - PG_MAX_ARGS) {
        if (bpf_probe_read_user(&s->rec[off], len, (void *)arg_start) == 0) {
            e->args.len = len;
            off += len;
        } else {
            flags |= PG_F_STRING_FAULT;
        }
    }
    put_file_path(s, t, &off, &e->exe, bprm->file, &flags);
    {
        /* bprm->filename is the kernel's copy of the path as passed. */
        __u32 o = off;
        long n;
        e->filename.off = o;
        e->filename.len = 0;
        if (o <= PG_MAX_RECORD - PG_MAX_PATH) {
            n = bpf_probe_read_kernel_str(&s->rec[o], PG_MAX_PATH, bprm->filename);
            if (n > 0) {
                e->filename.len = n - 1;
                off = o + n;
            }
        }
    }
    put_cwd(s, &off, &e->cwd, t, &flags);
    put_built_path(s, &off, &e->cgroup, build_cgroup_path(s, t, &flags), &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

/* Copies argv[i] strings back to back; one bpf_loop step per argument. */
struct argv_walk {
    struct pg_scratch *s;
    const char *const *argv;
    __u32 start;
    __u32 off;
    __u32 argc;
    __u32 flags;
    __u32 more; /* set while arguments remain unread */
};

static long argv_step(__u32 i, struct argv_walk *w)
{
    const char *arg = NULL;
    __u32 off = w->off;
    __u32 used = off - w->start;
    __u32 room;
    long n;

    w->more = 0;
    if (bpf_probe_read_user(&arg, sizeof(arg), &w->argv[i]) || !arg)
        return 1;
    w->more = 1;
    if (used >= PG_MAX_ARGS || off > PG_MAX_RECORD - PG_MAX_ARGS)
        return 1;
    room = PG_MAX_ARGS - used;
    if (room > PG_MAX_ARGS)
        return 1;
    n = bpf_probe_read_user_str(&w->s->rec[off & (PG_MAX_RECORD - 1)], room, arg);
    if (n <= 0) {
        w->flags |= PG_F_STRING_FAULT;
        w->more = 0;
        return 1;
    }
    w->off = off + n;
    w->argc++;
    w->more = 0;
    return 0;
}

/* A failed execve/execveat: the old image is still there, so read what was asked for. */
static __always_inline int on_exec_failed(struct task_struct *t, struct pt_regs *regs, long ret, __u16 sc)
{
    struct pg_scratch *s = scratch();
    struct pg_exec *e;
    __u32 off = sizeof(struct pg_exec);
    __u32 flags = 0;
    const char *filename;
    const char *const *argv;
    __u32 args_start;

    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_EXEC, sc);
    fill_exec_task(e, t);
    e->res = ret;
    e->dirfd = AT_FDCWD;
    e->at_flags = 0;
    if (sc == PG_SC_EXECVEAT) {
        e->dirfd = (int)PG_ARG1(regs);
        filename = (const char *)PG_ARG2(regs);
        argv = (const char *const *)PG_ARG3(regs);
        e->at_flags = PG_ARG5(regs);
    } else {
        filename = (const char *)PG_ARG1(regs);
        argv = (const char *const *)PG_ARG2(regs);
    }

    {
        struct argv_walk w = { .s = s, .argv = argv, .start = off, .off = off };
        if (argv)
            bpf_loop(PG_MAX_ARGC, argv_step, &w, 0);
        if (w.more)
            w.flags |= PG_F_ARGS_TRUNCATED;
        flags |= w.flags;
        e->argc = w.argc;
        args_start = w.start;
        off = w.off;
    }
    e->args.off = args_start;
    e->args.len = off - args_start;

    e->exe.off = off;
    e->exe.len = 0;
    put_user_str(s, &off, &e->filename, filename, &flags);
    put_cwd(s, &off, &e->cwd, t, &flags);
    put_built_path(s, &off, &e->cgroup, build_cgroup_path(s, t, &flags), &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

/* ---- mounts ---- */

static __always_inline int on_mount(struct task_struct *t, struct pt_regs *regs, long ret, __u16 sc)
{
    struct pg_scratch *s = scratch();
    struct pg_mount *e;
    const char *source = NULL, *target = NULL, *fstype = NULL;
    __u32 off = sizeof(struct pg_mount);
    __u32 flags = 0;

    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_MOUNT, sc);
    e->res = ret;
    e->flags = 0;
    e->from_dirfd = AT_FDCWD;
    e->to_dirfd = AT_FDCWD;
    switch (sc) {
    case PG_SC_MOUNT:
        source = (const char *)PG_ARG1(regs);
        target = (const char *)PG_ARG2(regs);
        fstype = (const char *)PG_ARG3(regs);
        e->flags = PG_ARG4(regs);
        break;
    case PG_SC_UMOUNT2:
        target = (const char *)PG_ARG1(regs);
        e->flags = (__u32)PG_ARG2(regs);
        break;
    case PG_SC_FSOPEN:
        fstype = (const char *)PG_ARG1(regs);
        e->flags = (__u32)PG_ARG2(regs);
        break;
    case PG_SC_FSMOUNT:
        e->from_dirfd = (int)PG_ARG1(regs);
        e->flags = ((__u64)(__u32)PG_ARG3(regs) << 32) | (__u32)PG_ARG2(regs);
        break;
    case PG_SC_MOVE_MOUNT:
        e->from_dirfd = (int)PG_ARG1(regs);
        source = (const char *)PG_ARG2(regs);
        e->to_dirfd = (int)PG_ARG3(regs);
        target = (const char *)PG_ARG4(regs);
        e->flags = (__u32)PG_ARG5(regs);
        break;
    case PG_SC_OPEN_TREE:
    default:
        e->from_dirfd = (int)PG_ARG1(regs);
        source = (const char *)PG_ARG2(regs);
        e->flags = (__u32)PG_ARG3(regs);
        break;
    }
    put_user_str(s, &off, &e->source, source, &flags);
    put_user_str(s, &off, &e->target, target, &flags);
    put_user_short(s, &off, &e->fstype, fstype, &flags);
    /* Relative targets resolve against the cwd, or the to-directory for move_mount. */
    put_base(s, &off, &e->base, t, e->to_dirfd, &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

/* ---- chdir ---- */

static __always_inline int on_chdir(struct task_struct *t, struct pt_regs *regs, long ret, __u16 sc)
{
    struct pg_scratch *s = scratch();
    struct pg_chdir *e;
    __u32 off = sizeof(struct pg_chdir);
    __u32 flags = 0;

    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_CHDIR, sc);
    e->res = ret;
    e->cwd.off = off;
    e->cwd.len = 0;
    if (ret == 0)
        put_cwd(s, &off, &e->cwd, t, &flags);
    e->raw.off = off;
    e->raw.len = 0;
    if (sc == PG_SC_CHDIR)
        put_user_str(s, &off, &e->raw, (const char *)PG_ARG1(regs), &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(pg_sys_exit, struct pt_regs *regs, long ret)
{
    __u32 nr = PG_SYSCALL_NR(regs);
    struct task_struct *t;
    __u32 tgid;
    __u16 sc;

    if (nr >= PG_NR_SYSCALLS)
        return 0;
    sc = pg_syscall_kind[nr];
    if (!sc)
        return 0;
    /* One helper call for the task, shared by everything below (a call is ~9 ns here). */
    t = bpf_get_current_task_btf();
    tgid = t->tgid;
    if (tgid == pg_self_tgid || (pg_only_tgid && tgid != pg_only_tgid))
        return 0;
    switch (sc) {
    case PG_SC_OPEN:
    case PG_SC_OPENAT:
    case PG_SC_OPENAT2:
    case PG_SC_CREAT:
        return on_open(t, regs, ret, sc);
    case PG_SC_EXECVE:
    case PG_SC_EXECVEAT:
        /* Success is reported by sched_process_exec, with the new image's view. */
        return ret < 0 && pg_failed_execs ? on_exec_failed(t, regs, ret, sc) : 0;
    case PG_SC_MOUNT:
    case PG_SC_UMOUNT2:
    case PG_SC_FSOPEN:
    case PG_SC_FSMOUNT:
    case PG_SC_MOVE_MOUNT:
    case PG_SC_OPEN_TREE:
        return on_mount(t, regs, ret, sc);
    case PG_SC_CHDIR:
    case PG_SC_FCHDIR:
        return on_chdir(t, regs, ret, sc);
    default:
        return 0;
    }
}

/* ---- process lifecycle ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pg_fork, struct task_struct *parent, struct task_struct *child)
{
    struct task_struct *t = bpf_get_current_task_btf();
    __u32 child_tgid = BPF_CORE_READ(child, tgid);
    __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
    struct pt_regs *regs;
    struct pg_scratch *s;
    struct pg_fork *e;
    __u32 nr;
    __u16 sc = PG_SC_NONE;

    /* Threads share their process's entry in the tree: nothing to report. */
    if (child_tgid == parent_tgid)
        return 0;
    if (parent_tgid == pg_self_tgid || (pg_only_tgid && parent_tgid != pg_only_tgid))
        return 0;
    regs = (struct pt_regs *)bpf_task_pt_regs(t);
    nr = PG_SYSCALL_NR(regs);
    if (nr < PG_NR_SYSCALLS)
        sc = pg_syscall_kind[nr];
    if (sc < PG_SC_CLONE || sc > PG_SC_VFORK)
        sc = PG_SC_NONE;
    s = scratch();
    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_FORK, sc);
    e->child_tgid = child_tgid;
    e->child_tid = BPF_CORE_READ(child, pid);
    e->clone_flags = 0;
    e->child_start_boot_ns = BPF_CORE_READ(child, start_boottime);
    emit(s, sizeof(struct pg_fork));
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pg_exit, struct task_struct *p)
{
    struct task_struct *t = bpf_get_current_task_btf();
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    struct pg_scratch *s;
    struct pg_exit *e;

    /* signal->live drops to 0 before this tracepoint fires for the last thread. */
    if (BPF_CORE_READ(t, signal, live.counter) != 0)
        return 0;
    if (tgid == pg_self_tgid || (pg_only_tgid && tgid != pg_only_tgid))
        return 0;
    s = scratch();
    if (!s)
        return 0;
    e = (void *)s->rec;
    fill_header(&e->h, t, PG_KIND_EXIT, PG_SC_NONE);
    e->h.flags = PG_F_GROUP_DEAD;
    e->exit_code = BPF_CORE_READ(t, exit_code);
    e->_pad = 0;
    emit(s, sizeof(struct pg_exit));
    return 0;
}
