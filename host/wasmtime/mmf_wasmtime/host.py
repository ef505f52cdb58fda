"""MmfHost for Wasmtime: supplies the `mmf` import module (docs/abi.md) to one guest and carries out
its system calls on that guest's memory, zero-copy: file pages are mmap(MAP_FIXED)ed into the
memory at its base address. The guest is untrusted: it reaches only the files the host gave it
(preopened folders, granted files), its handles index a table of its own, and every address,
length and offset is checked here before any system call."""
import ctypes
import errno
import fcntl
import math
import os
import stat
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional, Union

import wasmtime

from . import memory_objects, native, paths
from .abi import (
    ADVICE_COUNT, DEFAULT_MAX_HANDLES, DEFAULT_MAX_MAPPINGS, IMPORTS, MAP_FLAGS_ALL, MAP_READ_ONLY, MAP_SHARED, MAX_PATH, OPEN_CREATE, OPEN_CREATE_NEW,
    OPEN_READ, OPEN_READ_WRITE,
)
from .errors import CODES, GuestError, MmfError, code_from_errno, error_from_code
from .mappings import MappingSet
from .memory import GuestMemory, GuestMemoryLike, store_id, store_id_of

# The map flag READ_ONLY: the guest will not store there, so the pages are PROT_READ (Wasmtime only
# mprotects new pages on grow, unlike V8, so the protection holds). The imports (abi.IMPORTS) are
# carried out by the methods `_<name>`.
U32 = 0xFFFFFFFF

