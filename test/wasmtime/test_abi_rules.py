"""docs/abi.md rule by rule under the Wasmtime host (issue 12), the twin of test/abi-rules.test.mjs:
through a guest that calls the raw imports, the same answers as the Node host's for the same calls:
the attach contract, guest paths, each rule of "What the host guarantees", and the edge cases."""
import errno
import os
import socket
import unittest

import harness as h
import wasmtime
from mmf_wasmtime import MmfError, MmfHost, paths
from mmf_wasmtime.errors import code_from_errno
from mmf_wasmtime.abi import (ABI_VERSION, ADVICE_COUNT, ADVICE_HUGEPAGE, ADVICE_NORMAL, ADVICE_RANDOM, ADVICE_SEQUENTIAL, ADVICE_WILLNEED,
                              MAP_FLAGS_ALL, MAP_READ_ONLY, MAP_SHARED, OPEN_READ, OPEN_READ_WRITE)

DIR = h.temp_dir()
DATA = DIR / "data"
(DATA / "sub").mkdir(parents=True)
BYTES = h.pattern(6 * 4096 + 100, 21)
FILE = h.write_file(DATA, "x.bin", BYTES)
h.write_file(DATA / "sub", "y.bin", BYTES)
h.write_file(DIR, "dataro.bin", BYTES)  # next to the preopened folder, not in it
h.write_file(DIR, "secret.bin", h.pattern(100, 1))
os.symlink("x.bin", DATA / "link-in.bin")
os.symlink("../secret.bin", DATA / "link-out.bin")
os.mkfifo(DATA / "fifo")
SOCKET = socket.socket(socket.AF_UNIX)
SOCKET.bind(str(DATA / "socket"))
PREOPENS = {"/data": str(DATA)}
PS = h.PAGE


def open_at(g: "h.RawGuest", path, mode: int = OPEN_READ) -> int:
    """Writes `path` (str, or raw bytes) into the guest's memory at 1024 and calls open on it."""
    raw = path.encode() if isinstance(path, str) else path
    g.write(raw, 1024)
    return g.call("open", 1024, len(raw), mode)


