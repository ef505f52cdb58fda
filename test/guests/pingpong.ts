// One side of the cross-process ping-pong, in Wasm: i32 atomics on a MEM_READWRITE region that
// another process maps too. Word 0 is the sequence number, words 1..8 the message.
import { fileFromHandle, newMemoryRegion, MEM_READWRITE } from "wasm-mmf/assembly";

const WORDS = 8;
const SPIN_LIMIT: i64 = 20_000_000_000; // a peer that never answers fails the run instead of hanging it

function waitFor(seq: usize, want: i32): bool {
  for (let spins: i64 = 0; spins < SPIN_LIMIT; spins++) if (atomic.load<i32>(seq) == want) return true;
  return false;
}

/** Plays `role` (0 starts, 1 answers) for `count` exchanges. Returns the torn messages, -1 if a peer went silent, or a negated error code. */
export function run(handle: i32, role: i32, count: i32): i32 {
  const mapped = newMemoryRegion(fileFromHandle(handle), MEM_READWRITE, 0, 4096);
  if (!mapped.ok) return -mapped.error;
  const region = mapped.value!;
  const seq = region.data();
  let torn = 0;
  for (let i = 1; i <= count; i++) {
    if (role == 0) {
      if (!waitFor(seq, 2 * (i - 1))) return -1;
      for (let k = 1; k <= WORDS; k++) store<i32>(seq + (<usize>k << 2), i * 31 + k);
      atomic.store<i32>(seq, 2 * i - 1);
      if (!waitFor(seq, 2 * i)) return -1;
      for (let k = 1; k <= WORDS; k++) if (load<i32>(seq + (<usize>k << 2)) != i * 17 + k) torn++;
    } else {
      if (!waitFor(seq, 2 * i - 1)) return -1;
      for (let k = 1; k <= WORDS; k++) if (load<i32>(seq + (<usize>k << 2)) != i * 31 + k) torn++;
      for (let k = 1; k <= WORDS; k++) store<i32>(seq + (<usize>k << 2), i * 17 + k);
      atomic.store<i32>(seq, 2 * i);
    }
  }
  region.close();
  return torn;
}
