// MmfHost: supplies the `mmf` import module to one Wasm instance (a guest) and carries out its
// system calls on that guest's memory. The guest is untrusted: it reaches only the files the
// host gave it (preopened folders, granted files), its handles index a table of its own, and
// every address, length and offset is checked here before the backend sees it.
import { constants, ftruncateSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { resolve } from "node:path";
import { MAP_FLAG_STAT_KNOWN, selectBackend, type Backend, type BackendName, type BackendOption } from "./backend.js";
import type { WasmInstance, WasmMemory } from "./wasm-types.js";
import { codeFromErrno, errorFromCode, ErrorCodes, MmfError } from "./errors.js";
import { MappingSet } from "./mapping-set.js";
import { UnmergedRanges } from "./unmerged-ranges.js";
import {
  ADVICE_COUNT,
  DEFAULT_MAX_HANDLES,
  DEFAULT_MAX_MAPPINGS,
  MAP_FLAG_READ_ONLY,
  MAP_FLAG_SHARED,
  MAP_FLAGS_ALL,
  MAX_PATH,
  OpenModes,
  type MmfImports,
} from "./abi.js";
import { checkedFd, openRegularFile } from "./mapped-file.js";
import { checkedObjectName, destroyMemoryObject, MemoryObject, newMemoryObject, type MemoryObjectFlags } from "./memory-object.js";

const { EINVAL, ERANGE, EACCES, EBADF, EIO, ENOENT, ENOMEM, ENOTSUP } = ErrorCodes;
/** File offsets beyond this are past any file (and no double holds them exactly). */
const MAX_FILE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);
// Access modes as the backends' fileInfo reports them (F_GETFL & O_ACCMODE).
const { O_WRONLY, O_RDWR } = constants;
/** Handle numbers run from 1 to the largest i32, then wrap around past the live ones. */
const MAX_HANDLE = 0x7fffffff;

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

export type { MmfImports };

export interface MmfHostOptions {
  /** Guest path → host folder. The guest opens files beneath these folders only. */
  preopens?: Record<string, string>;
  /** Most handles a guest may hold open at once (default DEFAULT_MAX_HANDLES, 1024). */
  maxHandles?: number;
  /**
   * Most live mappings the guest may hold at once (default DEFAULT_MAX_MAPPINGS, 4096). Each mapping is an area of the
   * process, and at vm.max_map_count the next allocation anywhere aborts the process; the native
   * helper also keeps a budget for the whole process (a quarter of vm.max_map_count).
   */
  maxMappings?: number;
  /** "native" (real mmap), "emulated" (copies), or "auto" (default: MMF_BACKEND, else native, else emulated). */
  backend?: BackendOption;
  /**
   * Lets the guest open and destroy the shared memory objects (/dev/shm) whose names start with
   * this prefix (`open_object`, `destroy_object`); without it the guest reaches none by name, only
   * the ones granted (grantMemoryObject). A name itself ("app." allows "app.jobs"), at least 1 byte.
   */
  memoryObjectPrefix?: string;
}

// Hosts whose backend writes shared mappings back only at flush or unmap (the emulated one,
// Backend.needsWriteBackAtExit): on a clean exit each writes back what its live mappings changed
// (one exit listener for all).
const writeBackAtExit = new Set<WeakRef<MmfHost>>();
let exitListener = false;

function writeBackAll(): void {
  for (const ref of writeBackAtExit) ref.deref()?.writeBack();
}

/**
 * What a host holds that the OS must get back: released by close(), or, for a host dropped
 * without close(), by the finalizer below. It must not reference the host itself.
 */
interface Held {
  backend: Backend;
  memory: WebAssembly.Memory | undefined;
  /** The memory's base address when it was first seen (a moved memory is not unmapped into). */
  base: bigint | undefined;
  handles: Map<number, HandleEntry>;
  preopens: Preopen[];
  mappings: MappingSet;
  /** Ranges unmapped and not merged back into the memory's area yet (backends with merge()). */
  unmerged: UnmergedRanges;
  exitRef: WeakRef<MmfHost> | undefined;
}

