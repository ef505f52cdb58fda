// Which pages of this module's linear memory are free to map a file over.
//
// One bit per OS page of the 4 GiB address space: 0 = free and ours, 1 = in use or owned by
// someone else (static data, the runtime's heap, pages another thread grew). Pages are never
// handed back to the Wasm memory (it cannot shrink); a closed region's pages become free for the
// next one. Ours is only what our own memory.grow returned: memory that others grew since we
// last looked is marked as theirs before every search.

import { getPageShift, pagesPerWasmPage } from "./pages";

// 2^32 bytes / 4 KiB pages = 2^20 bits = 128 KiB; larger pages use a prefix of it.
const BITMAP: usize = memory.data(131072, 16);

/** Pages accounted for so far: [0, known) is in the bitmap, beyond is not yet grown. */
let known: u32 = 0;

function wordAt(index: u32): usize {
  return BITMAP + (<usize>(index >> 6) << 3);
}

function isUsed(page: u32): bool {
  return ((load<u64>(wordAt(page)) >> (page & 63)) & 1) != 0;
}

/** Sets (used) or clears (free) the bits of pages [page, page + span), all in one word. */
function markWord(page: u32, span: u32, used: bool): void {
  const mask: u64 = (span == 64 ? <u64>-1 : ((<u64>1 << span) - 1)) << (page & 63);
  const at = wordAt(page);
  const word = load<u64>(at);
  store<u64>(at, used ? word | mask : word & ~mask);
}

/** Sets (used) or clears (free) the bits of pages [start, start + count). */
function markRange(start: u32, count: u32, used: bool): void {
  let page = start;
  const end = start + count;
  // The partial words at either end bit by bit, the whole words between in one fill (a 1 GiB
  // region is 4096 words).
  if ((page & 63) != 0) {
    const span = min<u32>(64 - (page & 63), end - page);
    markWord(page, span, used);
    page += span;
  }
  const words = (end - page) >> 6;
  if (words > 0) {
    memory.fill(wordAt(page), used ? 0xff : 0, <usize>words << 3);
    page += words << 6;
  }
  if (page < end) markWord(page, end - page, used);
}

/** The first page at or after `from`, below `limit`, whose bit equals `used`; `limit` if none. */
function nextWith(from: u32, limit: u32, used: bool): u32 {
  let page = from;
  while (page < limit) {
    // 512 pages (64 bytes of bitmap) at a time where none of them is wanted.
    if (ASC_FEATURE_SIMD && (page & 511) == 0) {
      const at = wordAt(page);
      const any = v128.or(v128.or(v128.load(at), v128.load(at, 16)), v128.or(v128.load(at, 32), v128.load(at, 48)));
      const all = v128.and(v128.and(v128.load(at), v128.load(at, 16)), v128.and(v128.load(at, 32), v128.load(at, 48)));
      if (used ? !v128.any_true(any) : !v128.any_true(v128.not(all))) {
        page += 512;
        continue;
      }
    }
    let word = load<u64>(wordAt(page));
    if (!used) word = ~word;
    word >>= page & 63;
    if (word != 0) {
      const found = page + <u32>ctz<u64>(word);
      return found < limit ? found : limit;
    }
    page = (page | 63) + 1;
  }
  return limit;
}

/** Marks memory grown by others since the last call as not ours. */
function catchUp(): void {
  const now = <u32>memory.size() * pagesPerWasmPage();
  if (now > known) {
    markRange(known, now - known, true);
    known = now;
  }
}

/** The first page at or after `from` whose index is `phase` modulo `align` (a power of two). */
function alignUp(from: u32, align: u32, phase: u32): u32 {
  return from + ((phase - from) & (align - 1));
}

/**
 * Reserves `count` contiguous free pages and returns the first one's byte address, growing the
 * memory when no free run is long enough. The first page's index is `phase` modulo `align` (a
 * power of two; 1 = any page). Returns 0 when the address space is exhausted (address 0 is static
 * data, never a free page).
 *
 * Another thread may grow a shared memory at any moment. Only the pages our own memory.grow
 * returned are ours: pages that appeared before them are marked as someone else's, pages that
 * appear after them are caught up with at the next call, and when someone else's pages broke the
 * free run we meant to extend, the search starts again over the pages we now hold.
 */
export function reservePages(count: u32, align: u32 = 1, phase: u32 = 0): usize {
  if (count == 0) return 0;
  const perWasm = <u64>pagesPerWasmPage();
  while (true) {
    catchUp();
    let trailing: u32 = 0; // length of the free run that ends at `known`
    let page: u32 = 0;
    while (page < known) {
      const start = nextWith(page, known, false);
      if (start >= known) break;
      const first = alignUp(start, align, phase);
      // The end of the free run, looked for only as far as the pages we need.
      const end = nextWith(start, min<u32>(known, first + count), true);
      if (first < end && end - first >= count) {
        markRange(first, count, true);
        return <usize>first << getPageShift();
      }
      if (end == known) trailing = end - start;
      page = end;
    }
    // Grow by what the trailing free run, aligned, lacks.
    const first = alignUp(known - trailing, align, phase);
    const lacking = <u64>first + <u64>count - <u64>known;
    const wasmPages = (lacking + perWasm - 1) / perWasm;
    if (wasmPages > 65536) return 0;
    const before = memory.grow(<i32>wasmPages);
    if (before < 0) return 0;
    const ours = <u32>(<u64>before * perWasm); // the first page of the ones we grew
    const extended = ours == known;
    if (ours > known) markRange(known, ours - known, true); // grown by others since we looked
    known = ours + <u32>(wasmPages * perWasm);
    if (extended) {
      markRange(first, count, true);
      return <usize>first << getPageShift();
    }
  }
  return 0; // unreachable: the loop returns, and each pass grows a memory that cannot grow forever
}

/**
 * Takes the `count` pages from `addr` if all of them are free (growing the memory when they run
 * past its end and our own grow makes them ours): for a region that grows in place. False, with
 * nothing taken, when any is used or someone else's.
 */
export function claimPages(addr: usize, count: u32): bool {
  catchUp();
  const first = <u32>(addr >> getPageShift());
  const end = <u64>first + <u64>count;
  const inside = <u32>min<u64>(<u64>known, end);
  if (first < inside && nextWith(first, inside, true) < inside) return false;
  if (first > known) return false;
  if (end > <u64>known) {
    const perWasm = <u64>pagesPerWasmPage();
    const wasmPages = (end - <u64>known + perWasm - 1) / perWasm;
    if (wasmPages > 65536) return false;
    const before = memory.grow(<i32>wasmPages);
    if (before < 0) return false;
    const ours = <u32>(<u64>before * perWasm);
    const extended = ours == known;
    if (ours > known) markRange(known, ours - known, true); // grown by others since we looked
    known = ours + <u32>(wasmPages * perWasm);
    if (!extended) return false; // the pages we grew stay free for later regions
  }
  markRange(first, count, true);
  return true;
}

/** Returns pages [addr, addr + count pages) to the free pool. */
export function releasePages(addr: usize, count: u32): void {
  markRange(<u32>(addr >> getPageShift()), count, false);
}
