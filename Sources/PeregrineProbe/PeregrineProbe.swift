// libbpf owner.
