// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * peregrine_compat.bpf.c: the kernel half of Peregrine for kernels older than the fast
 * probe (bpf/peregrine.bpf.c) needs.
 *
 * Same wire records, maps, programs and configuration globals as peregrine.bpf.c, so user
 * space drives either the same way; the loader tries the fast object first and loads this
 * one when the kernel refuses it. The difference is how kernel memory is read: here with
 * BPF_CORE_READ / bpf_probe_read_kernel and the bpf_get_current_*() helpers, and the path
 * and argv walks as plain bounded loops, where the fast probe uses direct typed loads,
 * open-coded iterators, bpf_rdonly_cast and a global function with arg:untrusted (kernel
 * >= 6.16). Needs: tp_btf (5.5) and ring buffers (5.8), so no bpf_loop (5.17): GPU nodes
 * still run 5.10 (Amazon Linux 2) and 5.15 (Ubuntu 22.04). Newer helpers are used where the
 * kernel has them, behind CO-RE constants that older kernels' verifiers see as dead code:
 * bpf_get_current_task_btf (5.11) for plain loads from the current task, bpf_task_pt_regs
 * (5.15). Checked in CI on Debian 11's (5.10) and Debian 12's (6.1) own kernels under qemu
 * (scripts/check-probe-kernels). Costs more per record (each helper call ~30 ns on our
 * nodes): see the closing notes of issue 2.
 *
 * Attaches only to BTF-enabled raw tracepoints (tp_btf), which need neither tracefs nor
 * kprobes/fentry:
 *   sys_exit              opens, failed execs, mounts, chdir: one record per call, on return,
 *                         with the arguments read back from the saved user registers;
 *                         attached only when one of these is selected
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
#define PG_O_CREAT 0100
#define PG_O_WRONLY 01
#define PG_O_TRUNC 01000
#define PG_WAKE_CHECKS 16 /* looks at the backlog per pg_wakeup_bytes emitted, per CPU (see emit) */

/* The kernel stack of x86-64 and arm64 without KASAN (Debian's, Ubuntu's, Amazon Linux's
 * kernels): its top holds the syscall's saved user registers. */
#define PG_THREAD_SIZE (16 * 1024)

/*
 * The syscall number and arguments. PG_SYSCALL_NR reads registers found through a plain
 * pointer (user_regs() on kernels before 5.15) with bpf_probe_read_kernel. The PG_TP_ forms
 * read the registers sys_exit is handed: a typed pointer there since tp_btf began (5.5), so
 * on x86 they are plain loads, ~1 ns each instead of a ~30-40 ns helper call: the number is
 * read for every syscall of the node, traced or not. arm64 keeps the CO-RE read macros (not
 * built or tested here).
 */
#if defined(__TARGET_ARCH_x86)
#define PG_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#define PG_TP_SYSCALL_NR(regs) ((regs)->orig_ax)
#define PG_TP_ARG1(regs) ((regs)->di)
#define PG_TP_ARG2(regs) ((regs)->si)
#define PG_TP_ARG3(regs) ((regs)->dx)
#define PG_TP_ARG4(regs) ((regs)->r10)
#define PG_TP_ARG5(regs) ((regs)->r8)
#elif defined(__TARGET_ARCH_arm64)
#define PG_SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#define PG_TP_SYSCALL_NR(regs) PG_SYSCALL_NR(regs)
#define PG_TP_ARG1(regs) PT_REGS_PARM1_CORE_SYSCALL(regs)
#define PG_TP_ARG2(regs) PT_REGS_PARM2_CORE_SYSCALL(regs)
#define PG_TP_ARG3(regs) PT_REGS_PARM3_CORE_SYSCALL(regs)
#define PG_TP_ARG4(regs) PT_REGS_PARM4_CORE_SYSCALL(regs)
#define PG_TP_ARG5(regs) PT_REGS_PARM5_CORE_SYSCALL(regs)
#else
#error "unsupported architecture"
#endif

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
#define PG_SHORT_PATH_WORDS 8 /* paths up to 64 bytes are moved without a helper */

