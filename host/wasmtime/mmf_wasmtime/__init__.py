"""wasm-mmf for Wasmtime: a host of the `mmf` import module (docs/abi.md) that maps files
zero-copy into a Wasmtime guest's memory. See "The Wasmtime host" in the README."""
from .errors import CODES, MmfError
from .host import MAP_POPULATE, MAP_READ_ONLY, MAP_SHARED, MmfHost
from .memory import define_shared_memory, engine_config

__all__ = ["CODES", "MmfError", "MmfHost", "MAP_SHARED", "MAP_POPULATE", "MAP_READ_ONLY", "define_shared_memory", "engine_config"]
