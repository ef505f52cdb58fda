// Named shared memory objects (go-ipc's shm.MemoryObject) for guests: opened by name under the
// prefix the host allows (MmfHost's memoryObjectPrefix), or granted by the host as a handle
// (MmfHost.grantMemoryObject). They map like any MappedFile.

import { OPEN_CREATE, OPEN_CREATE_NEW, OPEN_READ, OPEN_READ_WRITE } from "./abi";
import { EINVAL } from "./errors";
import { host_destroy_object, host_open_object } from "./imports";
import { MappedFile } from "./mapped-file";
import { Result } from "./result";

export class MemoryObject extends MappedFile {
  constructor(handle: i32, private objectName: string) {
    super(handle);
  }

  /** The name the object was opened with ("" for a grant). */
  name(): string {
    return this.objectName;
  }

  /** close(), then removes the name: 1 if it was there, 0 if not, or a negated error code. */
  destroy(): i32 {
    this.close();
    return destroyMemoryObject(this.objectName);
  }
}

/** Wraps a handle the host granted (MmfHost.grantMemoryObject). */
export function memoryObjectFromHandle(handle: i32): MemoryObject {
  return new MemoryObject(handle, "");
}

/**
 * Opens the shared memory object `name` with flags "r", "r+", "w+" (created if missing; an
 * existing one keeps its contents) or "wx+" (created; EEXIST if it exists). A new object is 0
 * bytes long: truncate() it before mapping.
 */
export function newMemoryObject(name: string, flags: string = "r"): Result<MemoryObject> {
  let mode: i32 = -1;
  if (flags == "r") mode = OPEN_READ;
  else if (flags == "r+") mode = OPEN_READ_WRITE;
  else if (flags == "w+") mode = OPEN_CREATE;
  else if (flags == "wx+") mode = OPEN_CREATE_NEW;
  if (mode < 0) return new Result<MemoryObject>(null, EINVAL);
  const bytes = String.UTF8.encode(name);
  const handle = host_open_object(changetype<usize>(bytes), <usize>bytes.byteLength, mode);
  if (handle < 0) return new Result<MemoryObject>(null, -handle);
  return new Result<MemoryObject>(new MemoryObject(handle, name), 0);
}

/** Removes the object's name: 1 if it existed, 0 if not, or a negated error code. */
export function destroyMemoryObject(name: string): i32 {
  const bytes = String.UTF8.encode(name);
  return host_destroy_object(changetype<usize>(bytes), <usize>bytes.byteLength);
}
