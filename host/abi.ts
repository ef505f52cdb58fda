// Generated from abi/abi.json by scripts/gen-abi.mjs: do not edit (npm run build rewrites it).
// The numbers of the `mmf` ABI (docs/abi.md) for the Node host and the JavaScript API.

/** The version of the `mmf` ABI this host speaks. */
export const ABI_VERSION = 3;

/** The name of an error code (MmfError.code). */
export type MmfErrorCode = "EINVAL" | "ERANGE" | "EACCES" | "EBADF" | "ECLOSED" | "ENOMEM" | "EIO" | "ETRUNCATED" | "ENOENT" | "ENOSPC" | "EEXIST" | "ENOTSUP";

/** Code numbers as the `mmf` imports return them (negated on failure), by name. */
export const ErrorCodes = Object.freeze({ EINVAL: 1, ERANGE: 2, EACCES: 3, EBADF: 4, ECLOSED: 5, ENOMEM: 6, EIO: 7, ETRUNCATED: 8, ENOENT: 9, ENOSPC: 10, EEXIST: 11, ENOTSUP: 12 } as const);

/** The one-line text of each code. */
export const ErrorTexts: Readonly<Record<MmfErrorCode, string>> = Object.freeze({
  EINVAL: "invalid argument",
  ERANGE: "offset or size beyond the end of the object",
  EACCES: "not allowed by the region's mode or the file's access",
  EBADF: "bad or closed file handle",
  ECLOSED: "the region is closed",
  ENOMEM: "no room: the 4 GiB Wasm address space, a budget of live mappings, or the system's memory",
  EIO: "system call failed",
  ETRUNCATED: "the file was truncated under the region",
  ENOENT: "no such file",
  ENOSPC: "no space left on the file's device: bytes written through the region may not have reached the file",
  EEXIST: "the object already exists",
  ENOTSUP: "not supported by this host or backend",
});

/** @internal The errno names (node:os constants.errno) a host turns into each code; any other errno is EIO. */
export const ERRNOS_OF_CODE: Readonly<Record<MmfErrorCode, readonly string[]>> = Object.freeze({
  EINVAL: ["EINVAL", "ENODEV", "ENXIO", "EOVERFLOW", "EISDIR", "ENAMETOOLONG"],
  ERANGE: ["ERANGE", "EFBIG"],
  EACCES: ["EACCES", "EPERM", "ETXTBSY", "EROFS", "EXDEV", "ELOOP", "ENOTCAPABLE"],
  EBADF: ["EBADF"],
  ECLOSED: [],
  ENOMEM: ["ENOMEM", "EAGAIN", "EMFILE", "ENFILE"],
  EIO: [],
  ETRUNCATED: [],
  ENOENT: ["ENOENT", "ENOTDIR"],
  ENOSPC: ["ENOSPC", "EDQUOT"],
  EEXIST: ["EEXIST"],
  ENOTSUP: ["ENOTSUP"],
});

/** Bits of the `flags` argument of `map`. */
export const MapFlags = Object.freeze({ SHARED: 1, POPULATE: 2, READ_ONLY: 4 } as const);
/** Writes reach the file (MAP_SHARED; the guest library's MEM_READWRITE); without it the mapping is private copy-on-write. */
export const MAP_FLAG_SHARED = 1;
/** Fault every page in now, for reading (the Node host uses MADV_POPULATE_READ: MAP_POPULATE would copy every page of a private writable mapping). */
export const MAP_FLAG_POPULATE = 2;
/** The guest will never store into the range, so a host may map it PROT_READ and a stray store traps (the Wasmtime host does), or ignore the bit (the Node host does); it changes no check. (ABI version 2) */
export const MAP_FLAG_READ_ONLY = 4;
/** Every bit `map` knows; any other is EINVAL. */
export const MAP_FLAGS_ALL = 7;

/** Modes of `open`. */
export const OpenModes = Object.freeze({ READ: 0, READ_WRITE: 1, CREATE: 2, CREATE_NEW: 3 } as const);

