// MmfHost: supplies the `mmf` import module to one Wasm instance (a guest) and carries out its
// system calls on that guest's memory. The guest is untrusted: it reaches only the files the
// host gave it (preopened folders, granted files), its handles index a table of its own, and
// every address, length and offset is checked here before the native helper sees it.
import { constants, openSync } from "node:fs";
import { resolve } from "node:path";
import { selectBackend, type Backend, type BackendName, type BackendOption } from "./backend.js";
import type { WasmInstance, WasmMemory } from "./wasm-types.js";
import { codeFromErrno, errorFromCode, errorFromNodeError, ErrorCodes, MmfError } from "./errors.js";
import { MappingSet } from "./mapping-set.js";
import { MAP_FLAG_SHARED, MAP_FLAGS_ALL } from "./map-flags.js";

const { EINVAL, ERANGE, EACCES, EBADF, EIO, ENOENT, ENOMEM } = ErrorCodes;
// Access modes as the backends' fileInfo reports them (F_GETFL & O_ACCMODE).
const { O_WRONLY, O_RDWR } = constants;
const MAX_PATH = 4096;

interface HandleEntry {
  fd: number;
  /** Whether the guest may map this file MEM_READWRITE. */
  writable: boolean;
  /** Whether the host opened the descriptor (and so closes it). */
  owned: boolean;
}

interface Preopen {
  guestPath: string;
  dirfd: number;
}

/** The `mmf` import functions, as a Wasm module imports them (see docs/abi.md). */
export interface MmfImports {
  page_size(): number;
  file_size(handle: number): bigint;
  map(handle: number, fileOffset: bigint, addr: number, len: number, flags: number): number;
  unmap(addr: number, len: number): number;
  sync(addr: number, len: number, async: number): number;
  open(pathPtr: number, pathLen: number, mode: number): number;
  close(handle: number): number;
  watch(epochAddr: number): number;
  truncated(addr: number, len: number): number;
  advise(addr: number, len: number, advice: number): number;
  [name: string]: (...args: never[]) => unknown;
}

export interface MmfHostOptions {
  /** Guest path → host folder. The guest opens files beneath these folders only. */
  preopens?: Record<string, string>;
  /** Most handles a guest may hold open at once (default 1024). */
  maxHandles?: number;
  /** "native" (real mmap), "emulated" (copies), or "auto" (default: MMF_BACKEND, else native, else emulated). */
  backend?: BackendOption;
}

// Hosts on the emulated backend, whose writes reach the file only at flush or unmap: on a clean
// exit each writes back what its live mappings changed (one exit listener for all).
const writeBackAtExit = new Set<WeakRef<MmfHost>>();
let exitListener = false;

function writeBackAll(): void {
  for (const ref of writeBackAtExit) ref.deref()?.writeBack();
}

export class MmfHost {
  /** The import namespace for module "mmf". */
  readonly imports: MmfImports;
  readonly pageSize: number;
  readonly #native: Backend;
  #memory: WebAssembly.Memory | undefined;
  #view: Uint8Array = new Uint8Array(0);
  #base: bigint | undefined;
  readonly #handles = new Map<number, HandleEntry>();
  #nextHandle = 1;
  readonly #maxHandles: number;
  readonly #preopens: Preopen[] = [];
  readonly #mappings = new MappingSet();
  #exitRef: WeakRef<MmfHost> | undefined;
  /** Where in the guest's memory the truncation epoch word lives (-1: the guest did not say). */
  #epochAddr = -1;
  #closed = false;

