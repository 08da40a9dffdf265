#include "peregrine_probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "peregrine.skel.h"
#include "peregrine_compat.skel.h"

/* libbpf reports through a print callback; keep the last part of it so that a failed load
 * can tell the operator why (the verifier's verdict is at the end of its log). */
static char log_buf[16384];
static size_t log_len;

/* Appends text, keeping the newest half of the buffer when it would overflow. */
static void append_log(const char *text, size_t n)
{
    if (n >= sizeof(log_buf) / 2) {
        /* A verifier log arrives as one message that can be megabytes long: keep its end. */
        text += n - sizeof(log_buf) / 2 + 1;
        n = sizeof(log_buf) / 2 - 1;
    }
    if (log_len + n >= sizeof(log_buf)) {
        size_t keep = sizeof(log_buf) / 2 - 1;
        if (keep > log_len)
            keep = log_len;
        memmove(log_buf, log_buf + log_len - keep, keep);
        log_len = keep;
    }
    memcpy(log_buf + log_len, text, n);
    log_len += n;
    log_buf[log_len] = 0;
}

static int collect_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
    char line[1024];
    va_list again;
    int n;

    if (level == LIBBPF_DEBUG)
        return 0;
    va_copy(again, args);
    n = vsnprintf(line, sizeof(line), fmt, args);
    if (n > 0 && (size_t)n < sizeof(line)) {
        append_log(line, (size_t)n);
    } else if (n > 0) {
        char *whole = malloc((size_t)n + 1);
        if (whole) {
            vsnprintf(whole, (size_t)n + 1, fmt, again);
            append_log(whole, (size_t)n);
            free(whole);
        } else {
            append_log(line, sizeof(line) - 1);
        }
    }
    va_end(again);
    return 0;
}

const char *pg_probe_last_log(void) { return log_buf; }
void pg_probe_clear_log(void) { log_len = 0; log_buf[0] = 0; }

/*
 * One of the two skeletons: the fast probe, or the compat probe for older kernels. Both are
 * built from the same wire header and declare the same maps, programs and globals, so each
 * operation below is the same code on either; PG_FIELD picks the loaded one.
 */
struct pg_probe {
    bool compat;
    struct peregrine_bpf *fast;
    struct peregrine_compat_bpf *old;
    enum pg_probe_variant mode;
    uint32_t ringbuf_bytes;
};

#define PG_FIELD(p, member) (*((p)->compat ? &(p)->old->member : &(p)->fast->member))

static int open_variant(struct pg_probe *p, bool compat)
{
    struct bpf_map *events;

    p->compat = compat;
    if (compat) {
        p->old = peregrine_compat_bpf__open();
        if (!p->old)
            return -errno;
    } else {
        p->fast = peregrine_bpf__open();
        if (!p->fast)
            return -errno;
    }
    events = PG_FIELD(p, maps.pg_events);
    if (p->ringbuf_bytes)
        return bpf_map__set_max_entries(events, p->ringbuf_bytes);
    return 0;
}

static void destroy_variant(struct pg_probe *p)
{
    if (p->fast)
        peregrine_bpf__destroy(p->fast);
    if (p->old)
        peregrine_compat_bpf__destroy(p->old);
    p->fast = NULL;
    p->old = NULL;
}

int pg_probe_open(struct pg_probe **out, uint32_t ringbuf_bytes, enum pg_probe_variant mode)
{
    struct pg_probe *p;
    int err;

    libbpf_set_print(collect_log);
    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->mode = mode;
    p->ringbuf_bytes = ringbuf_bytes;
    err = open_variant(p, mode == PG_PROBE_COMPAT);
    if (err) {
        destroy_variant(p);
        free(p);
        return err;
    }
    *out = p;
    return 0;
}

int pg_probe_load(struct pg_probe *p)
{
    int err = p->compat ? peregrine_compat_bpf__load(p->old) : peregrine_bpf__load(p->fast);

    if (!err || p->compat || p->mode != PG_PROBE_AUTOMATIC)
        return err;
    /* The kernel refused the fast probe (a kfunc or verifier feature it lacks): load the
     * compat probe instead. Its log replaces the fast probe's, so a second failure reports
     * the compat probe's reason. */
    destroy_variant(p);
    pg_probe_clear_log();
    err = open_variant(p, true);
    return err ? err : peregrine_compat_bpf__load(p->old);
}

const char *pg_probe_variant_name(struct pg_probe *p) { return p->compat ? "compat" : "fast"; }

