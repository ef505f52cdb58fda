"""The one module that talks to build/wasmtime/libmmf_wasmtime.so (host/wasmtime/mmf_wasmtime.c):
the truncation guard and the mapping calls that register with it. When the guard's C interface
changes, that file and this one change; the host above only sees the functions of `Native`.
Every function returns 0 (or a value >= 0) or -errno."""
import ctypes
import os
from pathlib import Path
from typing import Optional

from .errors import MmfError

LIBRARY = Path(os.environ.get("MMF_WASMTIME_LIB") or Path(__file__).resolve().parents[3] / "build" / "wasmtime" / "libmmf_wasmtime.so")

_size, _int, _ptr = ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p


class Native:
    def __init__(self, lib: ctypes.CDLL):
        self._lib = lib
        for name, args, result in [
            ("mmfw_page_size", [], ctypes.c_long),
            ("mmfw_map", [_size, _size, _int, ctypes.c_int64, _int, _ptr], _int),
            ("mmfw_unmap", [_size, _size], _int),
            ("mmfw_forget", [_size], None),
            ("mmfw_truncated", [_size], _int),
            ("mmfw_sync", [_size, _size, _int], _int),
            ("mmfw_advise", [_size, _size, _int], _int),
        ]:
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, result
        self.page_size: int = lib.mmfw_page_size()

    def map(self, at: int, length: int, fd: int, offset: int, flags: int, epoch: Optional[int]) -> int:
        """Maps file pages over [at, at+length) and guards them; `epoch`: the i32 a truncation fault bumps."""
        return self._lib.mmfw_map(at, length, fd, offset, flags, epoch)

    def unmap(self, at: int, length: int) -> int:
        """Stops guarding the mapping at `at` and puts zeroed read-write pages back."""
        return self._lib.mmfw_unmap(at, length)

    def forget(self, at: int) -> None:
        """Stops guarding the mapping at `at` whose memory is gone; touches no memory."""
        self._lib.mmfw_forget(at)

    def truncated(self, at: int) -> int:
        """1 if the mapping that starts at `at` faulted past the end of its file, 0 if not."""
        return self._lib.mmfw_truncated(at)

    def sync(self, at: int, length: int, asynchronous: bool) -> int:
        return self._lib.mmfw_sync(at, length, 1 if asynchronous else 0)

    def advise(self, at: int, length: int, advice: int) -> int:
        return self._lib.mmfw_advise(at, length, advice)


_native: Optional[Native] = None


def load() -> Native:
    """The library, loaded once per process; MmfError EIO with what to do when it is not built."""
    global _native
    if _native is None:
        try:
            lib = ctypes.CDLL(str(LIBRARY))
        except OSError as err:
            raise MmfError("EIO", f"the Wasmtime host needs {LIBRARY}: {err}; build it with `npm run build:wasmtime` (needs a C compiler)") from None
        _native = Native(lib)
    return _native
