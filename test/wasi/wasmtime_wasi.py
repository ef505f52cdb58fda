"""Runs the WASI suite (dist/wasi/mmf-tests.wasm) under Wasmtime's own WASI preview1 (the
implementation the `wasmtime` CLI uses), through wasmtime-py, with FIXTURES preopened as /fixtures.
    python test/wasi/wasmtime_wasi.py FIXTURES WASM
Exits with the suite's exit code; the suite prints its own "N passed, N failed" line."""
import sys
from importlib.metadata import version

import wasmtime


def main() -> int:
    fixtures, wasm = sys.argv[1:3]
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["mmf-tests"]
    wasi.preopen_dir(fixtures, "/fixtures")
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, wasm))
    print(f"wasmtime-py {version('wasmtime')}: WASI preview1, {fixtures} preopened as /fixtures", flush=True)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exit_trap:
        return exit_trap.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
