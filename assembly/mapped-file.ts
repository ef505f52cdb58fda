// Files a guest maps: MappedFile, opened beneath a folder the host preopened, or a handle the
// host granted. A handle indexes the host's table for this guest; it is no OS descriptor.

import { OPEN_CREATE, OPEN_READ, OPEN_READ_WRITE } from "./abi";
import { EINVAL } from "./errors";
import { host_close, host_file_size, host_open, host_truncate } from "./imports";
import { Result } from "./result";

/** Anything that names a file handle can be mapped (Go's mmf.Mappable). */
export interface Mappable {
  fd(): i32;
}

export class MappedFile implements Mappable {
  constructor(private handle: i32) {}

  /** The handle, or -1 once closed. */
  fd(): i32 {
    return this.handle;
  }

  /** The file's size in bytes, or a negated error code. */
  size(): i64 {
    return host_file_size(this.handle);
  }

  /** Sets the file's size (a read-write handle; ABI version 3): 0 or a negated error code. */
  truncate(size: i64): i32 {
    return host_truncate(this.handle, size);
  }

  /** Closes the handle (regions mapped from it stay valid). Idempotent; 0 or a negated error code. */
  close(): i32 {
    if (this.handle < 0) return 0;
    const handle = this.handle;
    this.handle = -1;
    return host_close(handle);
  }
}

/** Wraps a handle the host granted (MmfHost.grant). */
export function fileFromHandle(handle: i32): MappedFile {
  return new MappedFile(handle);
}

/** Opens `path` (beneath a preopened folder) with flags "r", "r+" or "w+". */
export function openFile(path: string, flags: string = "r"): Result<MappedFile> {
  let mode: i32 = -1;
  if (flags == "r") mode = OPEN_READ;
  else if (flags == "r+") mode = OPEN_READ_WRITE;
  else if (flags == "w+") mode = OPEN_CREATE;
  if (mode < 0) return new Result<MappedFile>(null, EINVAL);
  const bytes = String.UTF8.encode(path);
  const handle = host_open(changetype<usize>(bytes), <usize>bytes.byteLength, mode);
  if (handle < 0) return new Result<MappedFile>(null, -handle);
  return new Result<MappedFile>(new MappedFile(handle), 0);
}

/** Closes a file the collector frees without close(). */
export function finalizeMappedFile(file: MappedFile): void {
  file.close();
}
