"""The project's AssemblyScript guests under the Wasmtime host, with the expectations of
test/guest.test.mjs and test/truncation.test.mjs under Node: the API guest (every mode, unaligned
offsets, bounds, path escapes, grants, truncation, collection) and the line-count example."""
import os
import subprocess
import unittest

import harness as h
import wasmtime
from mmf_wasmtime import MmfError, MmfHost

DIR = h.temp_dir()
DATA = DIR / "data"
(DATA / "sub").mkdir(parents=True)
OUTSIDE = h.write_file(DIR, "secret.bin", h.pattern(5000, 9))
BYTES = h.pattern(100_000, 4)
FILE = h.write_file(DATA, "file.bin", BYTES)
h.write_file(DATA / "sub", "inner.bin", BYTES)
os.symlink(OUTSIDE, DATA / "link-out.bin")
os.symlink(DIR, DATA / "dir-out")
os.symlink("file.bin", DATA / "link-in.bin")
os.symlink("/proc/self/mem", DATA / "mem")
PREOPENS = {"/data": str(DATA)}
API = "dist/test-guests/api.wasm"
LINE_COUNT = h.ROOT / "examples" / "line-count" / "host.py"


def api(preopens=None) -> h.Guest:
    return h.Guest(API, preopens)


class LineCount(unittest.TestCase):
    def count(self, path, window_mib):
        import importlib.util
        spec = importlib.util.spec_from_file_location("line_count_host", LINE_COUNT)
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)
        return example.count_lines(str(path), window_mib, h.ENGINE)

    def test_agrees_with_python_on_a_multi_window_file(self):
        text = "".join(f"line {i} {'x' * (i % 50)}\n" for i in range(300_000))
        path = h.write_file(DIR, "lines.txt", text.encode())
        self.assertEqual(self.count(path, 1), {"lines": text.count("\n"), "mappings_left": 0, "handles_left": 0})

    @unittest.skipUnless(h.RELIABILITY, "MMF_RELIABILITY=1 runs it (it reads 4 GiB twice); a guest maps one window past 4 GiB instead")
    def test_the_command_counts_a_sparse_file_over_4_gib_as_wc_does(self):
        size = 4 * 2**30 + 3 * 4096
        newlines = [0, 123, 2**30, 3 * 2**30 + 7, 4 * 2**30 + 5, size - 1]
        path = h.sparse_file(DIR, "huge.txt", size, {at: b"\n" for at in newlines})
        wc = subprocess.Popen(["wc", "-l", str(path)], stdout=subprocess.PIPE, text=True)  # reads 4 GiB: runs meanwhile
        run = h.python_run(str(LINE_COUNT), str(path), "512")
        self.assertEqual(run.returncode, 0, run.stderr)
        wc_lines = int(wc.communicate()[0].split()[0])
        self.assertEqual(wc_lines, len(newlines))
        self.assertTrue(run.stdout.startswith(f"{wc_lines} lines in {path}"), run.stdout)


