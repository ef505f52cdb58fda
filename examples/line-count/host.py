"""Wasmtime host for the line-count guest, the twin of host.mjs:
    python examples/line-count/host.py FILE [WINDOW_MIB]
It preopens FILE's folder as /data, so the guest can reach that folder and nothing else. Needs the
wasmtime package (see README: the Wasmtime host) and `npm run build` (the guest and the host's library)."""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "host" / "wasmtime"))

import wasmtime  # noqa: E402

from mmf_wasmtime import MmfHost, engine_config  # noqa: E402
from mmf_wasmtime.assemblyscript import AsGuest  # noqa: E402

GUEST = ROOT / "dist" / "examples" / "line-count.wasm"


def count_lines(file: str, window_mib: int = 256, engine: "wasmtime.Engine | None" = None) -> dict:
    """Counts the lines of `file` in the guest, mapping `window_mib` at a time: {lines, mappings_left, handles_left}."""
    engine = engine or wasmtime.Engine(engine_config())
    store = wasmtime.Store(engine)
    path = Path(file).resolve()
    with MmfHost(store, preopens={"/data": str(path.parent)}) as host:
        linker = wasmtime.Linker(engine)
        host.define(linker)
        guest = AsGuest(store, linker, wasmtime.Module.from_file(engine, str(GUEST)))
        host.attach(guest.instance)
        lines = guest.call("countLines", f"/data/{path.name}", window_mib << 20)
        if lines < 0:
            raise RuntimeError(f"the guest failed with error code {-lines}")
        guest.collect()
        return {"lines": lines, "mappings_left": host.mapping_count, "handles_left": host.handle_count}


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: python examples/line-count/host.py FILE [WINDOW_MIB]", file=sys.stderr)
        sys.exit(2)
    started = time.perf_counter()
    result = count_lines(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 256)
    print(f"{result['lines']} lines in {sys.argv[1]} ({time.perf_counter() - started:.2f} s)")