class Rules(unittest.TestCase):
    def test_the_attach_contract_before_attach_only_page_size_file_size_and_close_answer_no_maximum_needed(self):
        self.assertGreaterEqual(ABI_VERSION, 2)
        store = wasmtime.Store(h.ENGINE)
        host = MmfHost(store, preopens=PREOPENS)
        imp = host.imports
        ps = imp["page_size"]()
        self.assertTrue(4096 <= ps <= 65536 and 65536 % ps == 0, "a 64 KiB Wasm page holds whole host pages")
        handle = host.grant(FILE, "r+")
        self.assertEqual(imp["file_size"](handle), len(BYTES))
        for name, args in [("map", (handle, 0, 0, ps, 0)), ("unmap", (0, ps)), ("sync", (0, ps, 0)), ("advise", (0, ps, 0)), ("watch", (0,)),
                           ("open", (0, 4, 0)), ("fault_cause", (0, ps)), ("truncated", (0, ps))]:
            self.assertEqual(imp[name](*args), -h.EINVAL, f"{name} before attach")
        self.assertEqual(imp["close"](handle), 0, "close before attach")
        with self.assertRaises(MmfError) as refused:
            host.attach(wasmtime.Instance(store, wasmtime.Module(h.ENGINE, "(module)"), []))
        self.assertEqual(refused.exception.code, "EINVAL")
        instance = wasmtime.Instance(store, wasmtime.Module(h.ENGINE, '(module (memory (export "memory") 1))'), [])
        host.attach(instance)
        memory = instance.exports(store)["memory"]
        again = host.grant(FILE, "r")
        memory.grow(store, 3)
        self.assertEqual(imp["map"](again, 0, 65536, 2 * ps, 0), 0)
        memory.grow(store, 16384)  # 1 GiB more: the memory must not move under the mapping
        self.assertEqual(bytes(memory.read(store, 65536, 65536 + 2 * ps)), BYTES[:2 * ps], "the mapping survives a grow")
        self.assertEqual(imp["map"](again, 0, 16384 * 65536, ps, 0), 0, "and maps into grown pages")
        host.close()

    def test_guest_paths_the_exact_forms_and_what_each_odd_one_gives(self):
        g = h.RawGuest(preopens=PREOPENS)
        cases = [
            ("/data/x.bin", "handle"), ("/data//x.bin", "handle"), ("/data/./x.bin", "handle"), ("/data/sub/y.bin", "handle"), ("/data/sub//./y.bin", "handle"),
            ("data/x.bin", h.ENOENT), ("x.bin", h.ENOENT), (".", h.ENOENT), ("//", h.ENOENT), ("/dataro.bin", h.ENOENT), ("/data/missing.bin", h.ENOENT),
            ("/proc/self/mem", h.ENOENT), ("/data/x.bin/y", h.ENOENT),
            ("", h.EINVAL), ("/data", h.EINVAL), ("/data/", h.EINVAL), ("/data/.", h.EINVAL), ("/data/sub", h.EINVAL), ("/data/sub/", h.EINVAL),
            ("/data/x.bin/", h.EINVAL), ("/data/fifo", h.EINVAL), ("/data/socket", h.EINVAL), ("/data/x.bin\0", h.EINVAL), (b"/\xff\xfe", h.EINVAL),
            ("/data/" + "a" * 4096, h.EINVAL),
            ("/data/..", h.EACCES), ("/data/../dataro.bin", h.EACCES), ("/data/sub/../x.bin", h.EACCES), ("/data/link-in.bin", h.EACCES),
            ("/data/link-out.bin", h.EACCES),
        ]
        for path, want in cases:
            got = open_at(g, path)
            if want == "handle":
                self.assertGreater(got, 0, path)
                self.assertEqual(g.call("close", got), 0)
            else:
                self.assertEqual(got, -want, repr(path))
        self.assertEqual(g.call("open", g.memory_size() - 2, 4, 0), -h.ERANGE, "a path that runs past the memory")
        self.assertEqual(open_at(g, "/data/x.bin", 3), -h.EINVAL, "an unknown mode")
        self.assertEqual(g.host.handle_count, 0)
        g.host.close()
        root = h.RawGuest(preopens={"/": str(DATA), "/data/sub": str(DATA / "sub")})
        self.assertEqual(open_at(root, "//"), -h.EINVAL)
        self.assertGreater(open_at(root, "/x.bin"), 0)
        self.assertGreater(open_at(root, "/data/sub/y.bin"), 0, "/data/sub is its own preopen")
        self.assertEqual(open_at(root, "/sub/../x.bin"), -h.EACCES)
        root.host.close()

    def test_without_openat2_the_component_walk_gives_the_same_answers(self):
        dirfd = os.open(DATA, os.O_PATH | os.O_DIRECTORY)
        answer = lambda fd: (os.close(fd), 0)[1] if fd >= 0 else code_from_errno(-fd)  # noqa: E731
        names = ("x.bin", "sub/y.bin", "x.bin/y", "missing.bin", "sub/missing/y.bin", "link-in.bin", "link-out.bin", "fifo", "socket", "sub")
        with_openat2 = [answer(paths.open_beneath(dirfd, path, OPEN_READ)) for path in names]
        real = paths._openat2
        paths._openat2 = lambda *args: -errno.ENOSYS  # a kernel without openat2: open_beneath walks
        try:
            walked = [answer(paths.open_beneath(dirfd, path, OPEN_READ)) for path in names]
        finally:
            paths._openat2 = real
        self.assertEqual(dict(zip(names, walked)), dict(zip(names, with_openat2)))
        os.close(dirfd)

    def test_read_only_stays_read_only_a_shared_map_needs_a_read_write_handle(self):
        g = h.RawGuest(preopens=PREOPENS)
        ro, granted = open_at(g, "/data/x.bin", OPEN_READ), g.host.grant(FILE, "r")
        for handle in (ro, granted):
            self.assertEqual(g.call("map", handle, 0, 0, PS, MAP_SHARED), -h.EACCES)
            self.assertEqual(g.call("map", handle, 0, 0, PS, MAP_SHARED | MAP_READ_ONLY), -h.EACCES, "READ_ONLY changes no check")
        self.assertEqual(g.call("map", ro, 0, 4 * PS, 2 * PS, 0), 0)
        g.call("store8", 4 * PS + 5, BYTES[5] ^ 0xFF)
        self.assertEqual(g.call("load8", 4 * PS + 5), BYTES[5] ^ 0xFF, "the private copy takes the store")
        self.assertEqual(g.call("unmap", 4 * PS, 2 * PS), 0)
        self.assertEqual(FILE.read_bytes(), BYTES, "the file never sees it")
        g.host.close()

    def test_a_map_refused_on_its_arguments_leaves_every_byte_of_the_guest_untouched(self):
        g = h.RawGuest(max_mappings=2)
        handle = g.host.grant(FILE, "r+")
        size = g.memory_size()
        self.assertEqual(g.call("map", handle, 0, 8 * PS, 2 * PS, MAP_SHARED), 0)
        self.assertEqual(g.call("map", handle, 0, 12 * PS, PS, 0), 0)
        fill = h.pattern(size, 3)
        g.write(fill[:8 * PS], 0)
        g.write(fill[10 * PS:12 * PS], 10 * PS)
        g.write(fill[13 * PS:], 13 * PS)
        file_end = -(-len(BYTES) // PS) * PS
        refused = [
            ("unaligned address", (handle, 0, 100, PS, 0), h.EINVAL), ("unaligned length", (handle, 0, 0, PS + 1, 0), h.EINVAL),
            ("zero length", (handle, 0, 0, 0, 0), h.EINVAL), ("past the memory", (handle, 0, size, PS, 0), h.ERANGE),
            ("straddling its end", (handle, 0, size - PS, 2 * PS, 0), h.ERANGE), ("2^32 - page, read unsigned", (handle, 0, -PS, PS, 0), h.ERANGE),
            ("a negative file offset", (handle, -PS, 0, PS, 0), h.EINVAL), ("the most negative file offset", (handle, -(2**63), 0, PS, 0), h.EINVAL),
            ("an unaligned file offset", (handle, 1, 0, PS, 0), h.EINVAL), ("a whole page past the end of the file", (handle, file_end, 0, PS, 0), h.ERANGE),
            ("a file offset near 2^63", (handle, 2**63 - PS, 0, PS, 0), h.ERANGE), ("an unknown flag bit", (handle, 0, 0, PS, MAP_FLAGS_ALL + 1), h.EINVAL),
            ("every flag bit", (handle, 0, 0, PS, -1), h.EINVAL), ("an unknown handle", (12345, 0, 0, PS, 0), h.EBADF),
            ("over a live mapping", (handle, 0, 9 * PS, PS, 0), h.EINVAL), ("over a live mapping from below", (handle, 0, 7 * PS, 2 * PS, 0), h.EINVAL),
            ("past the guest's budget", (handle, 0, 0, PS, 0), h.ENOMEM),
        ]
        for label, args, code in refused:
            self.assertEqual(g.call("map", *args), -code, label)
        self.assertEqual(g.read(0, 8 * PS) + g.read(10 * PS, 2 * PS) + g.read(13 * PS, size - 13 * PS),
                         fill[:8 * PS] + fill[10 * PS:12 * PS] + fill[13 * PS:], "a refused map changed bytes of the guest")
        self.assertIn("max_mappings 2", g.host.take_refusal() or "")
        g.host.close()

    def test_a_map_that_the_system_refuses_after_the_checks_leaves_zeroed_memory(self):
        g = h.RawGuest()
        g.write(b"\x77" * (2 * PS), 4 * PS)
        self.assertEqual(g.call("map", g.host.grant("/sys/kernel/mm/transparent_hugepage/enabled", "r"), 0, 4 * PS, PS, 0), -h.EINVAL)
        self.assertEqual(g.read(4 * PS, PS), bytes(PS), "zeroed memory where the map failed")
        self.assertEqual(g.read(5 * PS, 1), b"\x77", "the next page untouched")
        g.host.close()

    def test_limits_are_errors_past_max_handles_an_open_past_max_mappings_a_map(self):
        g = h.RawGuest(preopens=PREOPENS, max_handles=3, max_mappings=3)
        handles = [open_at(g, "/data/x.bin") for _ in range(3)]
        self.assertTrue(all(handle > 0 for handle in handles))
        self.assertEqual(open_at(g, "/data/x.bin"), -h.ENOMEM)
        for i in range(3):
            self.assertEqual(g.call("map", handles[0], 0, (4 + 2 * i) * PS, PS, 0), 0)
        self.assertEqual(g.call("map", handles[0], 0, 12 * PS, PS, 0), -h.ENOMEM)
        self.assertEqual(g.call("unmap", 4 * PS, PS), 0)
        self.assertEqual(g.call("map", handles[0], 0, 12 * PS, PS, 0), 0, "room for one again")
        self.assertEqual(g.call("close", handles[2]), 0)
        self.assertGreater(open_at(g, "/data/x.bin"), 0, "and for a handle")
        g.host.close()

    def test_close_unmaps_everything_and_closes_every_handle_and_preopen(self):
        fds = h.open_fds()
        target = h.write_file(DIR, "close.bin", BYTES)
        g = h.RawGuest(preopens=PREOPENS)
        opened, granted = open_at(g, "/data/sub/y.bin", OPEN_READ_WRITE), g.host.grant(target, "r+")
        self.assertEqual(g.call("map", granted, 0, 2 * PS, 2 * PS, MAP_SHARED), 0)
        self.assertEqual(g.call("map", opened, 0, 6 * PS, PS, 0), 0)
        g.call("store8", 2 * PS + 1, 0xAB)
        g.host.close()
        self.assertEqual(h.open_fds(), fds, "every descriptor closed, the preopen's too")
        self.assertEqual(g.read(2 * PS, 5 * PS), bytes(5 * PS), "zeroed memory where the mappings were")
        self.assertEqual(target.read_bytes()[1], 0xAB)
        self.assertEqual(h.maps_of(target), [])
        self.assertEqual(g.call("map", granted, 0, 0, PS, 0), -h.EBADF)

    def test_fault_cause_and_truncated_answer_for_the_mapping_that_holds_the_range(self):
        g = h.RawGuest()
        handle = g.host.grant(FILE, "r")
        self.assertEqual(g.call("map", handle, 0, 4 * PS, 2 * PS, 0), 0)
        self.assertEqual(g.call("map", handle, 0, 6 * PS, 2 * PS, 0), 0)
        for name in ("fault_cause", "truncated"):
            self.assertEqual(g.call(name, 4 * PS, 2 * PS), 0, name)
            self.assertEqual(g.call(name, 5 * PS, PS), 0, f"{name}: a page inside one")
            self.assertEqual(g.call(name, 5 * PS, 2 * PS), -h.EINVAL, f"{name}: across two mappings")
            self.assertEqual(g.call(name, 2 * PS, PS), -h.EINVAL, f"{name}: no mapping")
            self.assertEqual(g.call(name, g.memory_size(), PS), -h.ERANGE, f"{name}: past the memory")
        g.host.close()

    def test_advise_and_sync_act_inside_one_mapping_and_async_is_ms_async_for_any_nonzero_value(self):
        g = h.RawGuest()
        handle = g.host.grant(FILE, "r+")
        self.assertEqual(g.call("map", handle, 0, 4 * PS, 2 * PS, MAP_SHARED), 0)
        self.assertEqual(g.call("map", handle, 0, 6 * PS, 2 * PS, MAP_SHARED), 0)
        for advice in range(ADVICE_COUNT):
            self.assertEqual(g.call("advise", 5 * PS, PS, advice), 0)
        self.assertEqual(g.call("advise", 5 * PS, 2 * PS, ADVICE_RANDOM), -h.EINVAL, "across two mappings")
        self.assertEqual(g.call("advise", 4 * PS, PS, ADVICE_COUNT), -h.EINVAL, "an unknown advice")
        for asynchronous in (0, 1, 2, -1, 2**31 - 1):
            self.assertEqual(g.call("sync", 4 * PS, 2 * PS, asynchronous), 0, f"async {asynchronous}")
        self.assertEqual(g.call("sync", 5 * PS, 2 * PS, 0), -h.EINVAL, "sync across two mappings")
        g.host.close()

    def test_close_of_a_grant_closes_its_descriptor_and_its_mappings_stay(self):
        g = h.RawGuest()
        granted = g.host.grant(FILE, "r")
        self.assertEqual(g.call("map", granted, 0, 4 * PS, 2 * PS, 0), 0)
        before = h.open_fds()
        self.assertEqual(g.call("close", granted), 0)
        self.assertEqual(h.open_fds(), before - 1)
        self.assertEqual(g.call("close", granted), -h.EBADF, "closed once")
        self.assertEqual(g.read(4 * PS, 2 * PS), BYTES[:2 * PS], "its mapping stays valid")
        g.host.close()

    def test_the_epoch_word_counts_absorbed_faults_not_truncations(self):
        path = h.write_file(DIR, "epoch.bin", bytes([7]) * (8 * PS))
        g = h.RawGuest()
        handle = g.host.grant(path, "r")
        word = 64
        epoch = lambda: int.from_bytes(g.read(word, 4), "little")  # noqa: E731
        self.assertEqual(g.call("watch", word), 0)
        self.assertEqual(g.call("map", handle, 0, 4 * PS, 8 * PS, 0), 0)
        self.assertEqual(g.call("map", handle, 0, 16 * PS, 8 * PS, 0), 0)
        os.truncate(path, PS)
        self.assertEqual(epoch(), 0, "a truncation alone counts nothing")
        for page in (3, 5, 7, 2):
            self.assertEqual(g.call("load8", 4 * PS + page * PS), 0)
        self.assertEqual(epoch(), 1, "four loads past the end of one mapping: one fault")
        self.assertEqual(g.call("load8", 16 * PS + 6 * PS), 0)
        self.assertEqual(epoch(), 2, "the other mapping's first touch: one more")
        os.truncate(path, 0)
        self.assertEqual(g.call("load8", 4 * PS), 0)
        self.assertEqual(epoch(), 3, "a second cut into a mapping's file pages: one more")
        self.assertEqual(g.call("fault_cause", 4 * PS, 8 * PS), h.ETRUNCATED)
        g.host.close()

    def test_each_advice_reaches_madvise_as_itself(self):
        path = h.write_file(DIR, "advice.bin", bytes(2**21))
        g = h.RawGuest()
        handle = g.host.grant(path, "r")
        # After RANDOM (rr), NORMAL clears the flag and WILLNEED leaves it: every advice tells itself apart.
        for advice, want in ((ADVICE_NORMAL, ""), (ADVICE_RANDOM, "rr"), (ADVICE_SEQUENTIAL, "sr"), (ADVICE_WILLNEED, "rr"), (ADVICE_HUGEPAGE, "rr hg")):
            self.assertEqual(g.call("map", handle, 0, 32 * 65536, 2**21, 0), 0)
            self.assertEqual(g.call("advise", 32 * 65536, 2**21, ADVICE_RANDOM), 0)
            self.assertEqual(g.call("advise", 32 * 65536, 2**21, advice), 0)
            with open("/proc/self/smaps") as smaps:
                areas = smaps.read().split("\n")
            flags = [areas[i + j] for i, line in enumerate(areas) if str(path) in line for j in range(40)
                     if i + j < len(areas) and areas[i + j].startswith("VmFlags:")][0].split()[1:]
            self.assertEqual(" ".join(f for f in flags if f in ("rr", "sr", "hg")), want, f"advice {advice}")
            self.assertEqual(g.call("unmap", 32 * 65536, 2**21), 0)
        g.host.close()


if __name__ == "__main__":
    h.run()