/** Advice values of `advise` (madvise), by name; none of them changes the contents. */
export const AdviceCodes = Object.freeze({ NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, HUGEPAGE: 4 } as const);
/** Advice values run from 0 to ADVICE_COUNT - 1. */
export const ADVICE_COUNT = 5;
/** madvise advice for MemoryRegion.advise. */
export type Advice = "normal" | "random" | "sequential" | "willneed" | "hugepage";
/** @internal The advice value of each Advice name. */
export const ADVICE_BY_NAME: Readonly<Record<Advice, number>> = Object.freeze({ normal: 0, random: 1, sequential: 2, willneed: 3, hugepage: 4 });

/** An open path of this many bytes or more is EINVAL. */
export const MAX_PATH = 4096;
/** Handles a guest may hold open at once unless its host says otherwise (then ENOMEM). */
export const DEFAULT_MAX_HANDLES = 1024;
/** Live mappings a guest may hold at once unless its host says otherwise (then ENOMEM). */
export const DEFAULT_MAX_MAPPINGS = 4096;

// Region modes of the JavaScript API (the values of Go's mmf constants).
/** Readable; writers refuse. Changes made to the file by others show through. */
export const MEM_READ_ONLY = 0x1;
/** Readable, private; writers refuse. */
export const MEM_READ_PRIVATE = 0x2;
/** Readable and writable; writes go to the file (shared with every other mapping of it). */
export const MEM_READWRITE = 0x4;
/** Readable and writable; writes stay private to the region and never reach the file. */
export const MEM_COPY_ON_WRITE = 0x8;

// Options of newMemoryRegion, as the core module takes them.
/** @internal Fault every page in at map time, not at first touch (the map flag POPULATE). */
export const REGION_POPULATE = 0x1;

/** The `mmf` import functions, as a Wasm module imports them (see docs/abi.md). */
export interface MmfImports {
  /** the host's page size */
  page_size(): number;
  /** the file's size in bytes, or a negated code */
  file_size(handle: number): bigint;
  /** opens a path beneath a preopen; a handle, or a negated code */
  open(pathPtr: number, pathLen: number, mode: number): number;
  /** closes a handle; mappings made from it stay valid */
  close(handle: number): number;
  /** maps [file_offset, +len) of the file over [addr, addr + len), replacing what was there */
  map(handle: number, fileOffset: bigint, addr: number, len: number, flags: number): number;
  /** drops the mapping that is exactly [addr, addr + len); zeroed memory comes back */
  unmap(addr: number, len: number): number;
  /** writes the dirty pages of a range inside one mapping to the file */
  sync(addr: number, len: number, async: number): number;
  /** madvise over a range inside one mapping */
  advise(addr: number, len: number, advice: number): number;
  /** names the i32 the host increments whenever a mapping of this guest faults */
  watch(epochAddr: number): number;
  /** 0, or why the mapping that holds [addr, addr + len) faulted: ETRUNCATED, ENOSPC, EIO (ABI version 2) */
  fault_cause(addr: number, len: number): number;
  /** opens a named shared memory object the host allows; a handle, or a negated code (ABI version 3) */
  open_object(namePtr: number, nameLen: number, mode: number): number;
  /** removes a named shared memory object the host allows; 1 if it existed, 0 if not (ABI version 3) */
  destroy_object(namePtr: number, nameLen: number): number;
  /** sets the size of a read-write handle's file or memory object (ABI version 3) */
  truncate(handle: number, size: bigint): number;
  /** 1 if the mapping that holds [addr, addr + len) faulted, for any cause (version 1) */
  truncated(addr: number, len: number): number;
  /** mlock of a range inside one mapping: its pages are read in and stay in memory (ABI version 3) */
  lock(addr: number, len: number): number;
  /** munlock of a range inside one mapping (ABI version 3) */
  unlock(addr: number, len: number): number;
  /** how many pages of a range inside one mapping are in memory (mincore); one byte per page at vec_ptr unless 0 (ABI version 3) */
  residency(addr: number, len: number, vecPtr: number): number;
  /** resizes the mapping that is exactly [addr, addr + len) in place (new_addr = addr) or moves it to [new_addr, new_addr + new_len) (ABI version 3) */
  remap(addr: number, len: number, newAddr: number, newLen: number): number;
  [name: string]: (...args: never[]) => unknown;
}
