// Generated from abi/abi.json by scripts/gen-abi.mjs: do not edit (npm run build rewrites it).
// The numbers of the `mmf` ABI (docs/abi.md) other than the error codes (errors.ts).

/** The version of the `mmf` ABI this library speaks. */
export const ABI_VERSION: i32 = 3;

// Bits of the `flags` argument of `map`.
/** Writes reach the file (MAP_SHARED; the guest library's MEM_READWRITE); without it the mapping is private copy-on-write. */
export const MAP_SHARED: i32 = 1;
/** Fault every page in now, for reading (the Node host uses MADV_POPULATE_READ: MAP_POPULATE would copy every page of a private writable mapping). */
export const MAP_POPULATE: i32 = 2;
/** The guest will never store into the range, so a host may map it PROT_READ and a stray store traps (the Wasmtime host does), or ignore the bit (the Node host does); it changes no check. (ABI version 2) */
export const MAP_READ_ONLY: i32 = 4;
/** Every bit `map` knows; any other is EINVAL. */
export const MAP_FLAGS_ALL: i32 = 7;

// Modes of `open`.
/** read-only (a shared map of it is EACCES). */
export const OPEN_READ: i32 = 0;
/** read-write; the file must exist. */
export const OPEN_READ_WRITE: i32 = 1;
/** read-write, created if missing and truncated to 0 bytes. */
export const OPEN_CREATE: i32 = 2;

// Advice of `advise` (madvise); none of them changes the contents.
/** MADV_NORMAL: no special treatment. */
export const ADVICE_NORMAL: i32 = 0;
/** MADV_RANDOM: random access: read ahead less. */
export const ADVICE_RANDOM: i32 = 1;
/** MADV_SEQUENTIAL: sequential access: read ahead more, drop pages behind. */
export const ADVICE_SEQUENTIAL: i32 = 2;
/** MADV_WILLNEED: start reading the range in now. */
export const ADVICE_WILLNEED: i32 = 3;
/** MADV_HUGEPAGE: back the range with huge pages where the file system can. */
export const ADVICE_HUGEPAGE: i32 = 4;
/** Advice values run from 0 to ADVICE_COUNT - 1. */
export const ADVICE_COUNT: i32 = 5;

// Limits.
/** An open path of this many bytes or more is EINVAL. */
export const MAX_PATH: i32 = 4096;
/** Handles a guest may hold open at once unless its host says otherwise (then ENOMEM). */
export const DEFAULT_MAX_HANDLES: i32 = 1024;
/** Live mappings a guest may hold at once unless its host says otherwise (then ENOMEM). */
export const DEFAULT_MAX_MAPPINGS: i32 = 4096;

// Region modes of the library (the values of Go's mmf constants).
/** Readable; writers refuse. Changes made to the file by others show through. */
export const MEM_READ_ONLY: i32 = 0x1;
/** Readable, private; writers refuse. */
export const MEM_READ_PRIVATE: i32 = 0x2;
/** Readable and writable; writes go to the file (shared with every other mapping of it). */
export const MEM_READWRITE: i32 = 0x4;
/** Readable and writable; writes stay private to the region and never reach the file. */
export const MEM_COPY_ON_WRITE: i32 = 0x8;

// Options of newMemoryRegion.
/** Fault every page in at map time, not at first touch (the map flag POPULATE). */
export const REGION_POPULATE: i32 = 0x1;