class Regions(unittest.TestCase):
    def setUp(self):
        FILE.write_bytes(BYTES)

    def test_every_mode_unaligned_offsets_writers_bounds_and_errors_as_values(self):
        g = api(PREOPENS)
        path = "/data/file.bin"
        for mode in (h.MEM_READ_ONLY, h.MEM_READ_PRIVATE, h.MEM_READWRITE, h.MEM_COPY_ON_WRITE):
            for offset, at in ((0, 0), (67746, 0), (67746, 1000), (4095, 1)):
                self.assertEqual(g.call("readByte", path, mode, offset, 0, at), BYTES[offset + at], f"mode {mode} {offset}+{at}")
        self.assertEqual(g.call("readByte", path, h.MEM_READ_ONLY, 100, 10, 10), -1000, "past the end reads 0 bytes")
        self.assertEqual(g.call("readByte", path, h.MEM_READ_ONLY, 0, 100_001, 0), -h.ERANGE)
        self.assertEqual(g.call("readByte", path, h.MEM_READ_ONLY, 100_001, 0, 0), -h.ERANGE)
        self.assertEqual(g.call("readByte", path, 7, 0, 0, 0), -h.EINVAL)
        self.assertEqual(g.call("readByte", path, h.MEM_READ_ONLY, -1, 0, 0), -h.EINVAL)
        self.assertEqual(g.call("readByte", path, h.MEM_READ_ONLY, 0, 0, -1), -h.EINVAL)

        self.assertEqual(g.call("writeByte", path, h.MEM_READWRITE, 5000, 7, 0xAB), 1)
        self.assertEqual(FILE.read_bytes()[5007], 0xAB)
        self.assertEqual(g.call("writeByte", path, h.MEM_COPY_ON_WRITE, 5000, 8, 0xCD), 1)
        self.assertEqual(FILE.read_bytes()[5008], BYTES[5008], "copy-on-write stays private")
        self.assertEqual(g.call("writeByte", path, h.MEM_READ_ONLY, 0, 0, 1), -h.EACCES)
        self.assertEqual(g.call("writeByte", path, h.MEM_READ_PRIVATE, 0, 0, 1), -h.EACCES)

        self.assertEqual(g.call("lifecycle", path), 0)
        self.assertNotEqual(g.call("errorNameOf", 2), 0)
        self.assertEqual((g.host.mapping_count, g.host.handle_count), (0, 0))
        g.host.close()

    def test_a_stray_store_into_a_read_only_region_traps_and_the_guest_goes_on(self):
        g = api(PREOPENS)
        for mode in (h.MEM_READ_ONLY, h.MEM_READ_PRIVATE):
            index = g.call("holdPath", "/data/file.bin", "r+", mode)
            self.assertGreaterEqual(index, 0)
            with self.assertRaises(wasmtime.Trap) as trapped:
                g.call("pokeHeld", index, 10, 0x33)  # a raw store, bypassing writers
            self.assertEqual(trapped.exception.trap_code, wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS)
            self.assertEqual(g.call("heldByte", index, 10), BYTES[10])
        cow = g.call("holdPath", "/data/file.bin", "r+", h.MEM_COPY_ON_WRITE)
        g.call("pokeHeld", cow, 10, 0x44)
        self.assertEqual(g.call("heldByte", cow, 10), 0x44, "a copy-on-write region takes raw stores")
        self.assertEqual(FILE.read_bytes(), BYTES, "and nothing reached the file")
        g.call("closeHeld")
        self.assertEqual(g.host.mapping_count, 0)
        g.host.close()

    def test_two_guests_mapping_one_file_readwrite_see_each_others_writes_without_a_flush(self):
        path = h.write_file(DATA, "shared.bin", bytes(8192))
        a, b = api(PREOPENS), api(PREOPENS)
        ia = a.call("holdPath", "/data/shared.bin", "r+", h.MEM_READWRITE)
        ib = b.call("holdPath", "/data/shared.bin", "r+", h.MEM_READWRITE)
        self.assertTrue(ia >= 0 and ib >= 0)
        self.assertEqual(a.call("writeHeld", ia, 4100, 0x5A), 1)
        self.assertEqual(b.call("heldByte", ib, 4100), 0x5A)
        b.call("pokeHeld", ib, 7, 0x6B)
        self.assertEqual(a.call("heldByte", ia, 7), 0x6B)
        self.assertEqual(path.read_bytes()[7], 0x6B)
        a.host.close()  # unmaps what a still holds
        b.host.close()
        self.assertEqual(h.maps_of(path), [])


class Paths(unittest.TestCase):
    def test_paths_resolve_inside_a_preopen_only(self):
        g = api(PREOPENS)
        for path, want in [
            ("/data/file.bin", 0), ("/data/sub/inner.bin", 0),
            ("/data/sub/../file.bin", h.EACCES), ("/data/link-in.bin", h.EACCES),  # also what would stay inside
            ("/data/../secret.bin", h.EACCES), ("/data/sub/../../secret.bin", h.EACCES), ("/data/link-out.bin", h.EACCES),
            ("/data/dir-out/secret.bin", h.EACCES), ("/data/mem", h.EACCES),
            (str(OUTSIDE), h.ENOENT), ("/proc/self/mem", h.ENOENT), ("/datafile.bin", h.ENOENT), ("data/file.bin", h.ENOENT),
            ("/data/missing.bin", h.ENOENT), ("/data", h.EINVAL), ("/data/sub", h.EINVAL),
        ]:
            self.assertEqual(g.call("openError", path, "r"), want, path)
        self.assertEqual(g.call("openError", "/data/file.bin", "rw"), h.EINVAL)
        self.assertEqual(g.host.handle_count, 0)
        g.host.close()


