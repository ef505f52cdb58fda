// Region modes, with the values and meaning of Go's mmf constants.

/** Readable; writers refuse. Changes made to the file by others show through. */
export const MEM_READ_ONLY: i32 = 0x1;
/** Readable, private; writers refuse. */
export const MEM_READ_PRIVATE: i32 = 0x2;
/** Readable and writable; writes go to the file (shared with every other mapping of it). */
export const MEM_READWRITE: i32 = 0x4;
/** Readable and writable; writes stay private to the region and never reach the file. */
export const MEM_COPY_ON_WRITE: i32 = 0x8;

export function isValidMode(mode: i32): bool {
  return mode == MEM_READ_ONLY || mode == MEM_READ_PRIVATE || mode == MEM_READWRITE || mode == MEM_COPY_ON_WRITE;
}

/** Whether writers may write to a region of this mode. */
export function allowsWrites(mode: i32): bool {
  return mode == MEM_READWRITE || mode == MEM_COPY_ON_WRITE;
}

/**
 * Whether the pages are mapped shared with the file. Only MEM_READWRITE is: every mapping is
 * read-write at the page level (the host's memory.grow re-protects the whole memory read-write),
 * so the read-only modes are private maps and a stray raw write can never reach the file.
 */
export function mapsShared(mode: i32): bool {
  return mode == MEM_READWRITE;
}

/** newMemoryRegion option: fault every page in at map time (MAP_POPULATE), not at first touch. */
export const REGION_POPULATE: i32 = 0x1;

/** Advice for MemoryRegion.advise (madvise); none of them changes the contents. */
export const ADVICE_NORMAL: i32 = 0;
export const ADVICE_RANDOM: i32 = 1;
export const ADVICE_SEQUENTIAL: i32 = 2;
export const ADVICE_WILLNEED: i32 = 3;
export const ADVICE_HUGEPAGE: i32 = 4;
