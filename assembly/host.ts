// The system calls the region logic needs, imported from the host as module "mmf".
// Each returns a negated error code (see errors.ts) on failure. Addresses and lengths are byte
// offsets into this module's linear memory; map/unmap/sync take page-aligned ranges.

/** The OS page size in bytes. */
@external("mmf", "page_size")
export declare function host_page_size(): i32;

/** The size in bytes of the file behind `handle`, or a negated error code. */
@external("mmf", "file_size")
export declare function host_file_size(handle: i32): i64;

/** Maps `len` bytes of the file at `fileOffset` over [addr, addr+len); `shared` 1 = writes reach the file. */
@external("mmf", "map")
export declare function host_map(handle: i32, fileOffset: i64, addr: usize, len: usize, shared: i32): i32;

/** Drops the mapping at [addr, addr+len) and puts zeroed memory back. */
@external("mmf", "unmap")
export declare function host_unmap(addr: usize, len: usize): i32;

/** Writes the dirty pages of [addr, addr+len) to the file; `async` 1 = schedule only. */
@external("mmf", "sync")
export declare function host_sync(addr: usize, len: usize, isAsync: i32): i32;

/**
 * Opens the file at the UTF-8 path [pathPtr, pathPtr+pathLen) beneath one of the folders the host
 * preopened; mode 0 read-only, 1 read-write, 2 read-write created or truncated. Returns a handle
 * (> 0) or a negated error code.
 */
@external("mmf", "open")
export declare function host_open(pathPtr: usize, pathLen: usize, mode: i32): i32;

/** Closes a handle that `open` returned. */
@external("mmf", "close")
export declare function host_close(handle: i32): i32;