_VALTYPES = {"i32": wasmtime.ValType.i32, "u32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}
_EIO = -GuestError("EIO").code
# The flags of a memory object for each open mode of `open_object`.
_OBJECT_FLAGS = {OPEN_READ: "r", OPEN_READ_WRITE: "r+", OPEN_CREATE: "w+", OPEN_CREATE_NEW: "wx+"}
# Sizes past this are ERANGE, as under the Node host (no double holds them exactly).
_MAX_FILE_OFFSET = 2**53 - 1


@dataclass(frozen=True)
class _Mapped:
    epoch_addr: int  # the word the guard bumps when this mapping faults (-1: none)
    prot_read: bool  # mapped PROT_READ


@dataclass
class _Handle:
    fd: int
    writable: bool  # whether the guest may map the file shared (MEM_READWRITE)


class MmfHost:
    """The `mmf` imports for one guest. Use it as a context manager, or call close().

    max_handles: most handles the guest may hold open at once. max_mappings: most live mappings
    it may hold at once (a positive integer or math.inf). Each mapping is an area of the process,
    and at vm.max_map_count the next allocation anywhere fails (Wasmtime then aborts); the guard
    also keeps a budget for the whole process (a quarter of vm.max_map_count, MMF_PROCESS_MAPPINGS).
    Past either, `map` answers ENOMEM and take_refusal() says which limit it was.
    memory_object_prefix: the guest may open and destroy the shared memory objects (/dev/shm) whose
    names start with it (`open_object`, `destroy_object`); without it, none by name."""

    def __init__(self, store: wasmtime.Store, preopens: Optional[dict[str, str]] = None, max_handles: int = DEFAULT_MAX_HANDLES,
                 max_mappings: Union[int, float] = DEFAULT_MAX_MAPPINGS, memory_object_prefix: Optional[str] = None):
        if not (max_mappings == math.inf or (type(max_mappings) is int and max_mappings >= 1)):
            raise MmfError("EINVAL", f"MmfHost: max_mappings must be a positive integer or math.inf, got {max_mappings!r}")
        self._object_prefix = None if memory_object_prefix is None else memory_objects.checked_name("MmfHost: memory_object_prefix", memory_object_prefix)
        self._native = native.load()
        self.page_size: int = self._native.page_size
        self._store = store
        self._max_handles = max_handles
        self._max_mappings = max_mappings
        self._refusal: Optional[str] = None  # why the last map answered ENOMEM, when a limit was the cause
        self._owner = self._native.new_owner()  # tags this host's mappings in the guard
        self._memory: Optional[GuestMemory] = None
        self._base = 0
        self._handles: dict[int, _Handle] = {}
        self._next_handle = 1
        self._mappings = MappingSet()
        self._epoch_addr = -1  # where the guest's epoch word is, which a fault bumps (-1: it did not say)
        self._epochs_in_use: Counter[int] = Counter()  # epoch words that live mappings' guards may bump
        self._closed = False
        self._preopens = paths.Preopens(preopens or {})
        # The imports as Python callables, as the linker gets them (arguments as Wasm passes them).
        self.imports: dict[str, Callable[..., int]] = {name: self._guarded(name, params) for name, (params, _) in IMPORTS.items()}

    def define(self, linker: wasmtime.Linker) -> None:
        """Adds the `mmf` imports to `linker` (which then serves this host's guest only)."""
        for name, (params, result) in IMPORTS.items():
            signature = wasmtime.FuncType([_VALTYPES[p]() for p in params], [_VALTYPES[result]()])
            linker.define_func("mmf", name, signature, self.imports[name])

    def attach(self, target: Union[wasmtime.Instance, GuestMemoryLike]) -> None:
        """Binds the host to the guest's memory: an instance that exports `memory`, or the memory itself."""
        if self._closed:
            raise MmfError("ECLOSED", "MmfHost.attach: the host is closed")
        if isinstance(target, (wasmtime.Instance, wasmtime.Memory)) and store_id(target) != store_id_of(self._store):
            raise MmfError("EINVAL", "MmfHost.attach: the instance or memory belongs to another store")
        memory = target
        if isinstance(target, wasmtime.Instance):
            memory = target.exports(self._store).get("memory")
        if not isinstance(memory, (wasmtime.Memory, wasmtime.SharedMemory)):
            raise MmfError("EINVAL", "MmfHost.attach: no Wasmtime memory (an instance must export `memory`)")
        guest = GuestMemory(memory, self._store)
        base = guest.base()
        if self._memory is not None and base != self._base:
            raise MmfError("EINVAL", "MmfHost.attach: already attached to another memory")
        if base % self.page_size != 0:
            raise MmfError("EINVAL", "MmfHost.attach: the memory's base is not page-aligned")
        self._memory, self._base = guest, base

    def grant(self, path: Union[str, os.PathLike], mode: str = "r") -> int:
        """Opens a host file for the guest and returns its handle; an "r" grant can never be mapped shared."""
        operation = f"MmfHost.grant({path}, {mode})"
        if mode not in ("r", "r+"):
            raise MmfError("EINVAL", f'{operation}: mode must be "r" or "r+"')
        if self._closed:
            raise MmfError("ECLOSED", f"{operation}: the host is closed")
        try:
            fd = os.open(path, (os.O_RDWR if mode == "r+" else os.O_RDONLY) | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as err:
            raise error_from_code(operation, code_from_errno(err.errno), err.strerror) from None
        except (ValueError, TypeError) as err:  # a NUL in the path, or no path at all
            raise MmfError("EINVAL", f"{operation}: {err}") from None
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        if not regular or len(self._handles) >= self._max_handles:
            os.close(fd)
            raise MmfError("ENOMEM" if regular else "EINVAL", f"{operation}: {'too many open handles' if regular else 'not a regular file'}")
        return self._add_handle(_Handle(fd, mode == "r+"))

    def grant_memory_object(self, name: str, mode: str = "r") -> int:
        """Opens the shared memory object `name` ("r", "r+", "w+", "wx+", as the Node host's
        newMemoryObject) for the guest and returns its handle; an "r" grant can never be mapped shared."""
        operation = f"MmfHost.grant_memory_object({name!r}, {mode!r})"
        if self._closed:
            raise MmfError("ECLOSED", f"{operation}: the host is closed")
        if len(self._handles) >= self._max_handles:
            raise MmfError("ENOMEM", f"{operation}: too many open handles")
        fd = memory_objects.open_object(operation, name, mode)
        return self._add_handle(_Handle(fd, mode != "r"))

    @property
    def mapping_count(self) -> int:
        """Live mappings of the attached memory."""
        return len(self._mappings)

    @property
    def max_mappings(self) -> Union[int, float]:
        """Most live mappings the guest may hold."""
        return self._max_mappings

    def take_refusal(self) -> Optional[str]:
        """Why the last map answered ENOMEM, naming the limit (the guest's budget, the process's,
        or the system's); None when it did not, or when asked already."""
        refusal, self._refusal = self._refusal, None
        return refusal

    @property
    def handle_count(self) -> int:
        """Handles the guest holds."""
        return len(self._handles)

    def close(self) -> None:
        """Unmaps everything the guest still has mapped and closes every handle and preopen. Idempotent."""
        if self._closed:
            return
        try:
            base = self._current()[0] if self._memory else None
        except GuestError:
            base = None  # the memory moved: its old pages, our mappings with them, are gone
        self._epochs_in_use.clear()
        for addr, length in self._mappings.drain():
            if base is not None:
                self._native.unmap(base + addr, length)
        self._native.forget_owner(self._owner)  # what is left: the mappings of a memory that is gone
        for handle in self._handles.values():
            os.close(handle.fd)
        self._handles.clear()
        self._preopens.close()
        self._closed = True

    def __enter__(self) -> "MmfHost":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the imports ---------------------------------------------------------------------------

    def _guarded(self, name: str, params: tuple[str, ...]) -> Callable[..., int]:
        """The import `name` as Wasm calls it: u32 parameters read unsigned, every failure a negated code."""
        body = getattr(self, f"_{name}")
        unsigned = [i for i, p in enumerate(params) if p == "u32"]

        def call(*args: int) -> int:
            try:
                if unsigned:
                    args = tuple(a & U32 if i in unsigned else a for i, a in enumerate(args))
                return body(*args)
            except GuestError as err:
                return -err.code
            except Exception:  # never an exception into the guest: any other failure is EIO
                return _EIO

        call.__name__ = name
        return call

    def _add_handle(self, handle: _Handle) -> int:
        number = self._next_handle
        self._next_handle += 1
        self._handles[number] = handle
        return number

    def _current(self) -> tuple[int, int]:
        """(base address, byte length) of the memory now; EIO if its base moved since attach."""
        if self._memory is None or self._closed:
            raise GuestError("EINVAL")
        base = self._memory.base()
        if base != self._base:
            raise GuestError("EIO")
        return base, self._memory.length()

    def _entry(self, handle: int) -> _Handle:
        entry = self._handles.get(handle)
        if entry is None:
            raise GuestError("EBADF")
        return entry

    def _file_info(self, fd: int) -> tuple[int, int]:
        """(size, access mode) of a mappable (regular) file."""
        try:
            st = os.fstat(fd)
            access = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        except OSError as err:
            raise GuestError.from_errno(err.errno) from None
        if not stat.S_ISREG(st.st_mode):
            raise GuestError("EINVAL")
        return st.st_size, access

    def _checked_range(self, addr: int, length: int) -> int:
        """The memory's base, after checking a non-empty page-aligned range inside the memory."""
        base, size = self._current()
        if length == 0 or addr % self.page_size or length % self.page_size:
            raise GuestError("EINVAL")
        if addr + length > size:
            raise GuestError("ERANGE")
        return base

    def _page_size(self) -> int:
        return self.page_size

    def _file_size(self, handle: int) -> int:
        return self._file_info(self._entry(handle).fd)[0]

    def _map(self, handle: int, file_offset: int, addr: int, length: int, flags: int) -> int:
        self._refusal = None
        entry = self._entry(handle)
        base = self._checked_range(addr, length)
        if flags & ~MAP_FLAGS_ALL or self._mappings.overlaps(addr, length):
            raise GuestError("EINVAL")
        size, access = self._file_info(entry.fd)
        if flags & MAP_SHARED and (not entry.writable or access != os.O_RDWR):
            raise GuestError("EACCES")
        if access == os.O_WRONLY:
            raise GuestError("EACCES")
        if file_offset < 0 or file_offset % self.page_size:
            raise GuestError("EINVAL")
        # Pages wholly past the end of the file would fault (SIGBUS) on first touch.
        if file_offset + length > -(-size // self.page_size) * self.page_size:
            raise GuestError("ERANGE")
        if len(self._mappings) >= self._max_mappings:
            self._refusal = f"this guest holds {len(self._mappings)} live mappings, its budget (max_mappings {self._max_mappings})"
            raise GuestError("ENOMEM")
        # The guard writes the epoch word from a signal handler: it must never sit in a PROT_READ page,
        # or a truncation would crash the process. A hostile guest can aim it there; it then loses the word.
        prot_read = bool(flags & MAP_READ_ONLY) and not self._holds_epoch_word(addr, length)
        holder = self._mappings.note_at(self._epoch_addr) if self._epoch_addr >= 0 else None
        epoch_addr = -1 if holder is not None and holder.prot_read else self._epoch_addr
        rc = self._native.map(base + addr, length, entry.fd, file_offset, (flags & ~MAP_READ_ONLY) | (MAP_READ_ONLY if prot_read else 0),
                              base + epoch_addr if epoch_addr >= 0 else None, self._owner)
        if rc < 0:
            self._refusal = self._describe_refusal(-rc)
            return -CODES["ENOMEM"] if rc == -errno.EDQUOT else code_from_errno(-rc)
        self._mappings.add(addr, length, _Mapped(epoch_addr, prot_read))
        self._epochs_in_use[epoch_addr] += 1
        return 0

    def _describe_refusal(self, err: int) -> Optional[str]:
        """The limit behind a failed native map, for take_refusal(); None when it was none of them."""
        if err not in (errno.EDQUOT, errno.ENOMEM):
            return None
        stats = self._native.guard_stats()
        kernel = f"vm.max_map_count is {stats.max_map_count or 'unknown'}"
        if err == errno.EDQUOT:
            return f"the process holds {stats.live} live mappings, its budget (a quarter of vm.max_map_count, or MMF_PROCESS_MAPPINGS: {stats.limit}; {kernel})"
        return f"the system refused the mapping (mmap ENOMEM: out of memory, or of areas: {kernel})"

    def _holds_epoch_word(self, addr: int, length: int) -> bool:
        """Whether [addr, addr+length) holds the epoch word or one that a live mapping's guard may bump."""
        return any(addr <= word < addr + length for word in (self._epoch_addr, *self._epochs_in_use))

    def _unmap(self, addr: int, length: int) -> int:
        base = self._checked_range(addr, length)
        removed = self._mappings.remove(addr, length)
        if removed is None:
            raise GuestError("EINVAL")
        self._epochs_in_use[removed.epoch_addr] -= 1
        if self._epochs_in_use[removed.epoch_addr] == 0:
            del self._epochs_in_use[removed.epoch_addr]
        rc = self._native.unmap(base + addr, length)
        return code_from_errno(-rc) if rc < 0 else 0

    def _inside_mapping(self, addr: int, length: int) -> int:
        """The memory's base, after checking that [addr, addr+length) lies inside one live mapping."""
        base = self._checked_range(addr, length)
        if not self._mappings.contains(addr, length):
            raise GuestError("EINVAL")
        return base

    def _sync(self, addr: int, length: int, asynchronous: int) -> int:
        rc = self._native.sync(self._inside_mapping(addr, length) + addr, length, asynchronous != 0)
        return code_from_errno(-rc) if rc < 0 else 0

    def _advise(self, addr: int, length: int, advice: int) -> int:
        if not 0 <= advice < ADVICE_COUNT:
            raise GuestError("EINVAL")
        rc = self._native.advise(self._inside_mapping(addr, length) + addr, length, advice)
        return code_from_errno(-rc) if rc < 0 else 0

    # --- ABI version 3 -----------------------------------------------------------------------------

    def _lock(self, addr: int, length: int) -> int:
        rc = self._native.lock(self._inside_mapping(addr, length) + addr, length, True)
        return code_from_errno(-rc) if rc < 0 else 0

    def _unlock(self, addr: int, length: int) -> int:
        rc = self._native.lock(self._inside_mapping(addr, length) + addr, length, False)
        return code_from_errno(-rc) if rc < 0 else 0

    def _residency(self, addr: int, length: int, vec_ptr: int) -> int:
        base = self._inside_mapping(addr, length)
        _, size = self._current()
        if vec_ptr and vec_ptr + length // self.page_size > size:
            raise GuestError("ERANGE")
        rc = self._native.residency(base + addr, length, base + vec_ptr if vec_ptr else 0)
        return code_from_errno(-rc) if rc < 0 else rc

    def _remap(self, addr: int, length: int, new_addr: int, new_length: int) -> int:
        """The mapping that is exactly [addr, addr+length) becomes [new_addr, new_addr+new_length): in place or moved."""
        base = self._checked_range(addr, length)
        self._checked_range(new_addr, new_length)
        note = self._mappings.remove(addr, length)
        if note is None:
            raise GuestError("EINVAL")
        moved = new_addr != addr
        # A PROT_READ mapping must not come to hold a word the guard writes (see _map).
        if (self._mappings.overlaps(new_addr, new_length) or (moved and new_addr < addr + length and addr < new_addr + new_length)
                or (note.prot_read and self._holds_epoch_word(new_addr, new_length))):
            self._mappings.add(addr, length, note)
            raise GuestError("EINVAL")
        rc = self._native.remap(base + addr, length, base + new_addr, new_length)
        if rc < 0:
            self._mappings.add(addr, length, note)
            return code_from_errno(-rc)
        self._mappings.add(new_addr, new_length, note)
        return 0

    def _watch(self, epoch_addr: int) -> int:
        """The guest names an aligned i32 in its memory (any unsigned address) that a fault of its mappings bumps."""
        _, size = self._current()
        if epoch_addr % 4:
            raise GuestError("EINVAL")
        if epoch_addr + 4 > size:
            raise GuestError("ERANGE")
        self._epoch_addr = epoch_addr
        return 0

    def _fault_cause(self, addr: int, length: int) -> int:
        """0 if the live mapping that holds [addr, addr+length) never faulted, else the ABI code of why: ETRUNCATED, ENOSPC, EIO."""
        base = self._checked_range(addr, length)
        start = self._mappings.start_of(addr, length)
        if start is None:
            raise GuestError("EINVAL")
        rc = self._native.fault_cause(base + start)
        return code_from_errno(-rc) if rc < 0 else rc

    def _truncated(self, addr: int, length: int) -> int:
        """ABI version 1: 1 for a fault of any cause (an old guest then reports ETRUNCATED: an error, if not the right one)."""
        cause = self._fault_cause(addr, length)
        return cause if cause < 0 else min(cause, 1)

    def _open(self, path_ptr: int, path_len: int, mode: int) -> int:
        base, size = self._current()
        if mode not in paths.OPEN_FLAGS:
            raise GuestError("EINVAL")
        if path_len == 0 or path_len >= MAX_PATH:
            raise GuestError("EINVAL")
        if path_ptr + path_len > size:
            raise GuestError("ERANGE")
        try:
            path = ctypes.string_at(base + path_ptr, path_len).decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise GuestError("EINVAL") from None
        if "\0" in path:
            raise GuestError("EINVAL")
        found = self._preopens.find(path)
        if found is None:
            raise GuestError("ENOENT")
        dirfd, rest = found
        try:
            relative = paths.beneath_preopen(rest)
        except OSError as err:
            raise GuestError.from_errno(err.errno) from None
        if len(self._handles) >= self._max_handles:
            raise GuestError("ENOMEM")
        fd = paths.open_beneath(dirfd, relative, mode)
        if fd < 0:
            return code_from_errno(-fd)
        return self._add_handle(_Handle(fd, mode != OPEN_READ))

    def _object_name(self, name_ptr: int, name_len: int, valid: bool = True) -> str:
        """The bare name of a memory object the guest names, if the host allows it: the range and
        the bytes are checked first, then `valid` (the mode), then the prefix."""
        base, size = self._current()
        if name_len == 0 or name_len >= MAX_PATH:
            raise GuestError("EINVAL")
        if name_ptr + name_len > size:
            raise GuestError("ERANGE")
        try:
            name = memory_objects.checked_name("open_object", ctypes.string_at(base + name_ptr, name_len).decode("utf-8", errors="strict"))
        except (UnicodeDecodeError, MmfError):
            raise GuestError("EINVAL") from None
        if not valid:
            raise GuestError("EINVAL")
        if self._object_prefix is None or not name.startswith(self._object_prefix):
            raise GuestError("EACCES")
        return name

    def _open_object(self, name_ptr: int, name_len: int, mode: int) -> int:
        flags = _OBJECT_FLAGS.get(mode)
        name = self._object_name(name_ptr, name_len, flags is not None)
        if len(self._handles) >= self._max_handles:
            raise GuestError("ENOMEM")
        try:
            fd = memory_objects.open_object("open_object", name, flags)
        except MmfError as err:
            raise GuestError(err.code) from None
        return self._add_handle(_Handle(fd, mode != OPEN_READ))

    def _destroy_object(self, name_ptr: int, name_len: int) -> int:
        name = self._object_name(name_ptr, name_len)
        try:
            return 1 if memory_objects.destroy_object("destroy_object", name) else 0
        except MmfError as err:
            raise GuestError(err.code) from None

    def _truncate(self, handle: int, size: int) -> int:
        entry = self._entry(handle)
        if size < 0:
            raise GuestError("EINVAL")
        if not entry.writable:
            raise GuestError("EACCES")
        if size > _MAX_FILE_OFFSET:
            raise GuestError("ERANGE")
        try:
            os.ftruncate(entry.fd, size)
        except OSError as err:
            raise GuestError.from_errno(err.errno) from None
        return 0

    def _close(self, handle: int) -> int:
        entry = self._entry(handle)
        del self._handles[handle]
        os.close(entry.fd)
        return 0
