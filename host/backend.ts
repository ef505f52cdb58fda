// The system calls behind the `mmf` imports, and the choice between the two implementations:
// "native" (the N-API helper: real mmap into Wasm memory) and "emulated" (copies through node:fs).
import { emulatedBackend } from "./emulated-backend.js";
import { MmfError } from "./errors.js";
import { nativeHelper } from "./native.js";

export type BackendName = "native" | "emulated";
export type BackendOption = BackendName | "auto";

/** What MmfHost needs from a backend. Failures are negated errno values, never exceptions. */
/**
 * Host to backend only, never from a guest (MAP_FLAGS_ALL leaves it out): the descriptor is the
 * one fileSize() was just asked about, in the same operation (a loan of Mmf), so the backend may
 * check it with that stat instead of taking another.
 */
export const MAP_FLAG_STAT_KNOWN = 8;

export interface Backend {
  readonly name: BackendName;
  /**
   * Whether a shared mapping's writes reach the file only at sync or unmap (a copy, not a real
   * mapping): the host then writes them back when the process exits cleanly.
   */
  readonly needsWriteBackAtExit: boolean;
  /** The page size regions are mapped in. */
  pageSize(): number;
  /** The base address of the memory behind a full-length Uint8Array view (0 where there is none). */
  memoryBase(view: Uint8Array): bigint | number;
  /** [size, O_ACCMODE bits] of a regular file's descriptor, or a negated errno. */
  fileInfo(fd: number): [number, number] | number;
  /** The size of a regular file's descriptor, or a negated errno (ENODEV: not a regular file). */
  fileSize(fd: number): number;
  /**
   * Maps (or copies) file pages over a page-aligned range of the memory; 0 or a negated errno.
   * `flags`: MAP_FLAG_* bits of abi.ts (and MAP_FLAG_STAT_KNOWN, host to backend only). Checks the descriptor first: a regular file (ENODEV), the range
   * reaching no whole page past its end (ERANGE), and its access mode (EACCES: readable, and
   * read-write for a shared map). A fault past the end of a truncated file bumps
   * the i32 at `epochAddr` of the memory (-1: none).
   */
  map(view: Uint8Array, addr: number, len: number, fd: number, fileOffset: number, flags: number, epochAddr: number): number;
  /** madvise with an advice value of abi.ts (AdviceCodes); 0 or a negated errno. */
  advise(view: Uint8Array, addr: number, len: number, advice: number): number;
  /**
   * Whether and why the mapping at `addr` faulted: 0 not, else the ABI code of why (ETRUNCATED
   * past the end of its truncated file, ENOSPC no space left on its device, EIO an I/O error); or
   * a negated errno.
   */
  truncated(view: Uint8Array, addr: number): number;
  /** The native helper's SIGBUS guard, for the whole process (absent on the emulated backend). */
  guardStats?(): GuardStats;
  /**
   * Drops a mapping and leaves zeroed memory; 0 or a negated errno. A backend with merge() leaves
   * it as an area of its own, for the caller to merge back (or to map over again).
   */
  unmap(view: Uint8Array, addr: number, len: number): number;
  /** Merges the zeroed memory an unmap left over [addr, addr+len) back into the memory's area. */
  merge?(view: Uint8Array, addr: number, len: number): number;
  /**
   * mlock (lock) or munlock of a range inside one mapping; 0 or a negated errno (ENOMEM: over
   * RLIMIT_MEMLOCK; EPERM: that limit is 0 without CAP_IPC_LOCK). Absent: the backend cannot (ENOTSUP).
   */
  lock?(view: Uint8Array, addr: number, len: number, lock: boolean): number;
  /**
   * How many pages of a range inside one mapping are resident (mincore), or a negated errno; with
   * `vecAddr` other than -1, one byte per page (1 resident) is written there in the memory.
   * Absent: the backend cannot tell (ENOTSUP).
   */
  residency?(view: Uint8Array, addr: number, len: number, vecAddr: number): number;
  /**
   * The mapping that is exactly [addr, addr+len) becomes [newAddr, newAddr+newLen) of the same file
   * from the same offset: in place when newAddr === addr, else moved (docs/abi.md, `remap`); 0 or
   * a negated errno. Absent: the backend cannot (ENOTSUP).
   */
  remap?(view: Uint8Array, addr: number, len: number, newAddr: number, newLen: number): number;
  /** Writes a shared mapping's changes to the file; 0 or a negated errno. */
  sync(view: Uint8Array, addr: number, len: number, async: boolean): number;
  /** The next offset holding data (SEEK_DATA), the file size if none, or a negated errno. */
  nextData(fd: number, offset: number): number;
  /** Opens a regular file beneath a directory descriptor with an OpenModes mode; fd or a negated errno. */
  openBeneath(dirfd: number, path: string, mode: number): number;
  /** A descriptor of a directory, for a preopen; fd or a negated errno. */
  openDirectory(path: string): number;
  /** Closes a descriptor the backend opened; 0 or a negated errno. */
  closeFd(fd: number): number;
}

