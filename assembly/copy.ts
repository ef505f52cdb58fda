// Copying between two regions, for `mmf copy`.

const CHUNK: usize = 4096;

/** Whether [p, p+len) is all zero bytes; len is a multiple of 16. */
function isZero(p: usize, len: usize): bool {
  let acc = i64x2.splat(0);
  for (let i: usize = 0; i < len; i += 64) {
    acc = v128.or(acc, v128.or(v128.or(v128.load(p + i), v128.load(p + i, 16)), v128.or(v128.load(p + i, 32), v128.load(p + i, 48))));
  }
  return !v128.any_true(acc);
}

/**
 * Copies `len` bytes from `src` to `dst`, where `dst` is known to hold zeros (a freshly sized
 * file): 4 KiB chunks that are zero in `src` are skipped, so they are never written and a
 * sparse source stays sparse. Returns the bytes actually written.
 */
export function copyIntoZeroed(dst: usize, src: usize, len: usize): usize {
  let written: usize = 0;
  let done: usize = 0;
  while (done + CHUNK <= len) {
    if (!isZero(src + done, CHUNK)) {
      memory.copy(dst + done, src + done, CHUNK);
      written += CHUNK;
    }
    done += CHUNK;
  }
  if (done < len) {
    memory.copy(dst + done, src + done, len - done);
    written += len - done;
  }
  return written;
}
