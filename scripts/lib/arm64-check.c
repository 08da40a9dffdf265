/*
 * Runs inside the arm64 kernels that scripts/check-probe-arm64 boots under qemu: loads a
 * probe built for arm64 (the compat one, or the fast one with -DPG_CHECK_FAST; the agent
 * itself is not built for arm64), with this
 * architecture's syscall numbers, consumes its ring buffer with the agent's own consumer
 * (Sources/CPeregrineProbe/ring.c, on a weakly ordered CPU here), makes the calls whose
 * records depend on arm64 (the saved registers, the syscall numbers, fork as clone) and
 * prints each record of this process and its children as one line for the script to check:
 *   compat record kind=2 sc=4 pid=.. ppid=.. res=.. path=.. raw=.. base=..
 * Static, so it runs in the bare initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "peregrine_probe.h"
#include "peregrine_wire.h"
#ifdef PG_CHECK_FAST
#include "peregrine.skel.h"
#define VARIANT "fast"
#define SKEL(suffix) peregrine_bpf##suffix
#else
#include "peregrine_compat.skel.h"
#define VARIANT "compat"
#define SKEL(suffix) peregrine_compat_bpf##suffix
#endif

/* asm-generic/unistd.h, as Sources/PeregrineProbe/SyscallTable.swift has them for arm64. */
static const struct { unsigned nr; unsigned char kind; } syscalls[] = {
    { 56, PG_SC_OPENAT }, { 437, PG_SC_OPENAT2 }, { 221, PG_SC_EXECVE }, { 281, PG_SC_EXECVEAT },
    { 40, PG_SC_MOUNT }, { 39, PG_SC_UMOUNT2 }, { 430, PG_SC_FSOPEN }, { 432, PG_SC_FSMOUNT },
    { 429, PG_SC_MOVE_MOUNT }, { 428, PG_SC_OPEN_TREE }, { 49, PG_SC_CHDIR }, { 50, PG_SC_FCHDIR },
    { 220, PG_SC_CLONE }, { 435, PG_SC_CLONE3 },
};

static pid_t self, child;

/* A string of the record, made printable (the checks match whole words). */
static void put(const char *name, const unsigned char *rec, uint32_t size, struct pg_str s, char sep)
{
    printf(" %s=", name);
    if ((uint32_t)s.off + s.len > size)
        return;
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = rec[s.off + i];
        putchar(c == 0 ? sep : (c < 32 || c > 126 || c == ' ') ? '?' : c);
    }
}

static void on_record(void *context, const void *data, uint32_t size)
{
    const unsigned char *rec = data;
    const struct pg_header *h = data;

    (void)context;
    if (size < sizeof(*h) || (h->tgid != (uint32_t)self && h->tgid != (uint32_t)child && h->ppid != (uint32_t)self))
        return;
    printf(VARIANT " record kind=%u sc=%u pid=%u ppid=%u", h->kind, h->syscall, h->tgid, h->ppid);
    if (h->kind == PG_KIND_OPEN && size >= sizeof(struct pg_open)) {
        const struct pg_open *e = data;
        printf(" res=%lld", (long long)e->res);
        put("path", rec, size, e->path, ',');
        put("raw", rec, size, e->raw, ',');
        put("base", rec, size, e->base, ',');
    } else if (h->kind == PG_KIND_EXEC && size >= sizeof(struct pg_exec)) {
        const struct pg_exec *e = data;
        printf(" res=%lld", (long long)e->res);
        put("exe", rec, size, e->exe, ',');
        put("filename", rec, size, e->filename, ',');
        put("args", rec, size, e->args, ',');
        put("cwd", rec, size, e->cwd, ',');
    } else if (h->kind == PG_KIND_FORK && size >= sizeof(struct pg_fork)) {
        const struct pg_fork *e = data;
        printf(" child=%u", e->child_tgid);
    }
    putchar('\n');
}

int main(void)
{
    char *const marker[] = { "true", "peregrine-arm64-marker", NULL };
    char *const missing[] = { "missing-exe", "peregrine-argv-one", "peregrine-argv-two", NULL };
    char *const no_env[] = { NULL };
    struct SKEL() *skel;
    struct pg_ring *ring = NULL;
    int err;

    self = getpid();
    skel = SKEL(__open)();
    if (!skel) {
        printf("check: " VARIANT " open failed: %s\n", strerror(errno));
        return 1;
    }
    err = SKEL(__load)(skel);
    if (err) {
        printf("check: " VARIANT " load failed: %s\n", strerror(-err));
        return 1;
    }
    for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
        skel->bss->pg_syscall_kind[syscalls[i].nr] = syscalls[i].kind;
    err = SKEL(__attach)(skel);
    if (!err)
        err = pg_ring_open(&ring, bpf_map__fd(skel->maps.pg_events));
    if (err) {
        printf("check: " VARIANT " attach failed: %s\n", strerror(-err));
        return 1;
    }
    printf("check: " VARIANT " probe loaded and attached\n");

    mkdir("/tmp/kc", 0755);
    mkdir("/tmp/kc/sub", 0755);
    close(open("/tmp/kc/file", O_CREAT | O_WRONLY, 0644));
    symlink("/tmp/kc/file", "/tmp/kc/link");
    child = fork(); /* clone(2) on arm64, which has no fork(2) */
    if (child == 0) {
        execve("/bin/busybox", marker, no_env);
        _exit(127);
    }
    waitpid(child, NULL, 0);
    close(open("/dev/null", O_RDONLY));
    if (chdir("/tmp/kc/sub") != 0)
        return 1;
    close(open("../link", O_RDONLY));
    open("peregrine-missing-file", O_RDONLY);
    execve("/tmp/kc/missing-exe", missing, no_env);

    SKEL(__detach)(skel);
    while (pg_ring_consume(ring, on_record, NULL) > 0) {
    }
    fflush(stdout);
    pg_ring_free(ring);
    SKEL(__destroy)(skel);
    return 0;
}
