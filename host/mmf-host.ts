// MmfHost: supplies the `mmf` import module to one Wasm instance and carries out its system
// calls on that instance's memory. Every argument is checked here, before the native helper
// sees it: the Wasm side may be any module.
import { nativeHelper, type NativeHelper } from "./native.js";
import { codeFromErrno, ErrorCodes, MmfError } from "./errors.js";
import { MappingSet } from "./mapping-set.js";

const { EINVAL, ERANGE, EACCES, EBADF, EIO } = ErrorCodes;
const O_WRONLY = 1;
const O_RDWR = 2;

interface HandleEntry {
  fd: number;
  /** Whether the guest may map this file MEM_READWRITE. */
  writable: boolean;
}

/** The `mmf` import functions, as a Wasm module imports them. */
export interface MmfImports {
  page_size(): number;
  file_size(handle: number): bigint;
  map(handle: number, fileOffset: bigint, addr: number, len: number, shared: number): number;
  unmap(addr: number, len: number): number;
  sync(addr: number, len: number, async: number): number;
  [name: string]: (...args: never[]) => unknown;
}

export class MmfHost {
  /** The import namespace for module "mmf". */
  readonly imports: MmfImports;
  readonly pageSize: number;
  readonly #native: NativeHelper;
  #memory: WebAssembly.Memory | undefined;
  #view: Uint8Array = new Uint8Array(0);
  #base: bigint | undefined;
  readonly #handles = new Map<number, HandleEntry>();
  #nextHandle = 1;
  readonly #mappings = new MappingSet();
  #closed = false;

  constructor() {
    this.#native = nativeHelper();
    this.pageSize = this.#native.pageSize();
    this.imports = {
      page_size: () => this.pageSize,
      file_size: (handle) => BigInt(guarded(() => this.#fileSize(handle))),
      map: (handle, fileOffset, addr, len, shared) => guarded(() => this.#map(handle, fileOffset, addr >>> 0, len >>> 0, shared)),
      unmap: (addr, len) => guarded(() => this.#unmap(addr >>> 0, len >>> 0)),
      sync: (addr, len, async) => guarded(() => this.#sync(addr >>> 0, len >>> 0, async)),
    };
  }

  /** Binds the host to the guest's memory (an instance exporting `memory`, or the memory itself). */
  attach(target: WebAssembly.Instance | WebAssembly.Memory): void {
    const memory = target instanceof WebAssembly.Memory ? target : target.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new MmfError("EINVAL", "MmfHost.attach: no WebAssembly.Memory");
    if (this.#memory && this.#memory !== memory) throw new MmfError("EINVAL", "MmfHost.attach: already attached to another memory");
    this.#memory = memory;
    this.#currentView();
  }

  /** Registers an open descriptor as a handle number for the guest; the caller keeps owning the fd. */
  addHandle(fd: number, writable: boolean): number {
    const handle = this.#nextHandle++;
    this.#handles.set(handle, { fd, writable });
    return handle;
  }

  removeHandle(handle: number): void {
    this.#handles.delete(handle);
  }

  /** Live mappings of the attached memory. */
  get mappingCount(): number {
    return this.#mappings.size;
  }

  /** Unmaps everything still mapped and forgets all handles. */
  close(): void {
    if (this.#closed) return;
    const view = this.#memory ? this.#currentView() : undefined;
    for (const [addr, len] of this.#mappings.drain()) if (view) this.#native.unmap(view, addr, len);
    this.#handles.clear();
    this.#closed = true;
  }

  /** A Uint8Array over the whole memory, renewed after a grow; refuses a memory whose base moved. */
  #currentView(): Uint8Array {
    const memory = this.#memory;
    if (!memory || this.#closed) throw new HostError(EINVAL);
    const buffer = memory.buffer;
    if (this.#view.buffer !== buffer || this.#view.byteLength !== buffer.byteLength) {
      const view = new Uint8Array(buffer);
      const base = BigInt(this.#native.memoryBase(view));
      if (this.#base !== undefined && base !== this.#base) throw new HostError(EIO);
      this.#base = base;
      this.#view = view;
    }
    return this.#view;
  }

  #entry(handle: number): HandleEntry {
    const entry = this.#handles.get(handle);
    if (!entry) throw new HostError(EBADF);
    return entry;
  }

  #fileInfo(fd: number): [number, number] {
    const info = this.#native.fileInfo(fd);
    if (typeof info === "number") throw new HostError(-codeFromErrno(info));
    return info;
  }

  #fileSize(handle: number): number {
    return this.#fileInfo(this.#entry(handle).fd)[0];
  }

  /** Checks a page-aligned, non-empty range inside the memory and returns the current view. */
  #checkedRange(addr: number, len: number): Uint8Array {
    const view = this.#currentView();
    const ps = this.pageSize;
    if (len === 0 || addr % ps !== 0 || len % ps !== 0) throw new HostError(EINVAL);
    if (addr + len > view.byteLength) throw new HostError(ERANGE);
    return view;
  }

  #map(handle: number, fileOffset: bigint, addr: number, len: number, shared: number): number {
    const entry = this.#entry(handle);
    const view = this.#checkedRange(addr, len);
    if (this.#mappings.overlaps(addr, len)) throw new HostError(EINVAL);
    const [size, access] = this.#fileInfo(entry.fd);
    if (shared && (!entry.writable || access !== O_RDWR)) throw new HostError(EACCES);
    if (access === O_WRONLY) throw new HostError(EACCES);
    const ps = BigInt(this.pageSize);
    if (fileOffset < 0n || fileOffset % ps !== 0n) throw new HostError(EINVAL);
    // Pages wholly past the end of the file would fault (SIGBUS) on first touch.
    const fileEnd = ((BigInt(size) + ps - 1n) / ps) * ps;
    if (fileOffset + BigInt(len) > fileEnd) throw new HostError(ERANGE);
    const rc = this.#native.map(view, addr, len, entry.fd, Number(fileOffset), shared !== 0);
    if (rc < 0) return codeFromErrno(rc);
    this.#mappings.add(addr, len);
    return 0;
  }

  #unmap(addr: number, len: number): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.remove(addr, len)) throw new HostError(EINVAL);
    const rc = this.#native.unmap(view, addr, len);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }

  #sync(addr: number, len: number, async: number): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    const rc = this.#native.sync(view, addr, len, async !== 0);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }
}

/** An ABI error raised inside an import; `guarded` turns it into the negated code. */
class HostError extends Error {
  constructor(readonly code: number) {
    super(`mmf host error ${code}`);
  }
}

/** Runs an import body so that it returns a negated ABI code instead of throwing into Wasm. */
function guarded(body: () => number): number {
  try {
    return body();
  } catch (err) {
    return err instanceof HostError ? -err.code : -EIO;
  }
}
