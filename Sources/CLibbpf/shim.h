#ifndef PEREGRINE_CLIBBPF_SHIM_H
#define PEREGRINE_CLIBBPF_SHIM_H
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#endif