  constructor(options: MmfHostOptions = {}) {
    this.#native = selectBackend(options.backend);
    this.pageSize = this.#native.pageSize();
    this.#maxHandles = options.maxHandles ?? 1024;
    for (const [guestPath, hostPath] of Object.entries(options.preopens ?? {})) this.#preopen(guestPath, hostPath);
    // Longest guest path first, so "/data/sub" wins over "/data".
    this.#preopens.sort((a, b) => b.guestPath.length - a.guestPath.length);
    this.imports = {
      page_size: () => this.pageSize,
      file_size: (handle) => BigInt(guarded(() => this.#fileSize(handle))),
      map: (handle, fileOffset, addr, len, flags) => guarded(() => this.#map(handle, fileOffset, addr >>> 0, len >>> 0, flags)),
      unmap: (addr, len) => guarded(() => this.#unmap(addr >>> 0, len >>> 0)),
      sync: (addr, len, async) => guarded(() => this.#sync(addr >>> 0, len >>> 0, async)),
      open: (pathPtr, pathLen, mode) => guarded(() => this.#open(pathPtr >>> 0, pathLen >>> 0, mode)),
      close: (handle) => guarded(() => this.#closeHandle(handle)),
      watch: (epochAddr) => guarded(() => this.#watch(epochAddr >>> 0)),
      truncated: (addr, len) => guarded(() => this.#truncated(addr >>> 0, len >>> 0)),
      advise: (addr, len, advice) => guarded(() => this.#advise(addr >>> 0, len >>> 0, advice)),
    };
  }

  /** Binds the host to the guest's memory (an instance exporting `memory`, or the memory itself). */
  attach(target: WasmInstance | WasmMemory): void {
    const memory = target instanceof WebAssembly.Memory ? target : (target as WasmInstance).exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new MmfError("EINVAL", "MmfHost.attach: no WebAssembly.Memory");
    if (this.#memory && this.#memory !== memory) throw new MmfError("EINVAL", "MmfHost.attach: already attached to another memory");
    if (this.#closed) throw new MmfError("ECLOSED", "MmfHost.attach: the host is closed");
    this.#memory = memory;
    this.#currentView();
  }

  /** Opens a host file for the guest and returns its handle; "r" grants can never be mapped writable. */
  grant(path: string, flags: "r" | "r+" = "r"): number {
    const operation = `MmfHost.grant(${path}, ${flags})`;
    if (flags !== "r" && flags !== "r+") throw new MmfError("EINVAL", `${operation}: flags must be "r" or "r+"`);
    if (this.#closed) throw new MmfError("ECLOSED", `${operation}: the host is closed`);
    let fd: number;
    try {
      fd = openSync(path, flags);
    } catch (err) {
      throw errorFromNodeError(operation, err);
    }
    const info = this.#native.fileInfo(fd);
    if (typeof info === "number" || this.#handles.size >= this.#maxHandles) {
      this.#native.closeFd(fd);
      throw errorFromCode(operation, typeof info === "number" ? codeFromErrno(info) : -ENOMEM,
        typeof info === "number" ? "not a regular file" : "too many open handles");
    }
    return this.#addHandle({ fd, writable: flags === "r+", owned: true });
  }

  /** @internal Lends an open descriptor to the guest as a handle; the caller keeps owning the fd. */
  addHandle(fd: number, writable: boolean): number {
    return this.#addHandle({ fd, writable, owned: false });
  }

  /** @internal */
  removeHandle(handle: number): void {
    this.#handles.delete(handle);
  }

  /** Which backend carries out the system calls. */
  get backend(): BackendName {
    return this.#native.name;
  }

  /** @internal SEEK_DATA through the backend, for copies that skip holes. */
  nextData(fd: number, offset: number): number {
    return this.#native.nextData(fd, offset);
  }

  /** Live mappings of the attached memory. */
  get mappingCount(): number {
    return this.#mappings.size;
  }

  /** Handles the guest holds. */
  get handleCount(): number {
    return this.#handles.size;
  }

  /** @internal Writes back every live mapping's changes (emulated backend; a no-op for real maps). */
  writeBack(): void {
    if (this.#closed || !this.#memory) return;
    const view = this.#currentView();
    for (const [addr, len] of this.#mappings.entries()) this.#native.sync(view, addr, len, true);
  }

  /** Unmaps everything the guest still has mapped and closes every handle and preopen. Idempotent. */
  close(): void {
    if (this.#closed) return;
    let view: Uint8Array | undefined;
    try {
      view = this.#memory ? this.#currentView() : undefined;
    } catch {
      view = undefined; // the memory moved: its old pages, our mappings with them, are gone
    }
    for (const [addr, len] of this.#mappings.drain()) if (view) this.#native.unmap(view, addr, len);
    for (const entry of this.#handles.values()) if (entry.owned) this.#native.closeFd(entry.fd);
    this.#handles.clear();
    for (const { dirfd } of this.#preopens) this.#native.closeFd(dirfd);
    this.#preopens.length = 0;
    if (this.#exitRef) writeBackAtExit.delete(this.#exitRef);
    this.#closed = true;
  }

  #preopen(guestPath: string, hostPath: string): void {
    if (typeof guestPath !== "string" || !guestPath.startsWith("/") || typeof hostPath !== "string") {
      throw new MmfError("EINVAL", `MmfHost: a preopen maps an absolute guest path to a host folder, got ${guestPath} -> ${hostPath}`);
    }
    const dirfd = this.#native.openDirectory(resolve(hostPath));
    if (dirfd < 0) throw errorFromCode(`MmfHost: preopen ${guestPath} -> ${hostPath}`, codeFromErrno(dirfd));
    this.#preopens.push({ guestPath: guestPath.replace(/\/+$/, "") || "/", dirfd });
  }

  #addHandle(entry: HandleEntry): number {
    const handle = this.#nextHandle++;
    this.#handles.set(handle, entry);
    return handle;
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

  #map(handle: number, fileOffset: bigint, addr: number, len: number, flags: number): number {
    const entry = this.#entry(handle);
    const view = this.#checkedRange(addr, len);
    if (typeof fileOffset !== "bigint" || (flags & ~MAP_FLAGS_ALL) !== 0 || this.#mappings.overlaps(addr, len)) throw new HostError(EINVAL);
    const shared = flags & MAP_FLAG_SHARED;
    const [size, access] = this.#fileInfo(entry.fd);
    if (shared && (!entry.writable || access !== O_RDWR)) throw new HostError(EACCES);
    if (access === O_WRONLY) throw new HostError(EACCES);
    const ps = BigInt(this.pageSize);
    if (fileOffset < 0n || fileOffset % ps !== 0n) throw new HostError(EINVAL);
    // Pages wholly past the end of the file would fault (SIGBUS) on first touch.
    const fileEnd = ((BigInt(size) + ps - 1n) / ps) * ps;
    if (fileOffset + BigInt(len) > fileEnd) throw new HostError(ERANGE);
    const rc = this.#native.map(view, addr, len, entry.fd, Number(fileOffset), flags, this.#epochAddr);
    if (rc < 0) return codeFromErrno(rc);
    this.#mappings.add(addr, len);
    if (shared && this.#native.name === "emulated" && !this.#exitRef) {
      this.#exitRef = new WeakRef(this);
      writeBackAtExit.add(this.#exitRef);
      if (!exitListener) {
        exitListener = true;
        process.once("exit", writeBackAll);
      }
    }
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

  /** The guest names an aligned i32 in its memory that a SIGBUS from a truncated file bumps. */
  #watch(epochAddr: number): number {
    const view = this.#currentView();
    if (epochAddr % 4 !== 0 || epochAddr + 4 > view.byteLength) throw new HostError(EINVAL);
    this.#epochAddr = epochAddr;
    return 0;
  }

  /** 1 if the live mapping [addr, addr+len) faulted past the end of its file, else 0. */
  #truncated(addr: number, len: number): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    const rc = this.#native.truncated(view, addr);
    return rc < 0 ? codeFromErrno(rc) : rc;
  }

  /** madvise over a range inside one live mapping. */
  #advise(addr: number, len: number, advice: number): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    const rc = this.#native.advise(view, addr, len, advice);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }

  #open(pathPtr: number, pathLen: number, mode: number): number {
    const view = this.#currentView();
    if (mode !== 0 && mode !== 1 && mode !== 2) throw new HostError(EINVAL);
    if (pathLen === 0 || pathLen >= MAX_PATH || pathPtr + pathLen > view.byteLength) throw new HostError(EINVAL);
    let path: string;
    try {
      path = new TextDecoder("utf-8", { fatal: true }).decode(view.slice(pathPtr, pathPtr + pathLen));
    } catch {
      throw new HostError(EINVAL);
    }
    if (path.includes("\0")) throw new HostError(EINVAL);
    const preopen = this.#preopens.find((p) => path === p.guestPath || path.startsWith(p.guestPath === "/" ? "/" : `${p.guestPath}/`));
    if (!preopen) throw new HostError(ENOENT);
    const relative = path.slice(preopen.guestPath.length).replace(/^\/+/, "");
    if (relative === "") throw new HostError(EINVAL); // the folder itself is not a file
    if (this.#handles.size >= this.#maxHandles) throw new HostError(ENOMEM);
    const fd = this.#native.openBeneath(preopen.dirfd, relative, mode);
    if (fd < 0) return codeFromErrno(fd);
    return this.#addHandle({ fd, writable: mode !== 0, owned: true });
  }

  #closeHandle(handle: number): number {
    const entry = this.#entry(handle);
    if (!entry.owned) throw new HostError(EBADF); // lent by the host for one call, not the guest's to close
    this.#handles.delete(handle);
    this.#native.closeFd(entry.fd);
    return 0;
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
