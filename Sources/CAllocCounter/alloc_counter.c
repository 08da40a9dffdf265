#define _GNU_SOURCE
#include "alloc_counter.h"
#include <errno.h>
#include <execinfo.h>
#include <stddef.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t total;
static int trace_left;
static int in_trace;

uint64_t alloc_counter_total(void) { return total; }

void alloc_counter_trace_next(int n) { trace_left = n; }

static void counted(void) {
    total++;
    if (trace_left > 0 && !in_trace) {
        in_trace = 1;
        trace_left--;
        void *frames[24];
        int n = backtrace(frames, 24);
        static const char mark[] = "== allocation\n";
        (void)!write(2, mark, sizeof mark - 1);
        backtrace_symbols_fd(frames, n, 2);
        in_trace = 0;
    }
}

void *malloc(size_t n) { counted(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { counted(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { counted(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { counted(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { counted(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    counted();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
