// Counts calls into the malloc family made by this process, for engine-bench: the benchmark
// reports heap allocations per event (and, on request, where they come from). Linked only into
// engine-bench; it replaces malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign
// with wrappers that count and then call glibc's own implementation.
#pragma once
#include <stdint.h>

// Allocations since the process started (all threads; the benchmark is single-threaded).
uint64_t alloc_counter_total(void);

// While n > 0, each counted allocation prints a backtrace to stderr and decrements n.
void alloc_counter_trace_next(int n);
