// The `mmf` host functions implemented inside the module with WASI preview1 calls, for plain
// WASI hosts (Wasmtime, node:wasi, browser shims) that have no mmap to offer. A "mapping" reads
// the file's bytes into linear memory with fd_pread; a shared one keeps a shadow copy and
// writes back with fd_pwrite only the bytes that differ from it, at sync and unmap.
// Built only with --use MMF_WASI_BACKEND=1 (asconfig target "wasi"); see imports.ts.

import { MAX_PATH, OPEN_CREATE, OPEN_READ, OPEN_READ_WRITE } from "./abi";
import { codeOfWasiErrno as fromErrno, EACCES, EBADF, EINVAL, EIO, ENOENT, ENOMEM, ERANGE } from "./errors";
import { releasePages, reservePages } from "./address-space";

// WASI preview1, declared here so that builds without WASI never see these imports.
@external("wasi_snapshot_preview1", "fd_pread")
declare function fd_pread(fd: i32, iovs: usize, iovsLen: usize, offset: u64, nread: usize): u16;
@external("wasi_snapshot_preview1", "fd_pwrite")
declare function fd_pwrite(fd: i32, iovs: usize, iovsLen: usize, offset: u64, nwritten: usize): u16;
@external("wasi_snapshot_preview1", "fd_filestat_get")
declare function fd_filestat_get(fd: i32, buf: usize): u16;
@external("wasi_snapshot_preview1", "fd_datasync")
declare function fd_datasync(fd: i32): u16;
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: i32): u16;
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: i32, buf: usize): u16;
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: i32, path: usize, pathLen: usize): u16;
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(dirfd: i32, dirflags: u32, path: usize, pathLen: usize, oflags: u16,
  rightsBase: u64, rightsInheriting: u64, fdflags: u16, fd: usize): u16;

const PAGE: i32 = 4096;

// WASI constants.
const WASI_EBADF: u16 = 8;
const FILETYPE_REGULAR: u8 = 4;
const OFLAGS_CREAT: u16 = 1;
const OFLAGS_TRUNC: u16 = 8;
const RIGHT_FD_DATASYNC: u64 = 1;
const RIGHT_FD_READ: u64 = 2;
const RIGHT_FD_SEEK: u64 = 4;
const RIGHT_FD_SYNC: u64 = 16;
const RIGHT_FD_WRITE: u64 = 64;
const RIGHT_FD_FILESTAT_GET: u64 = 2097152;
// Only the rights we use: Node's WASI refuses path_open with every right bit set (errno 76).
const READ_RIGHTS = RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_FILESTAT_GET;
const WRITE_RIGHTS = READ_RIGHTS | RIGHT_FD_WRITE | RIGHT_FD_DATASYNC | RIGHT_FD_SYNC;

// WASI's records, as its calls read and fill them (fields at their natural alignment, as in C).
/** fd_filestat_get's answer. */
// @ts-ignore: decorator
@unmanaged class Filestat {
  dev: u64;
  ino: u64;
  filetype: u8;
  nlink: u64;
  size: u64;
  atim: u64;
  mtim: u64;
  ctim: u64;
}
/** fd_prestat_get's answer: the tag (0 for a directory) and the length of the directory's name. */
// @ts-ignore: decorator
@unmanaged class Prestat {
  tag: u8;
  nameLen: u32;
}
/** One buffer of fd_pread or fd_pwrite. */
// @ts-ignore: decorator
@unmanaged class Iovec {
  buf: u32;
  len: u32;
}

// Scratch space for WASI out-parameters (one call at a time). @lazy: builds without WASI never
// reference these, and then neither the space nor the initializers exist in them.
// STAT holds a Filestat or a Prestat; COUNT a byte count or a descriptor.
// @ts-ignore: decorator
@lazy const STAT: usize = memory.data(offsetof<Filestat>(), 8);
// @ts-ignore: decorator
@lazy const IOV: usize = memory.data(offsetof<Iovec>(), 4);
// @ts-ignore: decorator
@lazy const COUNT: usize = memory.data(8, 4);

class SharedMapping {
  constructor(public fd: i32, public fileOffset: u64, public len: usize, public shadow: usize) {}
}
// @ts-ignore: decorator
@lazy const shared = new Map<usize, SharedMapping>();
// @ts-ignore: decorator
@lazy const writableFds = new Set<i32>();

export function wasiPageSize(): i32 {
  return PAGE;
}

