// Bits of the `flags` argument of the `map` import (docs/abi.md), shared by the host and backends.
export const MAP_FLAG_SHARED = 1;
export const MAP_FLAG_POPULATE = 2;
/** The guest will not store there. Accepted and ignored here: V8 re-protects the whole memory read-write on grow. */
export const MAP_FLAG_READ_ONLY = 4;
export const MAP_FLAGS_ALL = MAP_FLAG_SHARED | MAP_FLAG_POPULATE | MAP_FLAG_READ_ONLY;
/**
 * Host to backend only, never from a guest (MAP_FLAGS_ALL leaves it out): the descriptor is the
 * one fileSize() was just asked about, in the same operation (a loan of Mmf), so the backend may
 * check it with that stat instead of taking another.
 */
export const MAP_FLAG_STAT_KNOWN = 8;
