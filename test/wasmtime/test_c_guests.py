"""C guests under the Wasmtime host (issue 12), the twins of test/c-guests.test.mjs: the line-count
example (examples/c-line-count, hosted by its host.py) against `wc -l` on a normal file, from
unaligned offsets, and on a sparse file over 4 GiB; the memory-ownership rule next to wasi-libc's
malloc; the helpers' page math. Without the built guests (no clang that builds for wasm32-wasi)
they are skipped, and the reason printed."""
import importlib.util
import json
import subprocess
import time
import unittest

import harness as h
import wasmtime
from mmf_wasmtime import MAP_SHARED, MmfHost

_spec = importlib.util.spec_from_file_location("c_line_count_host", h.ROOT / "examples" / "c-line-count" / "host.py")
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)
count_lines = _example.count_lines

DIR = h.temp_dir()
MIB = 1 << 20

# The built guests are what these tests need: with them there, clang is not asked (a Node start-up
# and a probe compile); without them, scripts/wasi-clang.mjs says why they are missing (if clang
# works, the tests run and fail: the build should have made them).
if all((h.ROOT / f).exists() for f in ("dist/examples/c-line-count.wasm", "dist/test-guests/heap.wasm")):
    SKIP = None
else:
    _probe = subprocess.run(["node", str(h.ROOT / "scripts" / "wasi-clang.mjs")], capture_output=True, text=True)
    SKIP = json.loads(_probe.stdout).get("skip") if _probe.returncode == 0 else f"scripts/wasi-clang.mjs failed: {_probe.stderr.strip()}"
if SKIP:
    print(f"  skipped: {SKIP}")


def wc_lines(path, starts=(0,)) -> list[int]:
    """`wc -l` of the file from each byte of `starts` (0: `wc -l` of the whole file), in one shell."""
    script = 'f="$1"; shift; for s; do if [ "$s" = 1 ]; then wc -l < "$f"; else tail -c +"$s" "$f" | wc -l; fi; done'
    run = subprocess.run(["sh", "-c", script, "sh", str(path), *(str(start + 1) for start in starts)], capture_output=True, text=True, check=True)
    return [int(n) for n in run.stdout.split()]


