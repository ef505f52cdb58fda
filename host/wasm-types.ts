// The parts of WebAssembly's JavaScript API that appear in this package's public types, declared
// here so that a consumer needs no DOM lib (@types/node has no WebAssembly namespace). They match
// the DOM lib's WebAssembly.Memory and WebAssembly.Instance, so each is assignable to the other.

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

/** A WebAssembly.Instance. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
