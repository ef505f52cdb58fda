"""Wasmtime host for the C line-count guest (guest.c, a WASI command), the twin of host.mjs:
    python examples/c-line-count/host.py FILE [WINDOW_MIB] [START]
It preopens FILE's folder as /data for the `mmf` imports (MmfHost's own preopens, separate from
WASI's: the guest gets no WASI preopen at all) and gives the guest WASI only for its arguments and
its output. Needs the wasmtime package (see README: the Wasmtime host) and `npm run build`."""
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "host" / "wasmtime"))

import wasmtime  # noqa: E402

from mmf_wasmtime import MmfHost, engine_config  # noqa: E402

GUEST = ROOT / "dist" / "examples" / "c-line-count.wasm"


def count_lines(file: str, window_mib: int = 64, start: int = 0, engine: "wasmtime.Engine | None" = None) -> dict:
    """Runs the guest on `file` from byte `start`, mapping `window_mib` at a time:
    {lines (None if it failed), exit_code, stderr, mappings_left, handles_left}."""
    engine = engine or wasmtime.Engine(engine_config())
    store = wasmtime.Store(engine)
    path = Path(file).resolve()
    with tempfile.TemporaryDirectory(prefix="mmf-c-line-count-") as out, MmfHost(store, preopens={"/data": str(path.parent)}) as host:
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["line-count", f"/data/{path.name}", str(window_mib), str(start)]
        wasi.stdout_file = os.path.join(out, "stdout")
        wasi.stderr_file = os.path.join(out, "stderr")
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        host.define(linker)
        instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(GUEST)))
        host.attach(instance)  # before the guest runs: every import but page_size, file_size and close needs the memory
        try:
            instance.exports(store)["_start"](store)
            exit_code = 0
        except wasmtime.ExitTrap as exited:
            exit_code = exited.code
        text = Path(out, "stdout").read_text().strip()
        return {"lines": int(text) if exit_code == 0 else None, "exit_code": exit_code, "stderr": Path(out, "stderr").read_text(),
                "mappings_left": host.mapping_count, "handles_left": host.handle_count}


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: python examples/c-line-count/host.py FILE [WINDOW_MIB] [START]", file=sys.stderr)
        sys.exit(2)
    args = sys.argv[1:]
    result = count_lines(args[0], int(args[1]) if len(args) > 1 else 64, int(args[2]) if len(args) > 2 else 0)
    sys.stderr.write(result["stderr"])
    if result["exit_code"] != 0:
        sys.exit(result["exit_code"])
    print(result["lines"])