/** The SIGBUS guard's figures (host/native/truncation_guard.h). */
export interface GuardStats {
  /** Mappings watched now, in the whole process. */
  live: number;
  /** The process's budget of live mappings. */
  limit: number;
  /** vm.max_map_count as read when the helper started (0 if unreadable). */
  maxMapCount: number;
  /** Descriptors the guard holds: one per mapped file, and the idle ones. */
  files: number;
  /** Of which kept for files no mapping uses now, for their next map (closed after 2 s unused). */
  idleFiles: number;
  /** Faults absorbed since the process started. */
  faults: number;
  /** SIGBUS deliveries sent back to retry the access (each absorbed fault is seen twice). */
  retried: number;
  /** Times the handler was put back after something (a SIGBUS listener) replaced it. */
  reinstalled: number;
}

let warned = false;

/** How to get the real backend, for every message that reports its absence. */
const FIX =
  "prebuilt helpers ship for Linux x64 and arm64 (glibc 2.33 or later); elsewhere install a C compiler, make and " +
  "Python 3 (Debian/Ubuntu: apt-get install build-essential python3) and run `npm rebuild wasm-mmf --build-from-source`";

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0].trim();

/** The warning of "auto" when it falls back: says what is lost, why, and how to fix or silence it. */
function fallbackWarning(reason: string): string {
  return [
    "wasm-mmf: WARNING: the native helper did not load, so every region is a COPY of the file (the emulated backend):",
    "  not zero-copy, and no coherence with other writers of the file.",
    `  why: ${reason}`,
    `  fix: ${FIX}.`,
    '  to use the emulated backend on purpose (and silence this): MMF_BACKEND=emulated, or createMmf({ backend: "emulated" }).',
    "",
  ].join("\n");
}

/**
 * The backend for an option: "native" fails if the helper is missing; "auto" (the default) takes
 * MMF_BACKEND from the environment, else the native helper, else the emulated backend with one
 * warning on stderr. The emulated backend keeps per-memory state, so every host gets its own.
 */
export function selectBackend(option: BackendOption | undefined): Backend {
  const wanted = option ?? "auto";
  const resolved = wanted === "auto" ? process.env.MMF_BACKEND || "auto" : wanted;
  switch (resolved) {
    case "native":
      try {
        return nativeHelper();
      } catch (err) {
        if (err instanceof MmfError) throw err; // loaded, but misconfigured (MMF_PROCESS_MAPPINGS)
        throw new MmfError("EIO", `the native helper could not be loaded (${firstLine(err)}); ${FIX}`);
      }
    case "emulated":
      return emulatedBackend();
    case "auto":
      try {
        return nativeHelper();
      } catch (err) {
        if (err instanceof MmfError) throw err;
        if (!warned) {
          warned = true;
          process.stderr.write(fallbackWarning(firstLine(err)));
        }
        return emulatedBackend();
      }
  }
  throw new MmfError("EINVAL", `unknown backend ${JSON.stringify(resolved)}: "native", "emulated" or "auto"`);
}
