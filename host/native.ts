// Loads the N-API helper built by node-gyp (build/Release/mmf_native.node).
import { createRequire } from "node:module";

export interface NativeHelper {
  /** The OS page size. */
  pageSize(): number;
  /** The base address of the memory behind a full-length Uint8Array view, or a negated errno. */
  memoryBase(view: Uint8Array): bigint | number;
  /** [size, O_ACCMODE bits] of a regular file's descriptor, or a negated errno. */
  fileInfo(fd: number): [number, number] | number;
  /** Maps file pages over a page-aligned range of the memory; 0 or a negated errno. */
  map(view: Uint8Array, addr: number, len: number, fd: number, fileOffset: number, shared: boolean): number;
  /** Replaces a mapping with zeroed anonymous pages; 0 or a negated errno. */
  unmap(view: Uint8Array, addr: number, len: number): number;
  /** msync; 0 or a negated errno. */
  sync(view: Uint8Array, addr: number, len: number, async: boolean): number;
  /** The next offset holding data (SEEK_DATA), the file size if none, or a negated errno. */
  nextData(fd: number, offset: number): number;
  /** Opens a regular file beneath a directory descriptor (mode 0 r, 1 r+, 2 w+); fd or a negated errno. */
  openBeneath(dirfd: number, path: string, mode: number): number;
  /** The same, by the component walk that stands in for openat2 on older kernels. */
  openBeneathWalk(dirfd: number, path: string, mode: number): number;
  /** An O_PATH descriptor of a directory; fd or a negated errno. */
  openDirectory(path: string): number;
  /** close(2) of a descriptor the helper opened; 0 or a negated errno. */
  closeFd(fd: number): number;
}

let loaded: NativeHelper | undefined;

/** The native helper; throws if it was not built. */
export function nativeHelper(): NativeHelper {
  loaded ??= createRequire(import.meta.url)("../Release/mmf_native.node") as NativeHelper;
  return loaded;
}