/** Unmaps every mapping and closes every owned descriptor of a host. Idempotent. */
function release(held: Held): void {
  let view: Uint8Array | undefined;
  try {
    view = held.memory ? new Uint8Array(held.memory.buffer) : undefined;
    // The memory moved: its old pages, our mappings with them, are gone.
    if (view && held.base !== undefined && BigInt(held.backend.memoryBase(view)) !== held.base) view = undefined;
  } catch {
    view = undefined;
  }
  const merge = (addr: number, len: number) => {
    if (view) held.backend.merge?.(view, addr, len);
  };
  for (const [addr, len] of held.mappings.drain()) {
    if (view && held.backend.unmap(view, addr, len) === 0) merge(addr, len);
  }
  held.unmerged.drain(merge);
  for (const entry of held.handles.values()) if (entry.owned) held.backend.closeFd(entry.fd);
  held.handles.clear();
  for (const { dirfd } of held.preopens) held.backend.closeFd(dirfd);
  held.preopens.length = 0;
  if (held.exitRef) writeBackAtExit.delete(held.exitRef);
}

// Hosts that become unreachable without close() (with their guest, whose imports hold them)
// give their descriptors and mappings back here; close() stays the rule.
const dropped = new FinalizationRegistry<Held>(release);

/**
 * @internal The backend of a host, for this package's own modules (the CLI's copy asks it for
 * SEEK_DATA); neither index.ts nor the shipped types export it. Set by MmfHost's static block, the
 * one place that can read #backend.
 */
export let backendOf: (host: MmfHost) => Backend;

export class MmfHost {
  static {
    backendOf = (host) => host.#backend;
  }

