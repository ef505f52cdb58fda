"""One measurement of the Wasmtime host for `npm run bench` (bench/run.mjs runs it once per round,
in turn with the Node variants, as it does the C scan):
    python bench/wasmtime_host.py ready FILE BYTES      map BYTES of FILE and read the last byte
    python bench/wasmtime_host.py sumU64 FILE BYTES     map BYTES and sum their u64 words (sumV128: with v128)
    python bench/wasmtime_host.py lines FILE WINDOW_MIB the line-count example's guest over FILE
Prints the time in ms of the measured part only. Python's start, compiling and instantiating the
guest and one untimed run (which grows the guest's memory) come first: the Node variants reuse a
guest that earlier rounds already grew."""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host" / "wasmtime"))

import wasmtime  # noqa: E402

from mmf_wasmtime import MmfHost, engine_config  # noqa: E402
from mmf_wasmtime.assemblyscript import AsGuest  # noqa: E402


def guest(wasm: str, preopens=None) -> tuple[MmfHost, AsGuest]:
    engine = wasmtime.Engine(engine_config())
    store = wasmtime.Store(engine)
    host = MmfHost(store, preopens=preopens)
    linker = wasmtime.Linker(engine)
    host.define(linker)
    g = AsGuest(store, linker, wasmtime.Module.from_file(engine, str(ROOT / wasm)))
    host.attach(g.instance)
    return host, g


def main() -> None:
    measure, file, amount = sys.argv[1], Path(sys.argv[2]).resolve(), int(sys.argv[3])
    if measure == "lines":
        host, g = guest("dist/examples/line-count.wasm", {"/data": str(file.parent)})
        path = g.call("__pin", g.new_string(f"/data/{file.name}"))
        g.call("__setArgumentsLength", 2)
        count_lines = g.function("countLines")
        count_lines(path, amount << 20)
        started = time.perf_counter()
        result = count_lines(path, amount << 20)
        ok = result >= 0
    else:
        host, g = guest("dist/bench/guest.wasm")
        handle = host.grant(file, "r")
        map_handle, use = g.function("mapHandle"), g.function("readByte" if measure == "ready" else measure)
        map_handle(handle, 0, 0, amount)
        g.call("closeRegion")
        started = time.perf_counter()
        addr = map_handle(handle, 0, 0, amount) & 0xFFFFFFFF
        result = use(addr + amount - 1) if measure == "ready" else use(addr, amount)
        ok = addr != 0
    elapsed = (time.perf_counter() - started) * 1000
    host.close()
    if not ok:
        raise SystemExit(f"bench/wasmtime_host.py {measure}: the guest failed ({result})")
    print(f"{elapsed:.4f}")


if __name__ == "__main__":
    main()
