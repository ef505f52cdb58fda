"""Shared fixtures of the Wasmtime suites (test/wasmtime/test_*.py) and their runner. test/run.mjs
runs each file in its own process; `run()` runs its tests with unittest and prints the
"N passed, N failed[, N skipped]" line that test/run.mjs adds up."""
import atexit
import contextlib
import ctypes
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "host" / "wasmtime"))

import wasmtime  # noqa: E402

from mmf_wasmtime import MmfHost, define_shared_memory, engine_config  # noqa: E402
from mmf_wasmtime.abi import CODES, IMPORTS, MEM_COPY_ON_WRITE, MEM_READ_ONLY, MEM_READ_PRIVATE, MEM_READWRITE  # noqa: E402, F401
from mmf_wasmtime.assemblyscript import AsGuest  # noqa: E402
from mmf_wasmtime.memory import GuestMemory  # noqa: E402

ENGINE = wasmtime.Engine(engine_config())
RELIABILITY = os.environ.get("MMF_RELIABILITY") == "1"
EINVAL, ERANGE, EACCES, EBADF, ECLOSED, ENOMEM, EIO, ETRUNCATED, ENOENT, ENOSPC = (CODES[name] for name in (
    "EINVAL", "ERANGE", "EACCES", "EBADF", "ECLOSED", "ENOMEM", "EIO", "ETRUNCATED", "ENOENT", "ENOSPC"))
PAGE = os.sysconf("SC_PAGESIZE")
U32 = 0xFFFFFFFF

_modules: dict[str, wasmtime.Module] = {}


def module(path: str) -> wasmtime.Module:
    """A compiled module of the build (compiled once per process)."""
    if path not in _modules:
        _modules[path] = wasmtime.Module.from_file(ENGINE, str(ROOT / path))
    return _modules[path]


class Guest:
    """An AssemblyScript guest of the build with its own store, linker and MmfHost."""

    def __init__(self, wasm: str, preopens: Optional[dict[str, str]] = None, **host_options):
        self.store = wasmtime.Store(ENGINE)
        self.host = MmfHost(self.store, preopens=preopens, **host_options)
        linker = wasmtime.Linker(ENGINE)
        self.host.define(linker)
        self.guest = AsGuest(self.store, linker, module(wasm))
        self.host.attach(self.guest.instance)

    def call(self, name: str, *args):
        return self.guest.call(name, *args)


def raw_guest_wat(shared: bool) -> str:
    """A guest that calls the raw `mmf` imports as any Wasm module can: each import re-exported
    under its own name, plus load8, store8 and grow on its memory (imported shared, or its own)."""
    parts = ["(module"]
    for name, (params, result) in IMPORTS.items():
        types = " ".join("i64" if p == "i64" else "i32" for p in params)
        parts.append(f'  (import "mmf" "{name}" (func ${name} (param {types}) (result {result})))')
    parts.append('  (import "env" "memory" (memory 64 256 shared))' if shared else '  (memory (export "memory") 64 256)')
    for name, (params, result) in IMPORTS.items():
        types = " ".join("i64" if p == "i64" else "i32" for p in params)
        gets = " ".join(f"local.get {i}" for i in range(len(params)))
        parts.append(f'  (func (export "{name}") (param {types}) (result {result}) {gets} call ${name})')
    parts.append('  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)')
    parts.append('  (func (export "store8") (param i32 i32) local.get 0 local.get 1 i32.store8)')
    parts.append('  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))')
    return "\n".join(parts)


class RawGuest:
    """The raw-import guest (raw_guest_wat) on its own MmfHost; `call(name, *args)` goes through Wasm."""

    def __init__(self, shared: bool = False, engine: wasmtime.Engine = ENGINE, **host_options):
        self.store = wasmtime.Store(engine)
        self.host = MmfHost(self.store, **host_options)
        linker = wasmtime.Linker(engine)
        self.host.define(linker)
        self.memory = None
        if shared:
            self.memory = wasmtime.SharedMemory(engine, wasmtime.MemoryType(wasmtime.Limits(64, 256), shared=True))
            define_shared_memory(linker, self.store, "env", "memory", self.memory)
        self.instance = linker.instantiate(self.store, wasmtime.Module(engine, raw_guest_wat(shared)))
        exports = self.instance.exports(self.store)
        self.memory = self.memory or exports["memory"]
        self.host.attach(self.memory)
        self._exports = {name: item for name, item in exports.items() if isinstance(item, wasmtime.Func)}
        self._view = GuestMemory(self.memory, self.store)

    def call(self, name: str, *args: int) -> int:
        return self._exports[name](self.store, *args)

    def memory_size(self) -> int:
        return self._view.length()

    def write(self, data: bytes, at: int) -> None:
        ctypes.memmove(self._view.base() + at, data, len(data))

    def read(self, at: int, length: int) -> bytes:
        return ctypes.string_at(self._view.base() + at, length)


def i32(value: int) -> int:
    """The i32 a Wasm module passes for `value` (two's complement): addresses at or above 2 GiB."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def temp_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="mmf-wasmtime-test-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def pattern(length: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(length)


def write_file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def sparse_file(folder: Path, name: str, size: int, pieces: dict[int, bytes]) -> Path:
    path = folder / name
    with open(path, "wb") as f:
        f.truncate(size)
        for offset, data in pieces.items():
            f.seek(offset)
            f.write(data)
    return path


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def maps_of(path) -> list[str]:
    """Lines of /proc/self/maps that name `path`."""
    with open("/proc/self/maps") as maps:
        return [line for line in maps if str(path) in line]


def areas() -> int:
    """Areas (lines of /proc/self/maps) of this process: each mapping is one, up to vm.max_map_count."""
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def mount_unavailable() -> Optional[str]:
    """Why tmpfs mounts cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root (mount)"
    missing = [tool for tool in ("mount", "umount") if shutil.which(tool) is None]
    return f"{missing[0]} is not installed" if missing else None


@contextlib.contextmanager
def tmpfs(size: int) -> Iterator[Path]:
    """A fresh tmpfs of `size` bytes at a new folder; unmounted (lazily if something still holds it)
    and removed in a finally, also when the test fails."""
    base = tempfile.mkdtemp(prefix="mmf-wasmtime-tmpfs-")
    mounted = False
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", base], check=True, capture_output=True)
        mounted = True
        yield Path(base)
    finally:
        if mounted and subprocess.run(["umount", base], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", base], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def python_run(*args: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """This Python on a script or -c, with the Wasmtime host importable."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "host" / "wasmtime"), **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=full_env, timeout=300)


def run() -> None:
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"\n{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    sys.exit(1 if failed else 0)
