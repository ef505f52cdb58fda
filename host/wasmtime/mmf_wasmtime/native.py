"""The one module that talks to dist/wasmtime/libmmf_wasmtime.so (host/wasmtime/mmf_wasmtime.c):
the SIGBUS guard and the mapping calls that register with it. When the guard's C interface
changes, that file and this one change; the host above only sees the functions of `Native`.
Every function returns 0 (or a value >= 0) or -errno."""
import ctypes
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import MmfError

LIBRARY = Path(os.environ.get("MMF_WASMTIME_LIB") or Path(__file__).resolve().parents[3] / "dist" / "wasmtime" / "libmmf_wasmtime.so")
MAX_PROCESS_MAPPINGS = 1 << 20  # the guard's table

_size, _int, _ptr = ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p
_STATS = ctypes.c_uint64 * 7


@dataclass(frozen=True)
class GuardStats:
    """The SIGBUS guard's figures for the whole process (host/native/truncation_guard.h)."""
    live: int           # mappings watched now
    limit: int          # the process's budget of live mappings
    max_map_count: int  # vm.max_map_count as read at start (0 if unreadable)
    files: int          # descriptors the guard holds: one per mapped file
    faults: int         # faults absorbed
    retried: int        # SIGBUS deliveries sent back to retry the access (each absorbed fault is seen twice)
    reinstalled: int    # times the handler was put back after something replaced it


class Native:
    def __init__(self, lib: ctypes.CDLL):
        self._lib = lib
        for name, args, result in [
            ("mmfw_page_size", [], ctypes.c_long),
            ("mmfw_map", [_size, _size, _int, ctypes.c_int64, _int, _ptr, _size], _int),
            ("mmfw_unmap", [_size, _size], _int),
            ("mmfw_forget_owner", [_size], None),
            ("mmfw_fault_cause", [_size], _int),
            ("mmfw_sync", [_size, _size, _int], _int),
            ("mmfw_advise", [_size, _size, _int], _int),
            ("mmfw_set_mapping_limit", [ctypes.c_long], _int),
            ("mmfw_lock", [_size, _size, _int], _int),
            ("mmfw_residency", [_size, _size, _size], ctypes.c_long),
            ("mmfw_remap", [_size, _size, _size, _size], _int),
            ("mmfw_guard_stats", [ctypes.POINTER(_STATS)], None),
        ]:
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, result
        self.page_size: int = lib.mmfw_page_size()
        self._owners = itertools.count(1)

    def new_owner(self) -> int:
        """A tag for one host's mappings (never 0, never reused), so that they can be forgotten together."""
        return next(self._owners)

    def map(self, at: int, length: int, fd: int, offset: int, flags: int, epoch: Optional[int], owner: int) -> int:
        """Maps file pages over [at, at+length) and guards them; `epoch`: the i32 a fault bumps.
        -EDQUOT: the process's budget of live mappings is used up."""
        return self._lib.mmfw_map(at, length, fd, offset, flags, epoch, owner)

    def unmap(self, at: int, length: int) -> int:
        """Stops guarding the mapping at `at` and puts zeroed read-write pages back."""
        return self._lib.mmfw_unmap(at, length)

    def forget_owner(self, owner: int) -> None:
        """Stops guarding every mapping of `owner`, whose memory is gone; touches no memory."""
        self._lib.mmfw_forget_owner(owner)

    def fault_cause(self, at: int) -> int:
        """Why the mapping that starts at `at` faulted: 0 not, else the ABI code (ETRUNCATED, ENOSPC, EIO)."""
        return self._lib.mmfw_fault_cause(at)

    def sync(self, at: int, length: int, asynchronous: bool) -> int:
        return self._lib.mmfw_sync(at, length, 1 if asynchronous else 0)

    def advise(self, at: int, length: int, advice: int) -> int:
        return self._lib.mmfw_advise(at, length, advice)

    def lock(self, at: int, length: int, lock: bool) -> int:
        """mlock (or munlock) of [at, at+length); 0 or -errno."""
        return self._lib.mmfw_lock(at, length, 1 if lock else 0)

    def residency(self, at: int, length: int, vec: int) -> int:
        """Resident pages of [at, at+length) (mincore), one byte per page to address vec unless 0; or -errno."""
        return self._lib.mmfw_residency(at, length, vec)

    def remap(self, at: int, length: int, new_at: int, new_length: int) -> int:
        """The mapping at [at, at+length) becomes [new_at, new_at+new_length), in place or moved; 0 or -errno."""
        return self._lib.mmfw_remap(at, length, new_at, new_length)

    def guard_stats(self) -> GuardStats:
        out = _STATS()
        self._lib.mmfw_guard_stats(ctypes.byref(out))
        return GuardStats(*out)


_native: Optional[Native] = None


def load() -> Native:
    """The library, loaded once per process; MmfError EIO with what to do when it is not built,
    EINVAL when MMF_PROCESS_MAPPINGS (the process's budget of live mappings) is not a valid number."""
    global _native
    if _native is None:
        try:
            lib = ctypes.CDLL(str(LIBRARY))
        except OSError as err:
            raise MmfError("EIO", f"the Wasmtime host needs {LIBRARY}: {err}; build it with `npm run build:wasmtime` (needs a C compiler)") from None
        native = Native(lib)
        budget = os.environ.get("MMF_PROCESS_MAPPINGS")
        if budget is not None:
            limit = int(budget) if budget.strip().isdigit() else 0
            if not 1 <= limit <= MAX_PROCESS_MAPPINGS or lib.mmfw_set_mapping_limit(limit) != 0:
                raise MmfError("EINVAL", f"MMF_PROCESS_MAPPINGS must be an integer from 1 to {MAX_PROCESS_MAPPINGS}, got {budget!r}")
        _native = native
    return _native