struct pg_scratch {
    __u8 rec[PG_MAX_RECORD];
    __u8 path[2 * PG_MAX_PATH];
    __u8 name[PG_MAX_SHORT];
    /* This CPU's wake-up bookkeeping (see emit). */
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

/* From 5.11 bpf_get_current_task_btf() gives the current task as a typed pointer, and the
 * fields reached from it are plain loads (~1 ns) instead of a bpf_probe_read_kernel each
 * (~35 ns). A CO-RE constant: kernels without the helper never verify the typed branch. */
#define PG_TASK_BTF bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)

/* The running task as a plain pointer, read through helpers: what kernels before 5.11 have,
 * and what a global function can take (only scalars; see build_cgroup_path). */
static __always_inline struct task_struct *current_task(void)
{
    return (struct task_struct *)bpf_get_current_task();
}

/*
 * The running task for one program run: each program asks for it once and hands it down as
 * `t`. Typed where the kernel has bpf_get_current_task_btf(), so code under PG_TASK_BTF loads
 * its fields directly; else current_task(), read with BPF_CORE_READ (which works on either).
 * Asked for once because every ask is a helper call (~15-25 ns here; 6.18 does not inline
 * it), and an open used to ask four times.
 */
static __always_inline struct task_struct *this_task(void)
{
    if (PG_TASK_BTF)
        return bpf_get_current_task_btf();
    return current_task();
}

/* The current syscall's saved user registers: bpf_task_pt_regs() where the kernel has it
 * (5.15), else where that helper finds them, at the top of the task's kernel stack
 * (task_pt_regs() on x86-64 and arm64; x86-64 pads that top only with FRED, from 6.9). The
 * test is a CO-RE constant, so older kernels never verify the call. */
static __always_inline struct pt_regs *user_regs(struct task_struct *t)
{
    if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
        return (struct pt_regs *)bpf_task_pt_regs(t);
    return (struct pt_regs *)(BPF_CORE_READ(t, stack) + PG_THREAD_SIZE - bpf_core_type_size(struct pt_regs));
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

static __always_inline void fill_header(struct pg_header *h, struct task_struct *t, __u16 kind, __u16 sc)
{
    h->size = 0;
    h->kind = kind;
    h->syscall = sc;
    h->ts_boot_ns = bpf_ktime_get_boot_ns();
    h->flags = 0;
    if (PG_TASK_BTF) {
        /* What the bpf_get_current_{pid_tgid,uid_gid,cgroup_id,comm}() helpers below return,
         * as loads: the uid helper reports these init-namespace kuids, the cgroup one this v2
         * kernfs id. comm is copied whole; the reader stops at its NUL. */
        const struct cred *cred = t->cred;
        const __u64 *comm = (const __u64 *)t->comm;
        h->tgid = t->tgid;
        h->tid = t->pid;
        h->ppid = t->real_parent->tgid;
        h->uid = cred->uid.val;
        h->gid = cred->gid.val;
        h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
        ((__u64 *)h->comm)[0] = comm[0];
        ((__u64 *)h->comm)[1] = comm[1];
    } else {
        __u64 pid_tgid = bpf_get_current_pid_tgid();
        __u64 uid_gid = bpf_get_current_uid_gid();
        h->tgid = pid_tgid >> 32;
        h->tid = (__u32)pid_tgid;
        h->ppid = BPF_CORE_READ(t, real_parent, tgid);
        h->uid = (__u32)uid_gid;
        h->gid = uid_gid >> 32;
        h->cgroup_id = bpf_get_current_cgroup_id();
        bpf_get_current_comm(h->comm, sizeof(h->comm));
    }
}

static __always_inline void emit(struct pg_scratch *s, __u32 size)
{
    struct pg_header *h = (void *)s->rec;
    __u64 flags = BPF_RB_NO_WAKEUP;

    count(PG_STAT_ATTEMPTED);
    if (size > PG_MAX_RECORD)
        size = PG_MAX_RECORD;
    h->size = size;
    /* Wake the consumer when the backlog crosses pg_wakeup_bytes, looking at it once per
     * 1/PG_WAKE_CHECKS of the mark this CPU emits rather than per record (as in
     * peregrine.bpf.c, where the reasons are). */
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

/*
 * Builds the absolute path of (dentry, vfsmount) in s->path, from the end backwards, and
 * returns where it starts: the path is s->path[pos .. PG_MAX_PATH). Crosses mount points
 * upwards and stops at the task's root (chroot-aware) or its mount namespace's root, so a
 * container sees its own paths. Symlinks and ".." never appear: these are the dentries the
 * kernel really used. A bounded loop: kernels before 5.17 have no bpf_loop(), so the
 * verifier walks every iteration.
 */
struct path_walk {
    struct pg_scratch *s;
    struct dentry *d;
    struct vfsmount *vm;
    struct mount *m;
    struct dentry *mnt_root; /* vm's root, read once per mount */
    struct dentry *root_d;
    struct vfsmount *root_m;
    __u64 mnt_off;
    __u32 pos;
    __u32 flags;
    __u32 done;
};

/* A dentry's parent and name: struct dentry has always kept them side by side (d_parent,
 * then d_name), and one read of both saves a helper call per step; CO-RE says whether this
 * kernel still does, as a constant, and the other branch goes. */
struct parent_and_name {
    struct dentry *parent;
    struct qstr name;
};

static __always_inline void read_parent_and_name(struct dentry *d, struct parent_and_name *out)
{
    __u32 parent_off = bpf_core_field_offset(struct dentry, d_parent);
    if (bpf_core_field_offset(struct dentry, d_name) == parent_off + sizeof(void *)) {
        bpf_probe_read_kernel(out, sizeof(*out), (void *)d + parent_off);
    } else {
        out->parent = BPF_CORE_READ(d, d_parent);
        out->name = BPF_CORE_READ(d, d_name);
    }
}

/* Before 6.14 a dentry's inline name store was d_iname (32 or 40 bytes), from 6.14 the
 * union d_shortname; CO-RE picks. Both are flavors, so the source builds against any
 * kernel's vmlinux.h (an arm64 one from an older kernel, say). */
struct dentry___iname {
    unsigned char d_iname[32];
} __attribute__((preserve_access_index));

struct dentry___shortname {
    union {
        unsigned char string[40];
    } d_shortname;
} __attribute__((preserve_access_index));

/*
 * One step's dentry fields in one helper call: a window from d_parent to the end of the
 * inline name store, which also holds the name itself when it is short (most are), read
 * into the scratch area's `name` at PG_STEP_WINDOW. Offsets are CO-RE constants; a kernel
 * whose layout puts them further apart than PG_STEP_SPAN bytes reads as before.
 */
#define PG_STEP_WINDOW 64
#define PG_STEP_SPAN 96
#define PG_NAME_WORDS 5 /* a short name is moved as five words ending at its end */

static __always_inline __u32 iname_offset(void)
{
    if (bpf_core_field_exists(struct dentry___shortname, d_shortname))
        return bpf_core_field_offset(struct dentry___shortname, d_shortname);
    return bpf_core_field_offset(struct dentry___iname, d_iname);
}

static __always_inline __u32 iname_size(void)
{
    if (bpf_core_field_exists(struct dentry___shortname, d_shortname))
        return bpf_core_field_size(struct dentry___shortname, d_shortname);
    return bpf_core_field_size(struct dentry___iname, d_iname);
}

static __always_inline long path_step(struct path_walk *w)
{
    /* Locals, not w->...: CO-RE relocations must start from a kernel type. */
    struct dentry *d = w->d;
    struct mount *m = w->m;
    struct parent_and_name pn;
    struct dentry *parent;
    struct qstr name;
    __u32 len, pos = w->pos, last;

    if (d == w->root_d && w->vm == w->root_m) {
        w->done = 1;
        return 1;
    }
    if (d == w->mnt_root) {
        struct mount *up = BPF_CORE_READ(m, mnt_parent);
        if (up == m || !up) {
            w->done = 1;
            return 1;
        }
        struct vfsmount *up_vm = (void *)up + w->mnt_off;
        w->d = BPF_CORE_READ(m, mnt_mountpoint);
        w->m = up;
        w->vm = up_vm;
        w->mnt_root = BPF_CORE_READ(up_vm, mnt_root);
        return 0;
    }
    __u32 po = bpf_core_field_offset(struct dentry, d_parent);
    __u32 no = bpf_core_field_offset(struct dentry, d_name);
    __u32 io = iname_offset();
    __u32 is = iname_size();
    bool inline_name = false;
    if (no == po + sizeof(void *) && io > no && io + is - po <= PG_STEP_SPAN) {
        bpf_probe_read_kernel(&w->s->name[PG_STEP_WINDOW], (io + is - po) & 127,
                              (void *)d + po);
        pn = *(struct parent_and_name *)&w->s->name[PG_STEP_WINDOW];
        inline_name = (__u64)pn.name.name == (__u64)d + io;
    } else {
        read_parent_and_name(d, &pn);
    }
    parent = pn.parent;
    name = pn.name;
    len = name.len;
    /* A dentry that is its own parent without being its mount's root is in no directory
     * tree: memfd and other pseudo files (runc re-executes itself from "memfd:runc"). The
     * kernel names those by the dentry alone; so do we, as "/NAME", and stop. */
    last = d == parent;
    if (last && len == 0) {
        w->done = 1;
        return 1;
    }
    if (len + 1 >= pos || pos > PG_MAX_PATH || len > PG_MAX_PATH) {
        w->flags |= PG_F_PATH_TRUNCATED;
        w->done = 1;
        return 1;
    }
    if (inline_name && len < is && len <= PG_NAME_WORDS * 8 && pos >= PG_NAME_WORDS * 8) {
        /* The name is in the window: five words ending at its end, moved inside the map value.
         * What lands before the name is overwritten by the '/' and the next component, or lies
         * outside the result (the path grows leftwards). */
        __u32 from = (PG_STEP_WINDOW + io - po + len - PG_NAME_WORDS * 8) & 127;
        const __u64 *src = (const __u64 *)&w->s->name[from];
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
        bpf_probe_read_kernel(&w->s->path[pos], len & (PG_MAX_PATH - 1), name.name);
    }
    pos = (pos - 1) & (PG_MAX_PATH - 1);
    w->s->path[pos] = '/';
    w->pos = pos;
    w->d = parent;
    w->done = last;
    return last;
}

/* build_path's result: where the path starts in s->path, and this bit when it was cut. */
#define PG_BUILT_TRUNCATED (1u << 16)

/*
 * A global function, so the verifier checks it once on its own. A static one is checked
 * again at every call site and for every caller state, all 64 steps each time: that took
 * sys_exit past the verifier's 1M-instruction limit on 5.10. Global functions there take only
 * scalars, hence the pointers as integers and the scratch area looked up here.
 */
__noinline __u32 build_path(__u64 dentry, __u64 vfsmount, __u64 root_dentry, __u64 root_vfsmount)
{
    __u32 zero = 0;
    struct pg_scratch *s = bpf_map_lookup_elem(&pg_scratch_map, &zero);
    struct vfsmount *vm = (struct vfsmount *)vfsmount;
    struct path_walk w = {
        .s = s,
        .d = (struct dentry *)dentry,
        .vm = vm,
        .root_d = (struct dentry *)root_dentry,
        .root_m = (struct vfsmount *)root_vfsmount,
        .mnt_off = bpf_core_field_offset(struct mount, mnt),
        .pos = PG_MAX_PATH,
    };

    if (!s)
        return PG_MAX_PATH;
    w.m = (void *)vm - w.mnt_off;
    w.mnt_root = BPF_CORE_READ(vm, mnt_root);
    for (__u32 i = 0; i < PG_MAX_COMPONENTS; i++) {
        if (path_step(&w))
            break;
    }
    if (!w.done)
        w.flags |= PG_F_PATH_TRUNCATED;
    if (w.pos >= PG_MAX_PATH) {
        w.pos = PG_MAX_PATH - 1;
        s->path[w.pos] = '/';
    }
    return w.pos | (w.flags & PG_F_PATH_TRUNCATED ? PG_BUILT_TRUNCATED : 0);
}

/* Copies the path a walk built at s->path[pos..] into the record; `built` is the walk's
 * result (build_path or build_cgroup_path): the start, and whether it was cut. */
static __always_inline void put_built_path(struct pg_scratch *s, __u32 *off, struct pg_str *ref, __u32 built,
                                           __u32 *flags)
{
    __u32 pos = built & ~PG_BUILT_TRUNCATED;
    __u32 o = *off;
    __u32 len = PG_MAX_PATH - pos;

    if (built & PG_BUILT_TRUNCATED)
        *flags |= PG_F_PATH_TRUNCATED;
    ref->off = o;
    ref->len = 0;
    if (pos >= PG_MAX_PATH || len >= PG_MAX_PATH)
        return;
    if (o > PG_MAX_RECORD - PG_MAX_PATH) {
        *flags |= PG_F_PATH_TRUNCATED;
        return;
    }
    /* The bounds again, where clang cannot drop them as known (5.10's verifier needs them). */
    asm volatile("" : "+r"(pos), "+r"(o));
    if (pos >= PG_MAX_PATH || o > PG_MAX_RECORD - PG_MAX_PATH)
        return;
    len = PG_MAX_PATH - pos;
    if (len <= PG_SHORT_PATH_WORDS * 8) {
        /* Most paths are short: eight word moves inside the map value beat a helper call
         * (as in the fast probe). The bytes copied past the path are overwritten by the next
         * string or lie beyond the record's size, so they are never sent. */
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
    struct path root;

    ref->off = *off;
    ref->len = 0;
    if (!d || !vm)
        return;
    /* The task's root (chroot-aware), where the walk stops: the whole struct path in one
     * read. With a typed task t->fs is a load, but the path is still read through the
     * helper, so that its pointers are plain numbers, as build_path's arguments must be. */
    root = PG_TASK_BTF ? BPF_CORE_READ(t->fs, root) : BPF_CORE_READ(t, fs, root);
    put_built_path(s, off, ref, build_path((__u64)d, (__u64)vm, (__u64)root.dentry, (__u64)root.mnt), flags);
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
    struct file **fds;
    struct file *f = NULL;
    unsigned int max;

    if (fd < 0)
        return NULL;
    if (PG_TASK_BTF) {
        /* The array itself is read through the helper: a typed pointer cannot be indexed by a
         * variable. */
        struct fdtable *fdt = t->files->fdt;
        max = fdt->max_fds;
        fds = BPF_CORE_READ(fdt, fd);
    } else {
        struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
        fds = BPF_CORE_READ(fdt, fd);
        max = BPF_CORE_READ(fdt, max_fds);
    }
    if ((unsigned long)fd >= max)
        return NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    return f;
}

/*
 * Two fields of one kernel object in one helper call instead of two, when they lie within
 * PG_WINDOW bytes of each other: their offsets are CO-RE constants, so on each kernel only
 * one branch is verified. The bytes land in the scratch area's `name`, unused during an open.
 */
#define PG_WINDOW 64

struct file_fields {
    struct path path;
    struct super_block *sb;
    unsigned long ino;
};

static __always_inline void read_file_fields(struct pg_scratch *s, struct file *f, struct file_fields *out)
{
    __u32 op = bpf_core_field_offset(struct file, f_path);
    __u32 oi = bpf_core_field_offset(struct file, f_inode);
    __u32 lo = op < oi ? op : oi;
    __u32 hi = op + sizeof(struct path) > oi + sizeof(void *) ? op + sizeof(struct path) : oi + sizeof(void *);
    struct inode *inode;

    if (hi - lo <= PG_WINDOW) {
        bpf_probe_read_kernel(s->name, hi - lo, (void *)f + lo);
        out->path = *(struct path *)&s->name[(op - lo) & (PG_WINDOW - 1)];
        inode = *(struct inode **)&s->name[(oi - lo) & (PG_WINDOW - 1)];
    } else {
        out->path = BPF_CORE_READ(f, f_path);
        inode = BPF_CORE_READ(f, f_inode);
    }
    out->sb = NULL;
    out->ino = 0;
    if (!inode)
        return;
    op = bpf_core_field_offset(struct inode, i_sb);
    oi = bpf_core_field_offset(struct inode, i_ino);
    lo = op < oi ? op : oi;
    hi = (op > oi ? op : oi) + sizeof(void *);
    if (hi - lo <= PG_WINDOW) {
        bpf_probe_read_kernel(s->name, hi - lo, (void *)inode + lo);
        out->sb = *(struct super_block **)&s->name[(op - lo) & (PG_WINDOW - 1)];
        out->ino = *(unsigned long *)&s->name[(oi - lo) & (PG_WINDOW - 1)];
    } else {
        out->sb = BPF_CORE_READ(inode, i_sb);
        out->ino = BPF_CORE_READ(inode, i_ino);
    }
}

static __always_inline void put_file_path(struct pg_scratch *s, struct task_struct *t, __u32 *off, struct pg_str *ref,
                                          struct file *f, __u32 *flags)
{
    ref->off = *off;
    ref->len = 0;
    if (!f)
        return;
    struct path p = BPF_CORE_READ(f, f_path);
    put_path(s, t, off, ref, p.dentry, p.mnt, flags);
}

static __always_inline void put_cwd(struct pg_scratch *s, __u32 *off, struct pg_str *ref, struct task_struct *t,
                                    __u32 *flags)
{
    /* See put_path for the read. */
    struct path pwd = PG_TASK_BTF ? BPF_CORE_READ(t->fs, pwd) : BPF_CORE_READ(t, fs, pwd);
    put_path(s, t, off, ref, pwd.dentry, pwd.mnt, flags);
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
        upath = (const char *)PG_TP_ARG1(regs);
        e->flags = PG_TP_ARG2(regs);
        e->mode = PG_TP_ARG3(regs);
        break;
    case PG_SC_OPENAT:
        dirfd = (int)PG_TP_ARG1(regs);
        upath = (const char *)PG_TP_ARG2(regs);
        e->flags = PG_TP_ARG3(regs);
        e->mode = PG_TP_ARG4(regs);
        break;
    case PG_SC_OPENAT2: {
        struct open_how how = {};
        dirfd = (int)PG_TP_ARG1(regs);
        upath = (const char *)PG_TP_ARG2(regs);
        bpf_probe_read_user(&how, sizeof(how), (void *)PG_TP_ARG3(regs));
        e->flags = how.flags;
        e->mode = how.mode;
        e->resolve = how.resolve;
        break;
    }
    case PG_SC_CREAT:
    default:
        upath = (const char *)PG_TP_ARG1(regs);
        e->mode = PG_TP_ARG2(regs);
        e->flags = PG_O_CREAT | PG_O_WRONLY | PG_O_TRUNC;
        break;
    }
    e->dirfd = dirfd;

    e->path.off = off;
    e->path.len = 0;
    if (ret >= 0) {
        struct file *f = fd_file(t, ret);
        if (f) {
            struct file_fields ff;
            struct super_block *sb;
            read_file_fields(s, f, &ff);
            /* A local: CO-RE relocations must start from a kernel type. */
            sb = ff.sb;
            e->ino = ff.ino;
            e->dev = sb ? BPF_CORE_READ(sb, s_dev) : 0;
            put_path(s, t, &off, &e->path, ff.path.dentry, ff.path.mnt, &flags);
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
    struct pid *tp = BPF_CORE_READ(t, thread_pid);
    unsigned int level = BPF_CORE_READ(tp, level);
    struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
    struct pid *sid = BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]);

    e->euid = BPF_CORE_READ(t, cred, euid.val);
    e->loginuid = BPF_CORE_READ(t, loginuid.val);
    e->tty = 0;
    if (tty) {
        __u32 major = BPF_CORE_READ(tty, driver, major);
        __u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
        e->tty = (major << 20) | minor;
    }
    e->pid_ns = BPF_CORE_READ(tp, numbers[level].ns, ns.inum);
    e->vpid = BPF_CORE_READ(tp, numbers[level].nr);
    e->mnt_ns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
    e->sid = sid ? BPF_CORE_READ(sid, numbers[0].nr) : 0;
    e->start_boot_ns = BPF_CORE_READ(t, start_boottime);
    e->_pad = 0;
}

/* kernfs_node's parent before 6.15 renamed it __parent (CO-RE matches these by name; both
 * flavors, so the source builds against any kernel's vmlinux.h). */
struct kernfs_node___old {
    struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct kernfs_node___new {
    struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kernfs_parent(struct kernfs_node *kn)
{
    if (bpf_core_field_exists(((struct kernfs_node___new *)kn)->__parent))
        return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
    return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * The cgroup v2 path of the task, built from kernfs names like a file path; the result is
 * build_path's. Global for the same reason as build_path: as a static function, checked per
 * caller state, its loop took sys_exit past the verifier's limit on 6.18.
 */
__noinline __u32 build_cgroup_path(__u64 task)
{
    __u32 zero = 0;
    struct pg_scratch *s = bpf_map_lookup_elem(&pg_scratch_map, &zero);
    struct task_struct *t = (struct task_struct *)task;
    struct kernfs_node *kn = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn);
    __u32 pos = PG_MAX_PATH, truncated = 0;
    int i;

    if (!s)
        return pos;
    for (i = 0; i < 16 && kn; i++) {
        struct kernfs_node *parent = kernfs_parent(kn);
        const char *name;
        long n;
        __u32 len;

        if (!parent)
            break; /* the root's name is "/" or empty: not part of the path */
        name = BPF_CORE_READ(kn, name);
        n = bpf_probe_read_kernel_str(s->name, PG_MAX_SHORT, name);
        if (n <= 1)
            break;
        len = n - 1;
        if (len >= pos - 1 || len >= PG_MAX_SHORT) {
            truncated = PG_BUILT_TRUNCATED;
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
    return pos | truncated;
}

/* Puts the current task's cgroup path into the record. build_cgroup_path is global, so it
 * takes the task as a number: the untyped pointer (a typed one is not a scalar to the
 * verifier), asked for here at the cost of a helper call per exec. */
static __always_inline void put_cgroup(struct pg_scratch *s, __u32 *off, struct pg_str *ref, __u32 *flags)
{
    put_built_path(s, off, ref, build_cgroup_path((__u64)current_task()), flags);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pg_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    struct task_struct *t = this_task();
    struct pt_regs *regs = user_regs(t);
    __u32 tgid = PG_TASK_BTF ? t->tgid : bpf_get_current_pid_tgid() >> 32;
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
    e->argc = BPF_CORE_READ(bprm, argc);
    e->dirfd = AT_FDCWD;
    e->at_flags = 0;
    if (sc == PG_SC_EXECVEAT) {
        e->dirfd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
        e->at_flags = PT_REGS_PARM5_CORE_SYSCALL(regs);
    }

    /* argv first: it is what rules look at most. */
    arg_start = BPF_CORE_READ(t, mm, arg_start);
    arg_end = BPF_CORE_READ(t, mm, arg_end);
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
    put_file_path(s, t, &off, &e->exe, BPF_CORE_READ(bprm, file), &flags);
    {
        /* bprm->filename is the kernel's copy of the path as passed. */
        __u32 o = off;
        long n;
        e->filename.off = o;
        e->filename.len = 0;
        if (o <= PG_MAX_RECORD - PG_MAX_PATH) {
            n = bpf_probe_read_kernel_str(&s->rec[o], PG_MAX_PATH, BPF_CORE_READ(bprm, filename));
            if (n > 0) {
                e->filename.len = n - 1;
                off = o + n;
            }
        }
    }
    put_cwd(s, &off, &e->cwd, t, &flags);
    put_cgroup(s, &off, &e->cgroup, &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

/* Copies argv[i] strings back to back; one loop step per argument. */
struct argv_walk {
    struct pg_scratch *s;
    const char *const *argv;
    __u32 start;
    __u32 off;
    __u32 argc;
    __u32 flags;
    __u32 more; /* set while arguments remain unread */
};

static __always_inline long argv_step(__u32 i, struct argv_walk *w)
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
    /* clang knows these ranges and drops tests it finds redundant; 5.10's verifier does not
     * follow them through the loop and needs the tests: the barrier keeps them. */
    asm volatile("" : "+r"(room), "+r"(off));
    if (room > PG_MAX_ARGS || off > PG_MAX_RECORD - PG_MAX_ARGS)
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
        e->dirfd = (int)PG_TP_ARG1(regs);
        filename = (const char *)PG_TP_ARG2(regs);
        argv = (const char *const *)PG_TP_ARG3(regs);
        e->at_flags = PG_TP_ARG5(regs);
    } else {
        filename = (const char *)PG_TP_ARG1(regs);
        argv = (const char *const *)PG_TP_ARG2(regs);
    }

    {
        struct argv_walk w = { .s = s, .argv = argv, .start = off, .off = off };
        for (__u32 i = 0; argv && i < PG_MAX_ARGC; i++) {
            if (argv_step(i, &w))
                break;
        }
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
    put_cgroup(s, &off, &e->cgroup, &flags);
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
        source = (const char *)PG_TP_ARG1(regs);
        target = (const char *)PG_TP_ARG2(regs);
        fstype = (const char *)PG_TP_ARG3(regs);
        e->flags = PG_TP_ARG4(regs);
        break;
    case PG_SC_UMOUNT2:
        target = (const char *)PG_TP_ARG1(regs);
        e->flags = (__u32)PG_TP_ARG2(regs);
        break;
    case PG_SC_FSOPEN:
        fstype = (const char *)PG_TP_ARG1(regs);
        e->flags = (__u32)PG_TP_ARG2(regs);
        break;
    case PG_SC_FSMOUNT:
        e->from_dirfd = (int)PG_TP_ARG1(regs);
        e->flags = ((__u64)(__u32)PG_TP_ARG3(regs) << 32) | (__u32)PG_TP_ARG2(regs);
        break;
    case PG_SC_MOVE_MOUNT:
        e->from_dirfd = (int)PG_TP_ARG1(regs);
        source = (const char *)PG_TP_ARG2(regs);
        e->to_dirfd = (int)PG_TP_ARG3(regs);
        target = (const char *)PG_TP_ARG4(regs);
        e->flags = (__u32)PG_TP_ARG5(regs);
        break;
    case PG_SC_OPEN_TREE:
    default:
        e->from_dirfd = (int)PG_TP_ARG1(regs);
        source = (const char *)PG_TP_ARG2(regs);
        e->flags = (__u32)PG_TP_ARG3(regs);
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
        put_user_str(s, &off, &e->raw, (const char *)PG_TP_ARG1(regs), &flags);
    e->h.flags = flags;
    emit(s, off);
    return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(pg_sys_exit, struct pt_regs *regs, long ret)
{
    __u32 nr = PG_TP_SYSCALL_NR(regs);
    struct task_struct *t;
    __u32 tgid;
    __u16 sc;

    if (nr >= PG_NR_SYSCALLS)
        return 0;
    sc = pg_syscall_kind[nr];
    if (!sc)
        return 0;
    t = this_task();
    tgid = PG_TASK_BTF ? t->tgid : bpf_get_current_pid_tgid() >> 32;
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
    struct task_struct *t = this_task();
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
    regs = user_regs(t);
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
    struct task_struct *t = this_task();
    __u32 tgid = PG_TASK_BTF ? t->tgid : bpf_get_current_pid_tgid() >> 32;
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