int pg_probe_attach(struct pg_probe *p, bool sys_exit)
{
    int err;

    /* The skeleton attaches what is marked autoattach; sys_exit is attached on its own. */
    bpf_program__set_autoattach(PG_FIELD(p, progs.pg_sys_exit), false);
    err = p->compat ? peregrine_compat_bpf__attach(p->old) : peregrine_bpf__attach(p->fast);
    if (err)
        return err;
    return pg_probe_set_sys_exit(p, sys_exit);
}

int pg_probe_set_sys_exit(struct pg_probe *p, bool on)
{
    struct bpf_link *link;

    if (!on) {
        bpf_link__destroy(PG_FIELD(p, links.pg_sys_exit));
        PG_FIELD(p, links.pg_sys_exit) = NULL;
        return 0;
    }
    if (PG_FIELD(p, links.pg_sys_exit))
        return 0;
    link = bpf_program__attach(PG_FIELD(p, progs.pg_sys_exit));
    if (!link)
        return -errno;
    /* Kept in the skeleton's table, so detach and destroy release it with the others. */
    PG_FIELD(p, links.pg_sys_exit) = link;
    return 0;
}

bool pg_probe_sys_exit_attached(struct pg_probe *p) { return PG_FIELD(p, links.pg_sys_exit) != NULL; }

void pg_probe_detach(struct pg_probe *p)
{
    if (p->compat)
        peregrine_compat_bpf__detach(p->old);
    else
        peregrine_bpf__detach(p->fast);
}

void pg_probe_destroy(struct pg_probe *p)
{
    if (!p)
        return;
    destroy_variant(p);
    free(p);
}

uint32_t pg_probe_syscall_table_size(void)
{
    _Static_assert(sizeof(((struct peregrine_bpf *)0)->bss->pg_syscall_kind) ==
                   sizeof(((struct peregrine_compat_bpf *)0)->bss->pg_syscall_kind),
                   "both probes number syscalls alike");
    return sizeof(((struct peregrine_bpf *)0)->bss->pg_syscall_kind);
}

void pg_probe_set_syscall_kind(struct pg_probe *p, uint32_t nr, uint8_t kind)
{
    if (nr < pg_probe_syscall_table_size())
        PG_FIELD(p, bss->pg_syscall_kind[nr]) = kind;
}

void pg_probe_set_self_tgid(struct pg_probe *p, uint32_t tgid) { PG_FIELD(p, bss->pg_self_tgid) = tgid; }
void pg_probe_set_only_tgid(struct pg_probe *p, uint32_t tgid) { PG_FIELD(p, bss->pg_only_tgid) = tgid; }
void pg_probe_set_failed_execs(struct pg_probe *p, bool on) { PG_FIELD(p, data->pg_failed_execs) = on; }
void pg_probe_set_wakeup_bytes(struct pg_probe *p, uint64_t bytes) { PG_FIELD(p, data->pg_wakeup_bytes) = bytes; }

int pg_probe_enable_run_time_stats(void)
{
    int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    return fd < 0 ? -errno : fd;
}

int pg_probe_sys_exit_run_stats(struct pg_probe *p, uint64_t *run_ns, uint64_t *runs)
{
    struct bpf_prog_info info;
    __u32 len = sizeof(info);

    memset(&info, 0, sizeof(info));
    *run_ns = 0;
    *runs = 0;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(PG_FIELD(p, progs.pg_sys_exit)), &info, &len))
        return -errno;
    *run_ns = info.run_time_ns;
    *runs = info.run_cnt;
    return 0;
}

int pg_probe_events_fd(struct pg_probe *p) { return bpf_map__fd(PG_FIELD(p, maps.pg_events)); }
int pg_probe_stats_fd(struct pg_probe *p) { return bpf_map__fd(PG_FIELD(p, maps.pg_stats)); }

int pg_probe_read_stat(struct pg_probe *p, uint32_t stat, uint64_t *sum)
{
    int ncpu = libbpf_num_possible_cpus();
    uint64_t *values;
    int err, i;

    *sum = 0;
    if (ncpu <= 0)
        return ncpu ? ncpu : -EINVAL;
    values = calloc((size_t)ncpu, sizeof(*values));
    if (!values)
        return -ENOMEM;
    err = bpf_map_lookup_elem(bpf_map__fd(PG_FIELD(p, maps.pg_stats)), &stat, values);
    if (err) {
        err = -errno;
    } else {
        for (i = 0; i < ncpu; i++)
            *sum += values[i];
    }
    free(values);
    return err;
}
