// A guest that counts the lines of a file of any size: it maps the file one window at a time
// into its own memory and counts '\n' bytes with SIMD, touching every byte zero-copy.
import { openFile, newMemoryRegion, MEM_READ_ONLY, MemoryRegion } from "wasm-mmf/assembly";

/** Window size: 256 MiB of mapping at a time keeps the guest's memory small for any file. */
const WINDOW: i64 = 256 << 20;

function countNewlines(p: usize, len: usize): u64 {
  const newline = i8x16.splat(10);
  let count: u64 = 0;
  let i: usize = 0;
  for (; i + 16 <= len; i += 16) {
    count += <u64>popcnt<u32>(i8x16.bitmask(i8x16.eq(v128.load(p + i), newline)));
  }
  for (; i < len; i++) if (load<u8>(p + i) == 10) count++;
  return count;
}

/** Counts lines of the file at `path` (a guest path beneath a preopen). Returns the count, or a negated error code. */
export function countLines(path: string, window: i64 = WINDOW): i64 {
  const opened = openFile(path, "r");
  if (!opened.ok) return -opened.error;
  const file = opened.value!;
  const size = file.size();
  let lines: u64 = 0;
  for (let offset: i64 = 0; offset < size; offset += window) {
    const length = min<i64>(window, size - offset);
    const mapped = newMemoryRegion(file, MEM_READ_ONLY, offset, length);
    if (!mapped.ok) {
      file.close();
      return -mapped.error;
    }
    const region: MemoryRegion = mapped.value!;
    lines += countNewlines(region.data(), <usize>region.size());
    region.close();
  }
  file.close();
  return <i64>lines;
}