export function wasiFileSize(fd: i32): i64 {
  const e = fd_filestat_get(fd, STAT);
  if (e != 0) return fromErrno(e);
  const stat = changetype<Filestat>(STAT);
  if (stat.filetype != FILETYPE_REGULAR) return -EINVAL;
  return <i64>stat.size;
}

/**
 * fd_pread or fd_pwrite of [addr, addr+len) at `offset` until all is done or the file gives no
 * more (a read at its end). Returns the bytes moved or a negated error code.
 */
function transfer(fd: i32, addr: usize, len: usize, offset: u64, write: bool): i64 {
  let done: usize = 0;
  while (done < len) {
    const iov = changetype<Iovec>(IOV);
    iov.buf = <u32>(addr + done);
    iov.len = <u32>(len - done);
    const e = write ? fd_pwrite(fd, IOV, 1, offset + done, COUNT) : fd_pread(fd, IOV, 1, offset + done, COUNT);
    if (e != 0) return fromErrno(e);
    const n = <usize>load<u32>(COUNT);
    if (n == 0) break;
    done += n;
  }
  return <i64>done;
}

/** Reads the file into [addr, addr+len), zero-filling past its end. */
function preadAll(fd: i32, addr: usize, len: usize, offset: u64): i32 {
  const done = transfer(fd, addr, len, offset, false);
  if (done < 0) return <i32>done;
  memory.fill(addr + <usize>done, 0, len - <usize>done);
  return 0;
}

function pwriteAll(fd: i32, addr: usize, len: usize, offset: u64): i32 {
  const done = transfer(fd, addr, len, offset, true);
  return done < 0 ? <i32>done : done < <i64>len ? -EIO : 0;
}

export function wasiMap(fd: i32, fileOffset: i64, addr: usize, len: usize, isShared: i32): i32 {
  if (len == 0 || (addr & (PAGE - 1)) != 0 || (len & (PAGE - 1)) != 0 || fileOffset < 0) return -EINVAL;
  if (<u64>addr + len > (<u64>memory.size() << 16)) return -ERANGE;
  // Shared needs a handle opened for writing. Not every WASI host tracks rights (browser shims
  // report none), so the handles' open modes are remembered here.
  if (isShared && !writableFds.has(fd)) return -EACCES;
  const rc = preadAll(fd, addr, len, <u64>fileOffset);
  if (rc < 0 || !isShared) return rc;
  const shadow = reservePages(<u32>(len / PAGE));
  if (shadow == 0) {
    memory.fill(addr, 0, len);
    return -ENOMEM;
  }
  memory.copy(shadow, addr, len);
  shared.set(addr, new SharedMapping(fd, <u64>fileOffset, len, shadow));
  return 0;
}

/** The shared mapping that holds [addr, addr+len): its start, or 0 (private mappings are not kept). */
function sharedStart(addr: usize, len: usize): usize {
  if (shared.has(addr)) return addr; // a whole mapping, as unmap and flush pass it
  const keys = shared.keys();
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] <= addr && addr + len <= keys[i] + shared.get(keys[i]).len) return keys[i];
  }
  return 0;
}

/**
 * Writes bytes [from, to) of mapping `m` (at `start`) back, those inside the file only (a
 * mapping's tail past the end never extends it), and makes them the shadow's.
 */
function writeRun(m: SharedMapping, start: usize, from: usize, to: usize, fileSize: u64): i32 {
  const at = m.fileOffset + <u64>from;
  const n: usize = at >= fileSize ? 0 : <usize>min<u64>(<u64>(to - from), fileSize - at);
  if (n > 0) {
    const rc = pwriteAll(m.fd, start + from, n, at);
    if (rc < 0) return rc;
  }
  memory.copy(m.shadow + from, start + from, to - from);
  return 0;
}

