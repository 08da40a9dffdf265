/*
 * peregrine_probe.h: the small C surface over the generated skeletons that Swift calls.
 * Each libbpf step is wrapped once and returns 0 or a negative errno; failures also leave
 * libbpf's own explanation (the verifier log, say) in pg_probe_last_log().
 */
#ifndef PEREGRINE_PROBE_H
#define PEREGRINE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

/* The loaded probe: the fast object (bpf/peregrine.bpf.c), or the compat object
 * (bpf/peregrine_compat.bpf.c) for kernels that refuse it. */
struct pg_probe;

enum pg_probe_variant {
    PG_PROBE_AUTOMATIC = 0, /* the fast probe, else the compat probe */
    PG_PROBE_FAST = 1,
    PG_PROBE_COMPAT = 2,
};

/* Opens an embedded object and sizes the ring buffer (bytes, a power of two >= page size). */
int pg_probe_open(struct pg_probe **out, uint32_t ringbuf_bytes, enum pg_probe_variant mode);
/* Verifies and loads the programs into the kernel; in automatic mode, falls back to the
 * compat probe when the kernel refuses the fast one. */
int pg_probe_load(struct pg_probe *probe);
/* "fast" or "compat": which object is in use. */
const char *pg_probe_variant_name(struct pg_probe *probe);
/* Attaches the programs; after this, records flow. `sys_exit` says whether to attach
 * pg_sys_exit too: it runs on every syscall of every process (~+200 ns each here even when
 * it returns at once), and only opens, mounts, chdir and failed execs need it. */
int pg_probe_attach(struct pg_probe *probe, bool sys_exit);
/* Attaches or detaches pg_sys_exit alone while the rest stays attached (on rule reload). */
int pg_probe_set_sys_exit(struct pg_probe *probe, bool on);
bool pg_probe_sys_exit_attached(struct pg_probe *probe);
/* Detaches every program; records already in the ring buffer stay readable. */
void pg_probe_detach(struct pg_probe *probe);
/* Detaches and frees everything. Safe with NULL. */
void pg_probe_destroy(struct pg_probe *probe);

/* Run-time configuration through the mmapped .data section (valid after load). */
void pg_probe_set_syscall_kind(struct pg_probe *probe, uint32_t nr, uint8_t kind);
uint32_t pg_probe_syscall_table_size(void);
void pg_probe_set_self_tgid(struct pg_probe *probe, uint32_t tgid);
void pg_probe_set_only_tgid(struct pg_probe *probe, uint32_t tgid);
void pg_probe_set_wakeup_bytes(struct pg_probe *probe, uint64_t bytes);
void pg_probe_set_failed_execs(struct pg_probe *probe, bool on);

int pg_probe_events_fd(struct pg_probe *probe);
int pg_probe_stats_fd(struct pg_probe *probe);

/* Sums the per-CPU counter `stat` (enum pg_stat). Returns 0 or a negative errno. */
int pg_probe_read_stat(struct pg_probe *probe, uint32_t stat, uint64_t *sum);

/* Benchmarks: turns on the kernel's per-program run-time accounting while the returned fd
 * stays open (negative errno on failure), and reads pg_sys_exit's totals. */
int pg_probe_enable_run_time_stats(void);
int pg_probe_sys_exit_run_stats(struct pg_probe *probe, uint64_t *run_ns, uint64_t *runs);

/* The consumer of the events ring buffer (ring.c): maps the ring's data once, where
 * libbpf's ring_buffer maps it twice (which counted twice in resident memory). One thread
 * consumes. */
struct pg_ring;
typedef void (*pg_ring_record_fn)(void *context, const void *data, uint32_t size);
/* For the ring buffer map `map_fd` (which must outlive the ring). 0 or a negative errno. */
int pg_ring_open(struct pg_ring **out, int map_fd);
void pg_ring_free(struct pg_ring *ring);
/* Hands every committed record to `fn`, in order, and frees its room in the ring; the bytes
 * are valid only during the call. Returns the number of records, or a negative errno. */
int64_t pg_ring_consume(struct pg_ring *ring, pg_ring_record_fn fn, void *context);
/* Waits up to `timeout_ms` for a wake-up from the kernel (records past the probe's wake-up
 * mark; below it records are not announced, so consume before waiting). Returns > 0 when
 * woken, 0 on timeout or signal, or a negative errno. */
int pg_ring_wait(struct pg_ring *ring, int timeout_ms);
/* How many records wrapped around the ring's end and were copied whole (tests). */
uint64_t pg_ring_wrapped_records(struct pg_ring *ring);

/* The tail of libbpf's messages since the last pg_probe_clear_log(). */
const char *pg_probe_last_log(void);
void pg_probe_clear_log(void);

#endif