  /** The import namespace for module "mmf". */
  readonly imports: MmfImports;
  readonly pageSize: number;
  readonly #backend: Backend;
  #memory: WebAssembly.Memory | undefined;
  #view: Uint8Array = new Uint8Array(0);
  #base: bigint | undefined;
  readonly #held: Held;
  readonly #handles: Map<number, HandleEntry>;
  #nextHandle = 1;
  /** The handle lend() reuses, made at its first call. */
  #loan: { handle: number; entry: HandleEntry } | undefined;
  readonly #loanEntry: HandleEntry = { fd: -1, writable: true, owned: false };
  /** Whether the backend was asked the size of the lent descriptor in this loan (MAP_FLAG_STAT_KNOWN). */
  #loanSized = false;
  readonly #maxHandles: number;
  readonly #maxMappings: number;
  /** Why the last map answered ENOMEM, when a budget (not the address space) was the cause. */
  #refusal: string | undefined;
  readonly #preopens: Preopen[];
  readonly #mappings: MappingSet;
  readonly #unmerged: UnmergedRanges;
  /** The backend's merge() over the current view, made once (it runs on the path of every map). */
  readonly #merge = (addr: number, len: number): void => {
    this.#backend.merge?.(this.#view, addr, len);
  };
  /** The names of memory objects the guest may open start with this (undefined: none). */
  readonly #objectPrefix: string | undefined;
  /** Where in the guest's memory the truncation epoch word lives (-1: the guest did not say). */
  #epochAddr = -1;
  #closed = false;

  constructor(options: MmfHostOptions = {}) {
    this.#backend = selectBackend(options.backend);
    this.pageSize = this.#backend.pageSize();
    this.#maxHandles = options.maxHandles ?? DEFAULT_MAX_HANDLES;
    this.#maxMappings = options.maxMappings ?? DEFAULT_MAX_MAPPINGS;
    if (!(Number.isSafeInteger(this.#maxMappings) || this.#maxMappings === Infinity) || this.#maxMappings < 1) {
      throw new MmfError("EINVAL", `MmfHost: maxMappings must be a positive integer or Infinity, got ${String(options.maxMappings)}`);
    }
    if (options.memoryObjectPrefix !== undefined) this.#objectPrefix = checkedObjectName("MmfHost: memoryObjectPrefix", options.memoryObjectPrefix);
    this.#held = {
      backend: this.#backend,
      memory: undefined,
      base: undefined,
      handles: new Map(),
      preopens: [],
      mappings: new MappingSet(),
      unmerged: new UnmergedRanges(),
      exitRef: undefined,
    };
    this.#handles = this.#held.handles;
    this.#preopens = this.#held.preopens;
    this.#mappings = this.#held.mappings;
    this.#unmerged = this.#held.unmerged;
    try {
      for (const [guestPath, hostPath] of Object.entries(options.preopens ?? {})) this.#preopen(guestPath, hostPath);
    } catch (err) {
      release(this.#held); // the preopens opened before the bad one
      throw err;
    }
    dropped.register(this, this.#held, this);
    // Longest guest path first, so "/data/sub" wins over "/data".
    this.#preopens.sort((a, b) => b.guestPath.length - a.guestPath.length);
    this.imports = {
      page_size: () => this.pageSize,
      file_size: (handle) => BigInt(guarded(() => this.#fileSize(handle))),
      map: (handle, fileOffset, addr, len, flags) => guarded(() => this.#map(handle, fileOffset, u32(addr), u32(len), i32(flags))),
      unmap: (addr, len) => guarded(() => this.#unmap(u32(addr), u32(len))),
      sync: (addr, len, async) => guarded(() => this.#sync(u32(addr), u32(len), i32(async))),
      open: (pathPtr, pathLen, mode) => guarded(() => this.#open(u32(pathPtr), u32(pathLen), i32(mode))),
      close: (handle) => guarded(() => this.#closeHandle(handle)),
      watch: (epochAddr) => guarded(() => this.#watch(u32(epochAddr))),
      // ABI v1: 1 for a fault of any cause (an old guest then reports ETRUNCATED: an error, if not the right one).
      truncated: (addr, len) => guarded(() => Math.min(this.#faultCause(u32(addr), u32(len)), 1)),
      fault_cause: (addr, len) => guarded(() => this.#faultCause(u32(addr), u32(len))),
      advise: (addr, len, advice) => guarded(() => this.#advise(u32(addr), u32(len), i32(advice))),
      open_object: (namePtr, nameLen, mode) => guarded(() => this.#openObject(u32(namePtr), u32(nameLen), i32(mode))),
      destroy_object: (namePtr, nameLen) => guarded(() => this.#destroyObject(u32(namePtr), u32(nameLen))),
      truncate: (handle, size) => guarded(() => this.#truncate(handle, size)),
      lock: (addr, len) => guarded(() => this.#lock(u32(addr), u32(len), true)),
      unlock: (addr, len) => guarded(() => this.#lock(u32(addr), u32(len), false)),
      residency: (addr, len, vecPtr) => guarded(() => this.#residency(u32(addr), u32(len), u32(vecPtr))),
      remap: (addr, len, newAddr, newLen) => guarded(() => this.#remap(u32(addr), u32(len), u32(newAddr), u32(newLen))),
    };
  }

  /** Binds the host to the guest's memory (an instance exporting `memory`, or the memory itself). */
  attach(target: WasmInstance | WasmMemory): void {
    const memory = target instanceof WebAssembly.Memory ? target : (target as WasmInstance).exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new MmfError("EINVAL", "MmfHost.attach: no WebAssembly.Memory");
    if (this.#memory && this.#memory !== memory) throw new MmfError("EINVAL", "MmfHost.attach: already attached to another memory");
    if (this.#closed) throw new MmfError("ECLOSED", "MmfHost.attach: the host is closed");
    this.#memory = memory;
    this.#held.memory = memory;
    this.#currentView();
  }

  /** Opens a host file for the guest and returns its handle; "r" grants can never be mapped writable. */
  grant(path: string, flags: "r" | "r+" = "r"): number {
    const operation = `MmfHost.grant(${path}, ${flags})`;
    if (flags !== "r" && flags !== "r+") throw new MmfError("EINVAL", `${operation}: flags must be "r" or "r+"`);
    if (this.#closed) throw new MmfError("ECLOSED", `${operation}: the host is closed`);
    if (this.#handles.size >= this.#maxHandles) throw new MmfError("ENOMEM", `${operation}: too many open handles (maxHandles ${this.#maxHandles})`);
    const fd = openRegularFile(operation, path, flags);
    const info = this.#backend.fileInfo(fd);
    if (typeof info === "number") {
      this.#backend.closeFd(fd);
      throw errorFromCode(operation, codeFromErrno(info));
    }
    return this.#addHandle({ fd, writable: flags === "r+", owned: true });
  }

  /**
   * Grants the guest a shared memory object as a handle: a MemoryObject (opened again through
   * /proc/self/fd, so the guest's handle outlives the caller's close(); flags "r" or "r+", and "r+"
   * needs a read-write object), or a name (opened as newMemoryObject(name, flags) opens it). An "r"
   * grant can never be mapped MEM_READWRITE.
   */
  grantMemoryObject(object: MemoryObject | string, flags: MemoryObjectFlags = "r"): number {
    const named = typeof object === "string";
    const operation = `MmfHost.grantMemoryObject(${named ? object : object instanceof MemoryObject ? object.name() : typeof object}, ${String(flags)})`;
    if (!named && !(object instanceof MemoryObject))
      throw new MmfError("EINVAL", `${operation}: a MemoryObject or a name, got ${object === null ? "null" : typeof object}`);
    if (!named && flags !== "r" && flags !== "r+") throw new MmfError("EINVAL", `${operation}: flags of a granted MemoryObject must be "r" or "r+"`);
    if (this.#closed) throw new MmfError("ECLOSED", `${operation}: the host is closed`);
    if (this.#handles.size >= this.#maxHandles) throw new MmfError("ENOMEM", `${operation}: too many open handles (maxHandles ${this.#maxHandles})`);
    let fd: number;
    if (named) {
      fd = newMemoryObject(object, flags).fd(); // the handle owns the descriptor from here on
    } else {
      const held = object.fd();
      if (held < 0) throw new MmfError("ECLOSED", `${operation}: the object is closed`);
      if (flags === "r+" && !object.writable) throw new MmfError("EACCES", `${operation}: the object was opened read-only ("r")`);
      fd = openRegularFile(operation, `/proc/self/fd/${held}`, flags as "r" | "r+");
    }
    return this.#addHandle({ fd, writable: flags !== "r", owned: true });
  }

  /** @internal Lends an open descriptor to the guest as a handle; the caller keeps owning the fd. */
  addHandle(fd: number, writable: boolean): number {
    return this.#addHandle({ fd: checkedFd(() => "MmfHost.addHandle", fd), writable, owned: false });
  }

  /**
   * @internal Lends `fd` (writable) for one call of the core module: the same handle every time,
   * whose entry names no descriptor between loans (endLoan), so that a map adds and removes
   * nothing in the handle table (a Map whose churn costs more than the rest of the call).
   */
  lend(fd: number): number {
    this.#loan ??= { handle: this.#addHandle(this.#loanEntry), entry: this.#loanEntry };
    this.#loan.entry.fd = checkedFd(() => "MmfHost.lend", fd);
    this.#loanSized = false;
    return this.#loan.handle;
  }

  /** @internal The end of a loan: its handle names no descriptor (EBADF) until the next one. */
  endLoan(): void {
    this.#loanEntry.fd = -1;
    this.#loanSized = false;
  }

  /** @internal Test seam: the handle number to try next (1 to 2^31 - 1). */
  set nextHandle(handle: number) {
    if (!Number.isInteger(handle) || handle < 1 || handle > MAX_HANDLE) throw new MmfError("EINVAL", `nextHandle: 1 to ${MAX_HANDLE}, got ${handle}`);
    this.#nextHandle = handle;
  }

  /** @internal */
  removeHandle(handle: number): void {
    this.#handles.delete(handle);
  }

  /** Which backend carries out the system calls. */
  get backend(): BackendName {
    return this.#backend.name;
  }

  /** Live mappings of the attached memory. */
  get mappingCount(): number {
    return this.#mappings.size;
  }

  /** Most live mappings the guest may hold. */
  get maxMappings(): number {
    return this.#maxMappings;
  }

  /** @internal Why the last map answered ENOMEM when a budget was the cause (then forgotten). */
  takeRefusal(): string | undefined {
    const refusal = this.#refusal;
    this.#refusal = undefined;
    return refusal;
  }

  /** Handles the guest holds (lend()'s is the host's own). */
  get handleCount(): number {
    return this.#handles.size - (this.#loan ? 1 : 0);
  }

  /** @internal Writes back every live mapping's changes (emulated backend; a no-op for real maps). */
  writeBack(): void {
    if (this.#closed || !this.#memory) return;
    const view = this.#currentView();
    for (const [addr, len] of this.#mappings.entries()) this.#backend.sync(view, addr, len, true);
  }

  /** Unmaps everything the guest still has mapped and closes every handle and preopen. Idempotent. */
  close(): void {
    if (this.#closed) return;
    dropped.unregister(this);
    release(this.#held);
    this.#closed = true;
  }

  /** close(), for `using host = new MmfHost(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #preopen(guestPath: string, hostPath: string): void {
    if (typeof guestPath !== "string" || !guestPath.startsWith("/") || typeof hostPath !== "string") {
      throw new MmfError("EINVAL", `MmfHost: a preopen maps an absolute guest path to a host folder, got ${guestPath} -> ${hostPath}`);
    }
    const dirfd = this.#backend.openDirectory(resolve(hostPath));
    if (dirfd < 0) throw errorFromCode(`MmfHost: preopen ${guestPath} -> ${hostPath}`, codeFromErrno(dirfd));
    this.#preopens.push({ guestPath: guestPath.replace(/\/+$/, "") || "/", dirfd });
  }

  /**
   * A handle number for `entry`: the next one not in use, wrapping around after the largest i32,
   * so that numbers never run out (Mmf lends one per map) and never leave the i32 range.
   */
  #addHandle(entry: HandleEntry): number {
    let handle = this.#nextHandle;
    while (this.#handles.has(handle)) handle = handle === MAX_HANDLE ? 1 : handle + 1;
    this.#nextHandle = handle === MAX_HANDLE ? 1 : handle + 1;
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
      const base = BigInt(this.#backend.memoryBase(view));
      if (this.#base !== undefined && base !== this.#base) throw new HostError(EIO);
      this.#base = base;
      this.#held.base = base;
      this.#view = view;
    }
    return this.#view;
  }

  #entry(handle: number): HandleEntry {
    const entry = this.#handles.get(handle);
    if (!entry) throw new HostError(EBADF);
    return entry;
  }

  #fileSize(handle: number): number {
    const entry = this.#entry(handle);
    const size = this.#backend.fileSize(entry.fd);
    if (size < 0) throw new HostError(-codeFromErrno(size));
    if (entry === this.#loanEntry) this.#loanSized = true;
    return size;
  }

  /** Checks a page-aligned, non-empty range inside the memory and returns the current view. */
  #checkedRange(addr: number, len: number): Uint8Array {
    const view = this.#currentView();
    const ps = this.pageSize;
    if (len === 0 || addr % ps !== 0 || len % ps !== 0) throw new HostError(EINVAL);
    if (addr + len > view.byteLength) throw new HostError(ERANGE);
    return view;
  }

  /** The backend's checks of a map's descriptor (see Backend.map), for a map refused before it. */
  #checkDescriptor(fd: number, offset: number, len: number, shared: boolean): void {
    const info = this.#backend.fileInfo(fd);
    if (typeof info === "number") throw new HostError(-codeFromErrno(info));
    const [size, access] = info;
    if (access === O_WRONLY || (shared && access !== O_RDWR)) throw new HostError(EACCES);
    // Pages wholly past the end of the file would fault (SIGBUS) on first touch.
    if (offset + len > Math.ceil(size / this.pageSize) * this.pageSize) throw new HostError(ERANGE);
  }

  #map(handle: number, fileOffset: bigint, addr: number, len: number, flags: number): number {
    this.#refusal = undefined;
    const entry = this.#entry(handle);
    const view = this.#checkedRange(addr, len);
    if (typeof fileOffset !== "bigint" || (flags & ~MAP_FLAGS_ALL) !== 0 || this.#mappings.overlaps(addr, len)) throw new HostError(EINVAL);
    const shared = flags & MAP_FLAG_SHARED;
    // The descriptor (a regular file, its access mode, the range inside it) is the backend's to
    // check, with the stat it maps with: one system call fewer on every map.
    if (shared && !entry.writable) throw new HostError(EACCES);
    if (fileOffset < 0n) throw new HostError(EINVAL);
    if (fileOffset > MAX_FILE_OFFSET) throw new HostError(fileOffset % BigInt(this.pageSize) === 0n ? ERANGE : EINVAL);
    const offset = Number(fileOffset);
    if (offset % this.pageSize !== 0) throw new HostError(EINVAL);
    if (this.#mappings.size >= this.#maxMappings) {
      // Rare, so it may cost a stat: the arguments' own faults answer first (docs/abi.md), as the backend would find them.
      this.#checkDescriptor(entry.fd, offset, len, shared !== 0);
      this.#refusal = `this guest holds ${this.#mappings.size} live mappings, its budget (maxMappings ${this.#maxMappings})`;
      throw new HostError(ENOMEM);
    }
    if (this.#unmerged.size > 0) this.#unmerged.take(addr, len, this.#merge);
    // READ_ONLY is a promise the pages cannot hold here (see MAP_FLAG_READ_ONLY): the backends never see it.
    // Within a loan, the core module asked the size of the same descriptor just before.
    const statKnown = entry === this.#loanEntry && this.#loanSized ? MAP_FLAG_STAT_KNOWN : 0;
    this.#loanSized = false;
    const rc = this.#backend.map(view, addr, len, entry.fd, offset, (flags & ~MAP_FLAG_READ_ONLY) | statKnown, this.#epochAddr);
    if (rc < 0) {
      this.#refusal = describeMapRefusal(this.#backend, rc);
      return rc === -osConstants.errno.EDQUOT ? -ENOMEM : codeFromErrno(rc);
    }
    this.#mappings.add(addr, len);
    if (shared && this.#backend.needsWriteBackAtExit && !this.#held.exitRef) {
      this.#held.exitRef = new WeakRef(this);
      writeBackAtExit.add(this.#held.exitRef);
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
    const rc = this.#backend.unmap(view, addr, len);
    if (rc < 0) return codeFromErrno(rc);
    if (this.#backend.merge) this.#unmerged.add(addr, len, this.#merge);
    return 0;
  }

  #sync(addr: number, len: number, async: number): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    const rc = this.#backend.sync(view, addr, len, async !== 0);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }

  /** The guest names an aligned i32 in its memory that a SIGBUS from a truncated file bumps. */
  #watch(epochAddr: number): number {
    const view = this.#currentView();
    if (epochAddr % 4 !== 0) throw new HostError(EINVAL);
    if (epochAddr + 4 > view.byteLength) throw new HostError(ERANGE);
    this.#epochAddr = epochAddr;
    return 0;
  }

  /** 0 if the live mapping that holds [addr, addr+len) never faulted, else the ABI code of why: ETRUNCATED, ENOSPC, EIO. */
  #faultCause(addr: number, len: number): number {
    const view = this.#checkedRange(addr, len);
    const start = this.#mappings.startOf(addr, len);
    if (start < 0) throw new HostError(EINVAL);
    const rc = this.#backend.truncated(view, start);
    return rc < 0 ? codeFromErrno(rc) : rc;
  }

  /** madvise over a range inside one live mapping. */
  #advise(addr: number, len: number, advice: number): number {
    const view = this.#checkedRange(addr, len);
    if (advice < 0 || advice >= ADVICE_COUNT) throw new HostError(EINVAL);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    const rc = this.#backend.advise(view, addr, len, advice);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }

  /** mlock (or munlock) of a range inside one live mapping. */
  #lock(addr: number, len: number, lock: boolean): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    if (!this.#backend.lock) throw new HostError(ENOTSUP);
    const rc = this.#backend.lock(view, addr, len, lock);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }

  /** Resident pages of a range inside one live mapping; one byte per page at vecPtr unless it is 0. */
  #residency(addr: number, len: number, vecPtr: number): number {
    const view = this.#checkedRange(addr, len);
    if (!this.#mappings.contains(addr, len)) throw new HostError(EINVAL);
    if (vecPtr !== 0 && vecPtr + len / this.pageSize > view.byteLength) throw new HostError(ERANGE);
    if (!this.#backend.residency) throw new HostError(ENOTSUP);
    const rc = this.#backend.residency(view, addr, len, vecPtr === 0 ? -1 : vecPtr);
    return rc < 0 ? codeFromErrno(rc) : rc;
  }

  /**
   * The mapping that is exactly [addr, addr+len) becomes [newAddr, newAddr+newLen): resized in
   * place (newAddr === addr) or moved. The new range may overlap no other live mapping (a moved
   * one not even the old range); the set of mappings changes only when the backend succeeded.
   */
  #remap(addr: number, len: number, newAddr: number, newLen: number): number {
    const view = this.#checkedRange(addr, len);
    this.#checkedRange(newAddr, newLen);
    if (!this.#mappings.remove(addr, len)) throw new HostError(EINVAL);
    const moved = newAddr !== addr;
    const clash = this.#mappings.overlaps(newAddr, newLen) || (moved && newAddr < addr + len && addr < newAddr + newLen);
    if (clash || !this.#backend.remap) {
      this.#mappings.add(addr, len);
      throw new HostError(clash ? EINVAL : ENOTSUP); // the arguments' faults first, the same on every backend
    }
    // Pages it grows or moves into may be an unmap's unmerged zeroed memory: as for a map over them.
    if (this.#unmerged.size > 0) this.#unmerged.take(newAddr, newLen, this.#merge);
    const rc = this.#backend.remap(view, addr, len, newAddr, newLen);
    this.#mappings.add(rc < 0 ? addr : newAddr, rc < 0 ? len : newLen);
    return rc < 0 ? codeFromErrno(rc) : 0;
  }

  #open(pathPtr: number, pathLen: number, mode: number): number {
    const view = this.#currentView();
    if (mode !== OpenModes.READ && mode !== OpenModes.READ_WRITE && mode !== OpenModes.CREATE) throw new HostError(EINVAL);
    if (pathLen === 0 || pathLen >= MAX_PATH) throw new HostError(EINVAL);
    if (pathPtr + pathLen > view.byteLength) throw new HostError(ERANGE);
    let path: string;
    try {
      path = new TextDecoder("utf-8", { fatal: true }).decode(view.slice(pathPtr, pathPtr + pathLen));
    } catch {
      throw new HostError(EINVAL);
    }
    if (path.includes("\0")) throw new HostError(EINVAL);
    const preopen = this.#preopens.find((p) => path === p.guestPath || path.startsWith(p.guestPath === "/" ? "/" : `${p.guestPath}/`));
    if (!preopen) throw new HostError(ENOENT);
    const relative = beneathPreopen(path.slice(preopen.guestPath.length));
    if (this.#handles.size >= this.#maxHandles) throw new HostError(ENOMEM);
    const fd = this.#backend.openBeneath(preopen.dirfd, relative, mode);
    if (fd < 0) return codeFromErrno(fd);
    return this.#addHandle({ fd, writable: mode !== OpenModes.READ, owned: true });
  }

  /**
   * The bare name of a memory object the guest names at [namePtr, namePtr + nameLen), if the host
   * allows it: the range and the bytes are checked first, then `valid` (the mode), then the prefix.
   */
  #objectName(namePtr: number, nameLen: number, valid = true): string {
    const view = this.#currentView();
    if (nameLen === 0 || nameLen >= MAX_PATH) throw new HostError(EINVAL);
    if (namePtr + nameLen > view.byteLength) throw new HostError(ERANGE);
    let name: string;
    try {
      name = checkedObjectName("open_object", new TextDecoder("utf-8", { fatal: true }).decode(view.slice(namePtr, namePtr + nameLen)));
    } catch {
      throw new HostError(EINVAL);
    }
    if (!valid) throw new HostError(EINVAL);
    if (this.#objectPrefix === undefined || !name.startsWith(this.#objectPrefix)) throw new HostError(EACCES);
    return name;
  }

  #openObject(namePtr: number, nameLen: number, mode: number): number {
    const flags = OBJECT_FLAGS[mode];
    const name = this.#objectName(namePtr, nameLen, flags !== undefined);
    if (this.#handles.size >= this.#maxHandles) throw new HostError(ENOMEM);
    let fd: number;
    try {
      fd = newMemoryObject(name, flags).fd();
    } catch (err) {
      throw new HostError(err instanceof MmfError ? ErrorCodes[err.code] : EIO);
    }
    return this.#addHandle({ fd, writable: mode !== OpenModes.READ, owned: true });
  }

  #destroyObject(namePtr: number, nameLen: number): number {
    const name = this.#objectName(namePtr, nameLen);
    try {
      return destroyMemoryObject(name) ? 1 : 0;
    } catch (err) {
      throw new HostError(err instanceof MmfError ? ErrorCodes[err.code] : EIO);
    }
  }

  #truncate(handle: number, size: bigint): number {
    const entry = this.#entry(handle);
    if (typeof size !== "bigint" || size < 0n) throw new HostError(EINVAL);
    if (!entry.owned) throw new HostError(EBADF);
    if (!entry.writable) throw new HostError(EACCES);
    if (size > MAX_FILE_OFFSET) throw new HostError(ERANGE);
    try {
      ftruncateSync(entry.fd, Number(size));
    } catch (err) {
      const errno = (osConstants.errno as Record<string, number>)[(err as NodeJS.ErrnoException)?.code ?? ""] ?? 0;
      throw new HostError(-codeFromErrno(-errno));
    }
    return 0;
  }

  #closeHandle(handle: number): number {
    const entry = this.#entry(handle);
    if (!entry.owned) throw new HostError(EBADF); // lent by the host for one call, not the guest's to close
    this.#handles.delete(handle);
    this.#backend.closeFd(entry.fd);
    return 0;
  }
}

/** The flags of newMemoryObject for each open mode of `open_object`. */
const OBJECT_FLAGS: readonly MemoryObjectFlags[] = (() => {
  const flags: MemoryObjectFlags[] = [];
  flags[OpenModes.READ] = "r";
  flags[OpenModes.READ_WRITE] = "r+";
  flags[OpenModes.CREATE] = "w+";
  flags[OpenModes.CREATE_NEW] = "wx+";
  return flags;
})();

/** The limit behind a failed native map, for the message; undefined when it was none of them. */
function describeMapRefusal(backend: Backend, rc: number): string | undefined {
  const { EDQUOT, ENOMEM: SYS_ENOMEM } = osConstants.errno;
  if (rc !== -EDQUOT && rc !== -SYS_ENOMEM) return undefined;
  const stats = backend.guardStats?.();
  if (!stats) return undefined;
  const kernel = `vm.max_map_count is ${stats.maxMapCount || "unknown"}`;
  return rc === -EDQUOT
    ? `the process holds ${stats.live} live mappings, its budget (a quarter of vm.max_map_count, or MMF_PROCESS_MAPPINGS: ${stats.limit}; ${kernel})`
    : `the system refused the mapping (mmap ENOMEM: out of memory, or of areas: ${kernel})`;
}

/**
 * The part of a guest path below its preopen, as every backend opens it (docs/abi.md, "Guest
 * paths"): no empty or "." components; a ".." anywhere is EACCES (even one that would stay
 * inside), and a path that names a folder (the preopen itself, a trailing "/" or ".") EINVAL.
 */
function beneathPreopen(rest: string): string {
  const parts = rest.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) throw new HostError(EACCES);
  if (parts.length === 0 || /(^|\/)\.?$/.test(rest)) throw new HostError(EINVAL);
  return parts.join("/");
}

/** An ABI error raised inside an import; `guarded` turns it into the negated code. */
class HostError extends Error {
  constructor(readonly code: number) {
    super(`mmf host error ${code}`);
  }
}

/**
 * An address or length from the guest: an i32 as Wasm passes it, read unsigned, or the same
 * value as a u32 (a JavaScript caller). Anything else is EINVAL, never wrapped into range.
 */
function u32(value: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new HostError(EINVAL);
  return value >>> 0;
}

/** A mode, flag, advice or boolean from the guest: an i32, else EINVAL. */
function i32(value: number): number {
  if (typeof value !== "number" || (value | 0) !== value) throw new HostError(EINVAL);
  return value;
}

/** Runs an import body so that it returns a negated ABI code instead of throwing into Wasm. */
function guarded(body: () => number): number {
  try {
    return body();
  } catch (err) {
    return err instanceof HostError ? -err.code : -EIO;
  }
}
