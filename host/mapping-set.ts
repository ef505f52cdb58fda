// The live mappings of one Wasm memory, as sorted non-overlapping [addr, addr+len) ranges.
// The host asks it before every system call so that a guest can neither map over a live
// mapping nor unmap or sync memory that is not one of its mappings.

export class MappingSet {
  #starts: number[] = [];
  #lengths: number[] = [];

  get size(): number {
    return this.#starts.length;
  }

  /** Index of the first mapping that starts at or after `addr`. */
  #lowerBound(addr: number): number {
    let lo = 0;
    let hi = this.#starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#starts[mid] < addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether [addr, addr+len) overlaps any live mapping. */
  overlaps(addr: number, len: number): boolean {
    const i = this.#lowerBound(addr);
    if (i < this.#starts.length && this.#starts[i] < addr + len) return true;
    return i > 0 && this.#starts[i - 1] + this.#lengths[i - 1] > addr;
  }

  add(addr: number, len: number): void {
    const i = this.#lowerBound(addr);
    insertAt(this.#starts, i, addr);
    insertAt(this.#lengths, i, len);
  }

  /** Removes the mapping that is exactly [addr, addr+len); false if there is none. */
  remove(addr: number, len: number): boolean {
    const i = this.#lowerBound(addr);
    if (this.#starts[i] !== addr || this.#lengths[i] !== len) return false;
    removeAt(this.#starts, i);
    removeAt(this.#lengths, i);
    return true;
  }

  /** Whether [addr, addr+len) lies inside one live mapping. */
  contains(addr: number, len: number): boolean {
    return this.startOf(addr, len) >= 0;
  }

  /** The start of the live mapping that holds all of [addr, addr+len), or -1. */
  startOf(addr: number, len: number): number {
    const i = this.#lowerBound(addr + 1) - 1;
    return i >= 0 && addr + len <= this.#starts[i] + this.#lengths[i] ? this.#starts[i] : -1;
  }

  /** Every mapping, as [addr, len]. */
  entries(): Array<[number, number]> {
    return this.#starts.map((s, i): [number, number] => [s, this.#lengths[i]]);
  }

  /** Takes every mapping out, for teardown. */
  drain(): Array<[number, number]> {
    const all = this.entries();
    this.#starts = [];
    this.#lengths = [];
    return all;
  }
}

// splice() without the array of removed elements it returns: these run at every map and unmap.
export function insertAt(values: number[], i: number, value: number): void {
  for (let j = values.length; j > i; j--) values[j] = values[j - 1];
  values[i] = value;
}

export function removeAt(values: number[], i: number): void {
  for (let j = i + 1; j < values.length; j++) values[j - 1] = values[j];
  values.pop();
}
