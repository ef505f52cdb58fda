"""wasm-mmf for Wasmtime: a host of the `mmf` import module (docs/abi.md) that maps files
zero-copy into a Wasmtime guest's memory. See "The Wasmtime host" in the README."""
from . import native
from .abi import ABI_VERSION, DEFAULT_MAX_MAPPINGS, MAP_POPULATE, MAP_READ_ONLY, MAP_SHARED
from .errors import CODES, MmfError
from .host import MmfHost
from .memory import define_shared_memory, engine_config
from .native import GuardStats


def guard_stats() -> GuardStats:
    """The SIGBUS guard's figures for the whole process: live mappings and their budget, faults absorbed."""
    return native.load().guard_stats()


__all__ = ["ABI_VERSION", "CODES", "DEFAULT_MAX_MAPPINGS", "GuardStats", "MmfError", "MmfHost", "MAP_SHARED", "MAP_POPULATE", "MAP_READ_ONLY",
           "define_shared_memory", "engine_config", "guard_stats"]
