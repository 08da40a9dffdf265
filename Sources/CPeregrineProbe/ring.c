/*
 * ring.c: the consumer side of the BPF ring buffer (pg_events).
 *
 * libbpf's ring_buffer maps the data area twice, back to back, so that a record that wraps
 * around the end reads as one piece. Resident memory counts both mappings: a 16 MiB ring
 * showed as 32 MiB of the agent's RSS. This consumer maps the data once and copies the rare
 * record that wraps into a bounce buffer. The protocol is the kernel's (kernel/bpf/ringbuf.c)
 * and the same as libbpf's consumer: an 8-byte header before each record, whose length word
 * the producer publishes with release semantics (busy bit set while being written, discard
 * bit for records given up), records padded to 8 bytes, and a consumer position that user
 * space advances with a release store once a record is handled.
 */
#include "peregrine_probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

struct pg_ring {
    int map_fd;
    int epoll_fd;
    size_t page_size;
    uint64_t data_size; /* a power of two */
    uint64_t *consumer_pos; /* the page user space writes */
    uint64_t *producer_pos; /* start of the read-only mapping: the producer page, then data */
    uint8_t *data;
    uint8_t *bounce; /* a wrapped record, made whole */
    size_t bounce_size;
    uint64_t wrapped; /* records that went through the bounce buffer */
};

int pg_ring_open(struct pg_ring **out, int map_fd)
{
    struct bpf_map_info info;
    uint32_t info_len = sizeof(info);
    struct epoll_event ev = { .events = EPOLLIN };
    struct pg_ring *r;
    void *p;
    int err;

    *out = NULL;
    memset(&info, 0, sizeof(info));
    if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len) < 0)
        return -errno;
    if (info.type != BPF_MAP_TYPE_RINGBUF || info.max_entries == 0 || (info.max_entries & (info.max_entries - 1)))
        return -EINVAL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->map_fd = map_fd;
    r->epoll_fd = -1;
    r->page_size = (size_t)sysconf(_SC_PAGESIZE);
    r->data_size = info.max_entries;

    p = mmap(NULL, r->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
    if (p == MAP_FAILED)
        goto fail;
    r->consumer_pos = p;
    /* The producer page and the data, once (the kernel allows any length up to both copies). */
    p = mmap(NULL, r->page_size + r->data_size, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page_size);
    if (p == MAP_FAILED)
        goto fail;
    r->producer_pos = p;
    r->data = (uint8_t *)p + r->page_size;

    r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epoll_fd < 0 || epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, map_fd, &ev) < 0)
        goto fail;
    *out = r;
    return 0;
fail:
    err = -errno;
    pg_ring_free(r);
    return err;
}

void pg_ring_free(struct pg_ring *r)
{
    if (!r)
        return;
    if (r->epoll_fd >= 0)
        close(r->epoll_fd);
    if (r->producer_pos)
        munmap(r->producer_pos, r->page_size + r->data_size);
    if (r->consumer_pos)
        munmap(r->consumer_pos, r->page_size);
    free(r->bounce);
    free(r);
}

/* A record's bytes as one piece: in place, or copied into the bounce buffer when it wraps. */
static const uint8_t *record_bytes(struct pg_ring *r, uint64_t start, uint32_t size)
{
    uint64_t at = start & (r->data_size - 1);
    uint64_t first = r->data_size - at;

    if (size <= first)
        return r->data + at;
    if (r->bounce_size < size) {
        uint8_t *b = realloc(r->bounce, size);
        if (!b)
            return NULL;
        r->bounce = b;
        r->bounce_size = size;
    }
    memcpy(r->bounce, r->data + at, first);
    memcpy(r->bounce + first, r->data, size - first);
    r->wrapped++;
    return r->bounce;
}

uint64_t pg_ring_wrapped_records(struct pg_ring *r) { return r ? r->wrapped : 0; }

int64_t pg_ring_consume(struct pg_ring *r, pg_ring_record_fn fn, void *context)
{
    uint64_t cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
    int64_t handled = 0;
    int more = 1;

    /* Until a pass finds nothing new: records committed while the last were handled count. */
    while (more) {
        uint64_t prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
        more = 0;
        while (cons < prod) {
            uint32_t *header = (uint32_t *)(r->data + (cons & (r->data_size - 1)));
            uint32_t len = __atomic_load_n(header, __ATOMIC_ACQUIRE);
            uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
            uint64_t start = cons + BPF_RINGBUF_HDR_SZ;

            if (len & BPF_RINGBUF_BUSY_BIT)
                return handled; /* still being written: the rest comes later, in order */
            more = 1;
            cons = (start + size + 7) & ~(uint64_t)7;
            if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
                const uint8_t *bytes = record_bytes(r, start, size);
                if (!bytes)
                    return -ENOMEM; /* not consumed: retried on the next call */
                fn(context, bytes, size);
                handled++;
            }
            __atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
        }
    }
    return handled;
}

int pg_ring_wait(struct pg_ring *r, int timeout_ms)
{
    struct epoll_event ev;
    int n = epoll_wait(r->epoll_fd, &ev, 1, timeout_ms);

    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    return n;
}