class Grants(unittest.TestCase):
    def test_a_window_of_a_sparse_file_past_4_gib_i64_offsets_reach_the_host_whole(self):
        size = 4 * 2**30 + 3 * 4096
        path = h.sparse_file(DIR, "past-4g.bin", size, {4 * 2**30 + 5: b"\x4b", 5: b"\x4a"})
        g = api()
        handle = g.host.grant(path, "r")
        high = g.call("holdHandle", handle, h.MEM_READ_ONLY, 4 * 2**30, 8192)
        self.assertGreaterEqual(high, 0)
        self.assertEqual(g.call("heldByte", high, 5), 0x4B, "the byte at 4 GiB + 5, not the one at 5")
        low = g.call("holdHandle", handle, h.MEM_READ_ONLY, 0, 8192)
        self.assertEqual(g.call("heldByte", low, 5), 0x4A)
        self.assertEqual(g.call("holdHandle", handle, h.MEM_READ_ONLY, size - 100, 101), -h.ERANGE, "one byte past the end")
        g.call("closeHeld")
        g.host.close()
        os.unlink(path)

    def test_a_read_only_grant_never_maps_writable_and_handles_are_per_guest(self):
        FILE.write_bytes(BYTES)
        a, b = api(), api()
        ro = a.host.grant(FILE, "r")
        self.assertEqual(a.call("holdHandle", ro, h.MEM_READWRITE, 0, 0), -h.EACCES)
        cow = a.call("holdHandle", ro, h.MEM_COPY_ON_WRITE, 0, 0)
        self.assertGreaterEqual(cow, 0)
        self.assertEqual(a.call("writeHeld", cow, 10, 0x11), 1)
        a.call("pokeHeld", cow, 11, 0x22)
        self.assertEqual(a.call("heldByte", cow, 10), 0x11)
        self.assertEqual(FILE.read_bytes(), BYTES, "copy-on-write on a read-only grant stays private")
        read_only = a.call("holdHandle", ro, h.MEM_READ_ONLY, 0, 0)
        with self.assertRaises(wasmtime.Trap):
            a.call("pokeHeld", read_only, 0, 0x33)  # under Node this store makes a private copy; here it traps
        self.assertEqual(FILE.read_bytes(), BYTES)
        self.assertEqual(b.call("holdHandle", ro, h.MEM_READ_ONLY, 0, 0), -h.EBADF, "a's handle means nothing to b")
        self.assertEqual(b.call("holdHandle", 12345, h.MEM_READ_ONLY, 0, 0), -h.EBADF)
        with self.assertRaises(MmfError) as err:
            a.host.grant(DIR / "nope.bin")
        self.assertEqual(err.exception.code, "ENOENT")
        a.call("closeHeld")
        a.host.close()
        b.host.close()


class Lifetime(unittest.TestCase):
    def test_regions_the_collector_frees_are_unmapped_and_close_releases_the_rest(self):
        fds = h.open_fds()
        g = api(PREOPENS)
        self.assertEqual(g.call("leakRegions", "/data/file.bin", 200), 0)
        self.assertGreater(g.host.mapping_count, 0)
        g.guest.collect()
        self.assertEqual(g.host.mapping_count, 0, "__finalize unmapped every dropped region")
        self.assertEqual(g.host.handle_count, 0, "and closed the dropped file")
        self.assertGreaterEqual(g.call("holdPath", "/data/file.bin", "r", h.MEM_READ_ONLY), 0)
        self.assertEqual(g.host.mapping_count, 1)
        g.host.close()
        self.assertEqual(h.open_fds(), fds)
        self.assertEqual(h.maps_of(FILE), [])

    def test_truncation_under_a_wasm_load_no_crash_then_the_region_reports_etruncated(self):
        path = h.write_file(DIR, "guest.bin", bytes([7]) * (8 * h.PAGE))
        g = api()
        handle = g.host.grant(path, "r")
        index = g.call("holdHandle", handle, h.MEM_READ_ONLY, 0, 0)
        self.assertGreaterEqual(index, 0)
        self.assertEqual(g.call("heldByte", index, 6 * h.PAGE), 7)
        os.truncate(path, h.PAGE)
        self.assertEqual(g.call("heldByte", index, 6 * h.PAGE), 0, "a Wasm load past the new end reads zero")
        self.assertEqual(g.call("checkHeld", index), -h.ETRUNCATED)
        self.assertEqual(g.call("readHeld", index, 0), -h.ETRUNCATED)
        g.call("closeHeld")
        self.assertEqual(g.host.mapping_count, 0)
        g.host.close()

    def test_mmfhost_refuses_bad_preopens(self):
        store = wasmtime.Store(h.ENGINE)
        for preopens, code in [({"data": str(DATA)}, "EINVAL"), ({"/x": str(DIR / "missing")}, "ENOENT")]:
            with self.assertRaises(MmfError) as err:
                MmfHost(store, preopens=preopens)
            self.assertEqual(err.exception.code, code)


if __name__ == "__main__":
    h.run()
