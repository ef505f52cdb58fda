// Region modes, with the values and meaning of Go's mmf constants (the numbers: abi.ts, generated).
import { MEM_COPY_ON_WRITE, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE } from "./abi";

export {
  MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE, MEM_COPY_ON_WRITE, REGION_POPULATE,
  ADVICE_NORMAL, ADVICE_RANDOM, ADVICE_SEQUENTIAL, ADVICE_WILLNEED, ADVICE_HUGEPAGE, ADVICE_COUNT,
} from "./abi";

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
