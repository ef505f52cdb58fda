// Bits of the `flags` argument of the `map` import (docs/abi.md), shared by the host and backends.
export const MAP_FLAG_SHARED = 1;
export const MAP_FLAG_POPULATE = 2;
export const MAP_FLAGS_ALL = MAP_FLAG_SHARED | MAP_FLAG_POPULATE;
