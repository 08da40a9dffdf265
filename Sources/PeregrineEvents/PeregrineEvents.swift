// Kernel/user record decoding.
