// Guards live mappings against SIGBUS from a file truncated under them (see truncation_guard.c).
#pragma once
#include <stddef.h>
#include <stdint.h>

// Installs the SIGBUS handler once per process; 0 or -errno.
int guard_install(void);
// Watches [start, start+len); on a fault there, `epoch` (inside the Wasm memory, may be NULL) is
// incremented. 0 or -ENOMEM when the table is full.
int guard_add(uintptr_t start, size_t len, int32_t* epoch);
// Stops watching the mapping that starts at `start`.
void guard_remove(uintptr_t start);
// 1 if the mapping that starts at `start` faulted past the end of its file, 0 if not, -EINVAL if unknown.
int guard_truncated(uintptr_t start);