export function wasiSync(addr: usize, len: usize, isAsync: i32): i32 {
  const start = sharedStart(addr, len);
  if (start == 0) return 0; // a private mapping has nothing to write
  const m = shared.get(start);
  const e = fd_filestat_get(m.fd, STAT);
  if (e != 0) return fromErrno(e);
  const fileSize = changetype<Filestat>(STAT).size;
  // Only the runs of bytes that differ from the shadow: bytes another writer changed in the same
  // page are never overwritten with stale ones. Unchanged pages are skipped with one compare,
  // changed ones scanned a word at a time.
  const NONE: usize = <usize>-1;
  let open = NONE; // start of the run in progress
  const to = addr - start + len;
  for (let page = addr - start; page < to; page += PAGE) {
    if (memory.compare(start + page, m.shadow + page, PAGE) == 0) {
      if (open != NONE) {
        const rc = writeRun(m, start, open, page, fileSize);
        if (rc < 0) return rc;
        open = NONE;
      }
      continue;
    }
    for (let w = page; w < page + PAGE; w += 8) {
      if (load<u64>(start + w) == load<u64>(m.shadow + w)) {
        if (open != NONE) {
          const rc = writeRun(m, start, open, w, fileSize);
          if (rc < 0) return rc;
          open = NONE;
        }
        continue;
      }
      for (let i = w; i < w + 8; i++) {
        if (load<u8>(start + i) != load<u8>(m.shadow + i)) {
          if (open == NONE) open = i;
        } else if (open != NONE) {
          const rc = writeRun(m, start, open, i, fileSize);
          if (rc < 0) return rc;
          open = NONE;
        }
      }
    }
  }
  if (open != NONE) {
    const rc = writeRun(m, start, open, to, fileSize);
    if (rc < 0) return rc;
  }
  if (isAsync) return 0;
  return fromErrno(fd_datasync(m.fd));
}

export function wasiUnmap(addr: usize, len: usize): i32 {
  let rc = 0;
  if (shared.has(addr)) {
    rc = wasiSync(addr, len, 1);
    const m = shared.get(addr);
    releasePages(m.shadow, <u32>(m.len / PAGE));
    shared.delete(addr);
  }
  memory.fill(addr, 0, len);
  return rc;
}

/** The preopened directories: fd and name ("/data"), found once. */
// @ts-ignore: decorator
@lazy let preopenFds: i32[] | null = null;
// @ts-ignore: decorator
@lazy let preopenNames: string[] = [];

function preopens(): i32[] {
  let fds = preopenFds;
  if (fds == null) {
    fds = [];
    for (let fd = 3; fd < 1024; fd++) {
      if (fd_prestat_get(fd, STAT) != 0) break; // EBADF past the last one
      const prestat = changetype<Prestat>(STAT);
      if (prestat.tag != 0) continue; // not a directory
      const nameLen = <usize>prestat.nameLen;
      const buf = new ArrayBuffer(<i32>nameLen);
      if (fd_prestat_dir_name(fd, changetype<usize>(buf), nameLen) != 0) continue;
      let name = String.UTF8.decode(buf, true);
      if (!name.startsWith("/")) name = "/" + name;
      while (name.length > 1 && name.endsWith("/")) name = name.slice(0, name.length - 1);
      fds.push(fd);
      preopenNames.push(name);
    }
    preopenFds = fds;
  }
  return fds;
}

export function wasiOpen(pathPtr: usize, pathLen: usize, mode: i32): i32 {
  if ((mode != OPEN_READ && mode != OPEN_READ_WRITE && mode != OPEN_CREATE) || pathLen == 0 || pathLen >= <usize>MAX_PATH) return -EINVAL;
  const path = String.UTF8.decodeUnsafe(pathPtr, pathLen, false);
  if (path.indexOf("\0") >= 0) return -EINVAL;
  const fds = preopens();
  let best = -1;
  for (let i = 0; i < fds.length; i++) {
    const name = preopenNames[i];
    const prefix = name == "/" ? "/" : name + "/";
    if ((path == name || path.startsWith(prefix)) && (best < 0 || name.length > preopenNames[best].length)) best = i;
  }
  if (best < 0) return -ENOENT;
  let relative = path.slice(preopenNames[best].length);
  while (relative.startsWith("/")) relative = relative.slice(1);
  if (relative.length == 0) return -EINVAL;
  const rel = String.UTF8.encode(relative);
  const writable = mode != OPEN_READ;
  const e = path_open(fds[best], 0, changetype<usize>(rel), <usize>rel.byteLength,
    mode == OPEN_CREATE ? OFLAGS_CREAT | OFLAGS_TRUNC : 0, writable ? WRITE_RIGHTS : READ_RIGHTS, 0, 0, COUNT);
  if (e != 0) return fromErrno(e);
  const fd = load<i32>(COUNT);
  if (fd_filestat_get(fd, STAT) != 0 || changetype<Filestat>(STAT).filetype != FILETYPE_REGULAR) {
    fd_close(fd);
    return -EINVAL;
  }
  if (writable) writableFds.add(fd);
  return fd;
}

export function wasiClose(fd: i32): i32 {
  if (fd < 3) return -EBADF; // never the standard streams
  writableFds.delete(fd);
  const e = fd_close(fd);
  return e == WASI_EBADF ? -EBADF : fromErrno(e);
}
