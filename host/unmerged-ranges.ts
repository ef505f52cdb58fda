// The ranges of a Wasm memory that unmap left as areas of their own. The native helper's unmap
// puts zeroed pages back without the madvise (MADV_DONTFORK) that merges them into the memory's
// area: a map at the same place then replaces such an area whole, and a map + unmap cycle neither
// splits the memory's area nor merges it again (a system call and two changes of the process's
// areas fewer). A few are kept per memory; older ones, and any that a new mapping covers only in
// part, are merged back, so the areas they add stay bounded (the guard's budget assumes so).
import { removeAt } from "./mapping-set.js";

/** Merges [addr, addr+len) back into its memory's area (the backend's merge). */
export type Merge = (addr: number, len: number) => void;

export class UnmergedRanges {
  /** Oldest first. */
  #starts: number[] = [];
  #lengths: number[] = [];
  readonly #limit: number;

  constructor(limit = 4) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#starts.length;
  }

  /** Notes [addr, addr+len), just unmapped; merges the oldest when more than the limit are kept. */
  add(addr: number, len: number, merge: Merge): void {
    if (this.#starts.length === this.#limit) {
      merge(this.#starts[0], this.#lengths[0]);
      removeAt(this.#starts, 0);
      removeAt(this.#lengths, 0);
    }
    this.#starts.push(addr);
    this.#lengths.push(len);
  }

  /**
   * Before [addr, addr+len) is mapped: forgets the ranges inside it (the mapping replaces them, and
   * its unmap notes them again), and merges those it overlaps in part.
   */
  take(addr: number, len: number, merge: Merge): void {
    for (let i = this.#starts.length - 1; i >= 0; i--) {
      const start = this.#starts[i];
      const end = start + this.#lengths[i];
      if (end <= addr || start >= addr + len) continue;
      if (start < addr || end > addr + len) merge(start, end - start);
      removeAt(this.#starts, i);
      removeAt(this.#lengths, i);
    }
  }

  /** Merges every range, for teardown. */
  drain(merge: Merge): void {
    for (let i = 0; i < this.#starts.length; i++) merge(this.#starts[i], this.#lengths[i]);
    this.#starts = [];
    this.#lengths = [];
  }
}
