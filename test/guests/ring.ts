// One side of a single-producer single-consumer ring in a shared memory object, in Wasm: the
// Node side is test/fixtures/ring.mjs (same layout). Word 0 is the head (messages written), word
// 16 the tail (messages read), word 8 the sides ready, and SLOTS slots of 4 words from byte 128: sequence and 3 payload
// words, each a function of the sequence, so that every message is checked.
import { memoryObjectFromHandle, newMemoryObject, newMemoryRegion, destroyMemoryObject, MemoryObject, MEM_READWRITE } from "wasm-mmf/assembly";

const SLOTS: u32 = 2048;
const BYTES: i64 = 65536; // the object's size, mapped whole
const TAIL: usize = 64;
const READY: usize = 32; // sides that have mapped the ring: both meet there before the first message
const SLOT0: usize = 128;
const SPIN_LIMIT: i64 = 20_000_000_000; // a peer that never answers fails the run instead of hanging it

function payload(seq: u32, k: u32): u32 {
  return k == 1 ? seq * 31 + 7 : k == 2 ? seq ^ 0x5a5a5a5a : seq * 2654435761;
}

/** Plays the producer (role 0) or the consumer (role 1) for `count` messages over a granted object. Returns the bad messages, -1 if the peer went silent, or a negated error code. */
export function run(handle: i32, role: i32, count: u32): i32 {
  const mapped = newMemoryRegion(memoryObjectFromHandle(handle), MEM_READWRITE, 0, BYTES);
  if (!mapped.ok) return -mapped.error;
  const region = mapped.value!;
  const base = region.data();
  atomic.add<u32>(base + READY, 1);
  for (let spins: i64 = 0; atomic.load<u32>(base + READY) < 2; spins++) if (spins > SPIN_LIMIT) return -1;
  let bad = 0;
  let other: u32 = 0; // the peer's word as last read: read again only when the ring looks full (or empty)
  for (let i: u32 = 0; i < count; i++) {
    const slot = base + SLOT0 + (<usize>(i % SLOTS) << 4);
    let spins: i64 = 0;
    if (role == 0) {
      while (i - other >= SLOTS) {
        other = atomic.load<u32>(base + TAIL);
        if (++spins > SPIN_LIMIT) return -1;
      }
      store<u32>(slot, i);
      for (let k: u32 = 1; k <= 3; k++) store<u32>(slot + (<usize>k << 2), payload(i, k));
      atomic.store<u32>(base, i + 1);
    } else {
      while (other == i) {
        other = atomic.load<u32>(base);
        if (++spins > SPIN_LIMIT) return -1;
      }
      let ok = load<u32>(slot) == i;
      for (let k: u32 = 1; k <= 3; k++) ok = ok && load<u32>(slot + (<usize>k << 2)) == payload(i, k);
      if (!ok) bad++;
      atomic.store<u32>(base + TAIL, i + 1);
    }
  }
  region.close();
  return bad;
}

/** Creates the object `name` ("wx+"), sizes it to `size` bytes and writes `byte` at `at` through a MEM_READWRITE region. 0, or a negated error code. */
export function createAndWrite(name: string, size: i64, at: i32, byte: u8): i32 {
  const opened = newMemoryObject(name, "wx+");
  if (!opened.ok) return -opened.error;
  const object = opened.value!;
  const sized = object.truncate(size);
  if (sized < 0) return sized;
  const mapped = newMemoryRegion(object, MEM_READWRITE, 0, size);
  if (!mapped.ok) return -mapped.error;
  store<u8>(mapped.value!.data() + <usize>at, byte);
  const closed = mapped.value!.close();
  object.close();
  return closed;
}

/** The error of newMemoryObject(name, flags), 0 if it opened. */
export function openObjectError(name: string, flags: string): i32 {
  const opened = newMemoryObject(name, flags);
  if (!opened.ok) return opened.error;
  opened.value!.close();
  return 0;
}

/** Byte `at` of the object `name` through a MEM_READ_ONLY region, or a negated error code. */
export function readObjectByte(name: string, at: i32): i32 {
  const opened = newMemoryObject(name, "r");
  if (!opened.ok) return -opened.error;
  const object: MemoryObject = opened.value!;
  const mapped = newMemoryRegion(object, 1, 0, object.size());
  object.close();
  if (!mapped.ok) return -mapped.error;
  const byte = <i32>load<u8>(mapped.value!.data() + <usize>at);
  mapped.value!.close();
  return byte;
}

/** destroyMemoryObject(name): 1, 0 or a negated error code. */
export function destroyObject(name: string): i32 {
  return destroyMemoryObject(name);
}
