// A test guest that calls the `mmf` imports directly (docs/abi.md), as a guest written in another
// language would, without the AssemblyScript library and its address-space allocator.

@external("mmf", "page_size") declare function page_size(): i32;
@external("mmf", "map") declare function map(handle: i32, fileOffset: i64, addr: usize, len: usize, flags: i32): i32;
@external("mmf", "unmap") declare function unmap(addr: usize, len: usize): i32;
@external("mmf", "watch") declare function watch(epochAddr: usize): i32;
@external("mmf", "fault_cause") declare function fault_cause(addr: usize, len: usize): i32;

let base: usize = 0;
let mapped: i32 = 0;
let refusal: i32 = 0;

/**
 * Grows the memory by what `max` mappings one page apart need, then maps page 0 of `handle` at
 * every other page of it until the host refuses. Returns how many it mapped (refusal() says why it
 * stopped).
 */
export function mapEveryOtherPage(handle: i32, max: i32): i32 {
  const ps = <usize>page_size();
  const grown = memory.grow(<i32>((<usize>max * 2 * ps + 0xffff) >> 16));
  if (grown < 0) return -1;
  base = <usize>grown << 16;
  refusal = 0;
  mapped = 0;
  while (mapped < max) {
    const rc = map(handle, 0, base + <usize>mapped * 2 * ps, ps, 0);
    if (rc < 0) {
      refusal = rc;
      break;
    }
    mapped++;
  }
  return mapped;
}

export function lastRefusal(): i32 {
  return refusal;
}

/** The address of mapping `index` of mapEveryOtherPage. */
export function mappedAt(index: i32): usize {
  return base + <usize>index * 2 * <usize>page_size();
}

/** Unmaps mapping `index` of mapEveryOtherPage and maps it again: 0 or the first negated code. */
export function remap(handle: i32, index: i32): i32 {
  const ps = <usize>page_size();
  const at = base + <usize>index * 2 * ps;
  const rc = unmap(at, ps);
  return rc < 0 ? rc : map(handle, 0, at, ps, 0);
}

/** Unmaps everything mapEveryOtherPage mapped; the number of unmaps that failed. */
export function unmapAll(): i32 {
  const ps = <usize>page_size();
  let failed = 0;
  for (let i = 0; i < mapped; i++) if (unmap(base + <usize>i * 2 * ps, ps) < 0) failed++;
  mapped = 0;
  return failed;
}

/** Grows the memory to at least `pages` Wasm pages; the size in pages, or -1. */
export function growTo(pages: i32): i32 {
  const now = memory.size();
  if (now < pages && memory.grow(pages - now) < 0) return -1;
  return memory.size();
}

/** Names the epoch word at `addr` (any unsigned address). */
export function watchAt(addr: usize): i32 {
  return watch(addr);
}

/** Maps `len` bytes of `handle` from 0 at `addr`, private. */
export function mapAt(handle: i32, addr: usize, len: usize): i32 {
  return map(handle, 0, addr, len, 0);
}

export function unmapAt(addr: usize, len: usize): i32 {
  return unmap(addr, len);
}

export function faultCauseAt(addr: usize, len: usize): i32 {
  return fault_cause(addr, len);
}

export function loadU8(addr: usize): i32 {
  return load<u8>(addr);
}

export function loadI32(addr: usize): i32 {
  return load<i32>(addr);
}
