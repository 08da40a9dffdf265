#include "peregrine_probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "peregrine.skel.h"

/* libbpf reports through a print callback; keep the last part of it so that a failed load
 * can tell the operator why (the verifier's verdict is at the end of its log). */
static char log_buf[16384];
static size_t log_len;

static int collect_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
    char line[1024];
    int n;

    if (level == LIBBPF_DEBUG)
        return 0;
    n = vsnprintf(line, sizeof(line), fmt, args);
    if (n <= 0)
        return 0;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    if (log_len + (size_t)n >= sizeof(log_buf)) {
        /* Keep the newest half. */
        size_t keep = sizeof(log_buf) / 2;
        memmove(log_buf, log_buf + log_len - keep, keep);
        log_len = keep;
    }
    memcpy(log_buf + log_len, line, (size_t)n);
    log_len += (size_t)n;
    log_buf[log_len] = 0;
    return 0;
}

const char *pg_probe_last_log(void) { return log_buf; }
void pg_probe_clear_log(void) { log_len = 0; log_buf[0] = 0; }

int pg_probe_open(struct peregrine_bpf **out, uint32_t ringbuf_bytes)
{
    struct peregrine_bpf *skel;
    int err;

    libbpf_set_print(collect_log);
    *out = NULL;
    skel = peregrine_bpf__open();
    if (!skel)
        return -errno;
    if (ringbuf_bytes) {
        err = bpf_map__set_max_entries(skel->maps.pg_events, ringbuf_bytes);
        if (err) {
            peregrine_bpf__destroy(skel);
            return err;
        }
    }
    *out = skel;
    return 0;
}

int pg_probe_load(struct peregrine_bpf *skel) { return peregrine_bpf__load(skel); }
int pg_probe_attach(struct peregrine_bpf *skel, bool sys_exit)
{
    int err;

    /* The skeleton attaches what is marked autoattach; sys_exit is attached on its own. */
    bpf_program__set_autoattach(skel->progs.pg_sys_exit, false);
    err = peregrine_bpf__attach(skel);
    if (err)
        return err;
    return pg_probe_set_sys_exit(skel, sys_exit);
}

int pg_probe_set_sys_exit(struct peregrine_bpf *skel, bool on)
{
    struct bpf_link *link;

    if (!on) {
        bpf_link__destroy(skel->links.pg_sys_exit);
        skel->links.pg_sys_exit = NULL;
        return 0;
    }
    if (skel->links.pg_sys_exit)
        return 0;
    link = bpf_program__attach(skel->progs.pg_sys_exit);
    if (!link)
        return -errno;
    /* Kept in the skeleton's table, so detach and destroy release it with the others. */
    skel->links.pg_sys_exit = link;
    return 0;
}

bool pg_probe_sys_exit_attached(struct peregrine_bpf *skel) { return skel->links.pg_sys_exit != NULL; }

void pg_probe_detach(struct peregrine_bpf *skel) { peregrine_bpf__detach(skel); }
void pg_probe_destroy(struct peregrine_bpf *skel) { if (skel) peregrine_bpf__destroy(skel); }

uint32_t pg_probe_syscall_table_size(void)
{
    return sizeof(((struct peregrine_bpf *)0)->bss->pg_syscall_kind);
}

void pg_probe_set_syscall_kind(struct peregrine_bpf *skel, uint32_t nr, uint8_t kind)
{
    if (nr < pg_probe_syscall_table_size())
        skel->bss->pg_syscall_kind[nr] = kind;
}

void pg_probe_set_self_tgid(struct peregrine_bpf *skel, uint32_t tgid) { skel->bss->pg_self_tgid = tgid; }
void pg_probe_set_only_tgid(struct peregrine_bpf *skel, uint32_t tgid) { skel->bss->pg_only_tgid = tgid; }
void pg_probe_set_failed_execs(struct peregrine_bpf *skel, bool on) { skel->data->pg_failed_execs = on; }
void pg_probe_set_wakeup_bytes(struct peregrine_bpf *skel, uint64_t bytes) { skel->data->pg_wakeup_bytes = bytes; }

int pg_probe_enable_run_time_stats(void)
{
    int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    return fd < 0 ? -errno : fd;
}

int pg_probe_sys_exit_run_stats(struct peregrine_bpf *skel, uint64_t *run_ns, uint64_t *runs)
{
    struct bpf_prog_info info;
    __u32 len = sizeof(info);

    memset(&info, 0, sizeof(info));
    *run_ns = 0;
    *runs = 0;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.pg_sys_exit), &info, &len))
        return -errno;
    *run_ns = info.run_time_ns;
    *runs = info.run_cnt;
    return 0;
}

int pg_probe_events_fd(struct peregrine_bpf *skel) { return bpf_map__fd(skel->maps.pg_events); }
int pg_probe_stats_fd(struct peregrine_bpf *skel) { return bpf_map__fd(skel->maps.pg_stats); }

int pg_probe_read_stat(struct peregrine_bpf *skel, uint32_t stat, uint64_t *sum)
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
    err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.pg_stats), &stat, values);
    if (err) {
        err = -errno;
    } else {
        for (i = 0; i < ncpu; i++)
            *sum += values[i];
    }
    free(values);
    return err;
}