def bytes_differing(a: bytes, b: bytes) -> int:
    """How many bytes of two equally long byte strings differ (XOR: a zero byte where they agree)."""
    return len(a) - (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little").count(0)


def huge_file():
    """A sparse file a little over 4 GiB with newlines on both sides of 2^32: (size, path)."""
    size = 4 * 2**30 + 3 * 4096 + 17
    return size, h.sparse_file(DIR, "huge.txt", size, {at: b"\n" for at in (0, 123, 2**30, 2**32 - 1, 2**32, 2**32 + 4095, size - 1)})


@unittest.skipIf(SKIP, SKIP)
class LineCount(unittest.TestCase):
    def test_c_line_count_agrees_with_wc_l_on_a_multi_window_file_from_byte_0_and_unaligned_offsets(self):
        ys = ["y" * n for n in range(61)]
        text = "\n".join(f"line {i} {ys[i % 61]}" for i in range(120_000)) + "\npartial last line"
        path = h.write_file(DIR, "lines.txt", text.encode())
        starts = (0, 1, 4095, 4097, 1_234_567, len(text) - 3, len(text) + 10)
        for start, wc in zip(starts, wc_lines(path, starts), strict=True):
            result = count_lines(str(path), 1, start, engine=h.ENGINE)
            self.assertEqual(result["exit_code"], 0, result["stderr"])
            self.assertEqual(result["lines"], wc, f"from byte {start}")
            self.assertEqual((result["mappings_left"], result["handles_left"]), (0, 0))

    def test_c_line_count_from_8_kib_below_4_gib_agrees_with_wc_l_windows_across_the_boundary(self):
        size, path = huge_file()
        start = 2**32 - 8192
        result = count_lines(str(path), 1, start, engine=h.ENGINE)
        self.assertEqual(result["exit_code"], 0, result["stderr"])
        self.assertEqual([result["lines"]], wc_lines(path, [start]))
        self.assertEqual(result["lines"], 4)

    @unittest.skipUnless(h.RELIABILITY, "MMF_RELIABILITY=1 runs it (a scan of 4 GiB); npm test counts from just below 4 GiB instead")
    def test_c_line_count_agrees_with_wc_l_on_a_sparse_file_over_4_gib(self):
        size, path = huge_file()
        started = time.perf_counter()
        result = count_lines(str(path), 256, engine=h.ENGINE)
        self.assertEqual(result["exit_code"], 0, result["stderr"])
        self.assertEqual([result["lines"]], wc_lines(path))
        print(f"  {size} bytes (sparse) in 256 MiB windows: {result['lines']} lines, as wc -l, in {time.perf_counter() - started:.1f} s")

    def test_c_line_count_reports_what_the_host_answered_a_missing_file_is_enoent(self):
        result = count_lines(str(DIR / "missing.txt"), 1, engine=h.ENGINE)
        self.assertEqual(result["exit_code"], 1)
        self.assertIn("open /data/missing.txt: ENOENT", result["stderr"])


class HeapGuest:
    """test/guests/heap.c (a reactor) on its own MmfHost."""

    def __init__(self):
        self.store = wasmtime.Store(h.ENGINE)
        self.host = MmfHost(self.store)
        linker = wasmtime.Linker(h.ENGINE)
        self.host.define(linker)
        self.instance = linker.instantiate(self.store, h.module("dist/test-guests/heap.wasm"))
        self.host.attach(self.instance)
        exports = self.instance.exports(self.store)
        self.memory = exports["memory"]
        exports["_initialize"](self.store)
        self._exports = exports

    def __getattr__(self, name):
        func = self._exports[name]
        return lambda *args: func(self.store, *args)

    def read(self, at: int, length: int) -> bytes:
        return bytes(self.memory.read(self.store, at, at + length))


@unittest.skipIf(SKIP, SKIP)
class Helpers(unittest.TestCase):
    def test_memory_ownership_malloc_hands_out_pages_grown_before_it_started_but_not_mmf_reserves(self):
        length = 4 * MIB
        data = h.pattern(length, 12)
        results = {}
        for way in ("grow_pages", "reserve"):
            path = h.write_file(DIR, f"heap-{way}.bin", data)
            g = HeapGuest()
            handle = g.host.grant(path, "r+")
            addr = (g.grow_pages(length // 65536) if way == "grow_pages" else g.reserve(length)) & h.U32
            self.assertGreater(addr, 0)
            self.assertEqual(g.map_shared(handle, addr, length), 0)
            p = g.malloc_fill(3 * MIB, 0x5A) & h.U32
            self.assertGreater(p, 0)
            self.assertEqual(g.unmap(addr, length), 0)
            g.host.close()
            now = path.read_bytes()
            results[way] = (p < addr + length and p + 3 * MIB > addr, bytes_differing(now, data))
        print(f"  a 3 MiB malloc after growing 4 MiB and mapping a file there: {results['grow_pages'][1]} bytes of the file overwritten; "
              f"after mmf_reserve: {results['reserve'][1]}")
        self.assertTrue(results["grow_pages"][0], "malloc placed its block over the pages grown before it started")
        self.assertGreater(results["grow_pages"][1], 2 * MIB, "and the stores reached the mapped file")
        self.assertEqual(results["reserve"], (False, 0), "malloc keeps off mmf_reserve's pages; the file is intact")

    def test_a_region_at_any_byte_offset_maps_the_page_below_it_and_unmap_sync_take_the_whole_mapping(self):
        data = h.pattern(5 * 4096 + 333, 13)
        path = h.write_file(DIR, "helpers.bin", data)
        g = HeapGuest()
        ps = g.host.page_size
        rw = g.host.grant(path, "r+")
        window = g.reserve(8 * ps) & h.U32
        for offset, size in ((0, 1), (1, ps), (ps - 1, 2), (ps, 3 * ps), (12345, len(data) - 12345), (len(data) - 1, 1)):
            need = g.window_bytes(offset, size)
            self.assertEqual(need, -(-((offset % ps) + size) // ps) * ps)
            self.assertEqual(g.region_map(rw, offset, size, 0, window, need), 0)
            self.assertEqual((g.region_map_addr() & h.U32, g.region_map_len()), (window, need))
            at = g.region_data() & h.U32
            self.assertEqual(at, window + offset % ps)
            self.assertEqual(g.read(at, size), data[offset:offset + size])
            self.assertEqual(g.region_fault_cause(), 0)
            self.assertEqual(g.region_unmap(), 0)
            self.assertEqual(g.read(window, need), bytes(need), "zeroed memory is back")
        self.assertEqual(g.region_map(rw, 1, ps, 0, window, ps), -h.ERANGE, "a window too small")
        self.assertEqual(g.region_map(rw, 0, 0, 0, window, ps), -h.EINVAL, "size 0")
        self.assertEqual(g.region_map(rw, len(data) + ps, 1, 0, window, ps), -h.ERANGE, "past the end of the file")
        self.assertEqual(g.region_map(rw, 4099, 10, MAP_SHARED, window, 2 * ps), 0)
        g.memory.write(g.store, b"\xee", (g.region_data() & h.U32) + 2)
        self.assertEqual(g.region_sync(0), 0)
        self.assertEqual(path.read_bytes()[4101], 0xEE)
        self.assertEqual(g.region_unmap(), 0)
        self.assertEqual(g.host.mapping_count, 0)
        g.host.close()


if __name__ == "__main__":
    h.run()
