// Page arithmetic. The page size is the host's (4 KiB on x86-64 Linux), a power of two that
// divides the 64 KiB Wasm page.

const WASM_PAGE: u32 = 65536;

let pageSize: u32 = 0;
let pageShift: u32 = 0;

/** Sets the page size once; false if it is not a power of two between 4 KiB and 64 KiB. */
export function setPageSize(size: i32): bool {
  if (size < 4096 || size > <i32>WASM_PAGE || (size & (size - 1)) != 0) return false;
  pageSize = <u32>size;
  pageShift = ctz<u32>(pageSize);
  return true;
}

export function getPageSize(): u32 {
  return pageSize;
}

export function getPageShift(): u32 {
  return pageShift;
}

/** OS pages in one Wasm page. */
export function pagesPerWasmPage(): u32 {
  return WASM_PAGE >> pageShift;
}

/** How far `offset` sits past the start of its page. */
export function pageOffsetOf(offset: i64): u32 {
  return <u32>(offset & <i64>(pageSize - 1));
}

/** `bytes` rounded up to whole pages, as a page count. */
export function pagesFor(bytes: u64): u64 {
  return (bytes + <u64>(pageSize - 1)) >> pageShift;
}
