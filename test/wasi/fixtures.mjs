// @ts-check
// The files the WASI suite (test/wasi/suite.ts) expects in its /fixtures preopen.

/** Byte i of the fixture pattern; suite.ts computes the same. */
export function patternByte(i) {
  return (Math.imul((i ^ (i >>> 8) ^ (i >>> 16)) >>> 0, 31) + 7) & 255;
}

function pattern(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = patternByte(i);
  return out;
}

/** name -> bytes */
export function fixtures() {
  return { "data.bin": pattern(200_000), "rw.bin": pattern(20_000), "empty.bin": new Uint8Array(0) };
}

export const suiteWasm = new URL("../../dist/wasi/mmf-tests.wasm", import.meta.url);
