"""Calling an AssemblyScript guest from Python: what @assemblyscript/loader does for JavaScript
(strings passed as pinned guest strings, `env.abort` reported as an exception), for guests
built with the incremental runtime and `exportRuntime` (scripts/guests.asconfig.json)."""
import ctypes
from typing import Any, Callable

import wasmtime

STRING_CLASS_ID = 2  # AssemblyScript's runtime id of String


class GuestAbort(Exception):
    """The guest called `abort` (an assertion or a runtime error inside it)."""


class AsGuest:
    """An instance of an AssemblyScript module: `call(name, *args)` with str arguments allowed."""

    def __init__(self, store: wasmtime.Store, linker: wasmtime.Linker, module: wasmtime.Module):
        self._store = store
        i32 = wasmtime.ValType.i32()
        linker.define_func("env", "abort", wasmtime.FuncType([i32, i32, i32, i32], []), self._abort)
        self.instance = linker.instantiate(store, module)
        exports = self.instance.exports(store)
        self.memory: wasmtime.Memory = exports["memory"]
        self._functions = {name: item for name, item in exports.items() if isinstance(item, wasmtime.Func)}

    def call(self, name: str, *args: Any) -> Any:
        """Calls the export `name`; str arguments become guest strings, pinned for the call."""
        pinned = []
        try:
            converted = []
            for arg in args:
                if isinstance(arg, str):
                    arg = self._raw("__pin", self.new_string(arg))
                    pinned.append(arg)
                converted.append(arg)
            if "__setArgumentsLength" in self._functions:  # functions with optional parameters read it
                self._raw("__setArgumentsLength", len(converted))
            return self._raw(name, *converted)
        finally:
            for ptr in pinned:
                self._raw("__unpin", ptr)

    def function(self, name: str) -> Callable[..., Any]:
        """The export `name` as a plain callable of numbers (no conversion, no pins): for hot loops and timings."""
        func, store = self._functions[name], self._store
        return lambda *args: func(store, *args)

    def collect(self) -> None:
        """A full collection of the guest's heap (its finalizers unmap dropped regions)."""
        self._raw("__collect")

    def new_string(self, text: str) -> int:
        """A new (unpinned) guest string holding `text`."""
        data = text.encode("utf-16-le")
        ptr = self._raw("__new", len(data), STRING_CLASS_ID) & 0xFFFFFFFF
        self.memory.write(self._store, data, ptr)
        return ptr

    def read_string(self, ptr: int) -> str:
        """The guest string at `ptr` (its byte length is the u32 before it)."""
        if ptr == 0:
            return ""
        base = ctypes.cast(self.memory.data_ptr(self._store), ctypes.c_void_p).value or 0
        size = ctypes.c_uint32.from_address(base + ptr - 4).value
        return ctypes.string_at(base + ptr, size).decode("utf-16-le", errors="replace")

    def _raw(self, name: str, *args: Any) -> Any:
        return self._functions[name](self._store, *args)

    def _abort(self, message: int, file: int, line: int, column: int) -> None:
        raise GuestAbort(f"{self.read_string(message & 0xFFFFFFFF)} at {self.read_string(file & 0xFFFFFFFF)}:{line}:{column}")
