"""The guest's memory as the host sees it (base address, byte length), the Wasmtime config under
which it never moves, and a way to import a shared memory that wasmtime-py itself lacks."""
import ctypes
from typing import Union

import wasmtime
from wasmtime import _ffi as ffi

from .errors import MmfError

GuestMemoryLike = Union[wasmtime.Memory, wasmtime.SharedMemory]


def engine_config(config: "wasmtime.Config | None" = None) -> wasmtime.Config:
    """A Wasmtime config under which a 32-bit memory never moves, which mapping into it needs.

    The host maps file pages with mmap(MAP_FIXED) inside the memory's reservation: 4 GiB reserved
    up front (Wasmtime's default on 64-bit, made explicit), and a memory that would need more is
    refused growth rather than moved. The host still checks the base at every call (EIO if it moved).
    Shared memories and threads are on, for guests compiled with them."""
    config = config or wasmtime.Config()
    config.memory_reservation = 1 << 32
    config.memory_may_move = False
    config.wasm_threads = True
    config.shared_memory = True
    return config


def store_id(item: object) -> "int | None":
    """The C API's store_id of a store-bound object (an Instance, a Memory), or None.

    Wasmtime aborts the process when an object is used with another store ("object used with the
    wrong store"), so the host compares ids before it touches a memory it is handed."""
    raw = getattr(item, "_instance", None) or getattr(item, "_memory", None) or getattr(item, "_global", None)
    raw = getattr(raw, "_anon_1", raw)
    return getattr(raw, "store_id", None)


def store_id_of(store: wasmtime.Store) -> "int | None":
    """The store_id of `store`, read from an immutable global created in it for the purpose."""
    return store_id(wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), False), wasmtime.Val.i32(0)))


class GuestMemory:
    """An unshared memory of a store, or a shared memory: its base address and byte length now."""

    def __init__(self, memory: GuestMemoryLike, store: wasmtime.Store):
        if isinstance(memory, wasmtime.SharedMemory):
            self.base = lambda: ctypes.cast(memory.data_ptr(), ctypes.c_void_p).value or 0
            self.length = memory.data_len
        elif isinstance(memory, wasmtime.Memory):
            self.base = lambda: ctypes.cast(memory.data_ptr(store), ctypes.c_void_p).value or 0
            self.length = lambda: memory.data_len(store)
        else:
            raise MmfError("EINVAL", f"MmfHost.attach: not a Wasmtime memory: {memory!r}")
        self.memory = memory


def define_shared_memory(linker: wasmtime.Linker, store: wasmtime.Store, module: str, name: str, memory: wasmtime.SharedMemory) -> None:
    """linker.define for a SharedMemory, which wasmtime-py 49 cannot do itself.

    Its SharedMemory hands the C API a pointer to a pointer (bytecodealliance/wasmtime-py#318:
    "incompatible types, LP_LP_wasmtime_sharedmemory"), so neither Linker.define nor Instance
    can import a shared memory. This builds the extern the C API expects and defines it directly."""
    if not isinstance(memory, wasmtime.SharedMemory):
        raise MmfError("EINVAL", "define_shared_memory: not a SharedMemory")
    extern = ffi.wasmtime_extern_t(ffi.WASMTIME_EXTERN_SHAREDMEMORY, ffi.wasmtime_extern_union(sharedmemory=memory.ptr()))
    module_bytes, name_bytes = module.encode(), name.encode()
    error = ffi.wasmtime_linker_define(
        linker.ptr(), store._context(), ctypes.create_string_buffer(module_bytes), len(module_bytes),
        ctypes.create_string_buffer(name_bytes), len(name_bytes), ctypes.byref(extern))
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
