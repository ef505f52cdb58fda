"""The region operations of ABI version 3 under the Wasmtime host, through a guest calling the raw
imports and through the AssemblyScript guest test/guests/region-ops.ts: lock/unlock (VmLck),
residency (mincore, from a dropped page cache), remap in place and moved (contents, the old range
zeroed, a truncation after the move absorbed), and their refusals, as test/region-ops.test.mjs
checks them under Node."""
import os
import re
import unittest

import harness as h
from mmf_wasmtime import MAP_READ_ONLY, MAP_SHARED
from mmf_wasmtime.abi import CODES, MEM_READWRITE

DIR = h.temp_dir()
PS = h.PAGE
ENOTSUP = CODES["ENOTSUP"]
BASE = 64 * 65536  # past the raw guest's initial memory: pages it grew, its own


def vm_lck() -> int:
    with open("/proc/self/status") as status:
        return int(re.search(r"^VmLck:\s+(\d+) kB", status.read(), re.M).group(1))


def grown_guest(pages: int = 64):
    """The raw guest with `pages` more Wasm pages (4 MiB) to map into, from BASE."""
    g = h.RawGuest()
    assert g.call("grow", pages) == 64
    return g


class RegionOps(unittest.TestCase):
    def test_lock_and_unlock_change_vmlck_by_the_mapping_and_unmap_unlocks(self):
        g = grown_guest()
        path = h.write_file(DIR, "lock.bin", h.pattern(1 << 20))
        handle = g.host.grant(path, "r")
        self.assertEqual(g.call("map", handle, 0, BASE, 1 << 20, MAP_READ_ONLY), 0)
        before = vm_lck()
        self.assertEqual(g.call("lock", BASE, 1 << 20), 0)
        self.assertEqual(vm_lck() - before, 1024)
        self.assertEqual(g.call("unlock", BASE, 1 << 20), 0)
        self.assertEqual(vm_lck(), before)
        self.assertEqual(g.call("lock", BASE, 1 << 20), 0)
        self.assertEqual(g.call("unmap", BASE, 1 << 20), 0)
        self.assertEqual(vm_lck(), before, "unmap unlocks")

    def test_residency_counts_pages_in_memory_and_writes_the_page_map(self):
        g = grown_guest()
        data = h.pattern(64 * PS, 4)
        path = h.write_file(DIR, "residency.bin", data)
        fd = os.open(path, os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
        handle = g.host.grant(path, "r")
        self.assertEqual(g.call("map", handle, 0, BASE, 64 * PS, 0), 0)
        self.assertEqual(g.call("advise", BASE, 64 * PS, 1), 0)  # random: no read-ahead
        self.assertLess(g.call("residency", BASE, 64 * PS, 0), 8)
        self.assertEqual(g.call("load8", BASE + 40 * PS + 3), data[40 * PS + 3])
        vec = BASE + 65 * PS
        resident = g.call("residency", BASE, 64 * PS, vec)
        page_map = g.read(vec, 64)
        self.assertEqual(page_map[40], 1)
        self.assertEqual(sum(page_map), resident)
        self.assertEqual(g.call("residency", BASE, 64 * PS, g.memory_size() - 63), -h.ERANGE, "a page map past the memory")
        self.assertEqual(g.call("residency", BASE, 65 * PS, 0), -h.EINVAL, "past the mapping")

    def test_remap_in_place_then_moved_keeps_the_contents_zeroes_the_old_range_and_the_guard_follows(self):
        g = grown_guest()
        data = h.pattern(8 * PS, 6)
        path = h.write_file(DIR, "remap.bin", data[:2 * PS])
        handle = g.host.grant(path, "r+")
        self.assertEqual(g.call("map", handle, 0, BASE, 2 * PS, MAP_SHARED), 0)
        self.assertEqual(g.call("remap", BASE, 2 * PS, BASE, 8 * PS), -h.ERANGE, "past the end of the file")
        with open(path, "r+b") as f:
            f.seek(2 * PS)
            f.write(data[2 * PS:])
        self.assertEqual(g.call("remap", BASE, 2 * PS, BASE, 8 * PS), 0)
        self.assertEqual(g.read(BASE, 8 * PS), data)
        other = BASE + 32 * PS
        self.assertEqual(g.call("remap", BASE, 8 * PS, BASE + 4 * PS, 8 * PS), -h.EINVAL, "a move onto itself")
        self.assertEqual(g.call("remap", BASE, 8 * PS, other, 8 * PS), 0)
        self.assertEqual(g.read(other, 8 * PS), data)
        self.assertEqual(g.read(BASE, 8 * PS), bytes(8 * PS), "the old range is zeroed memory")
        self.assertEqual(g.call("lock", BASE, PS), -h.EINVAL, "...and no mapping")
        self.assertEqual(g.host.mapping_count, 1)
        g.call("store8", other + 5, 0xEE)
        self.assertEqual(g.call("sync", other, 8 * PS, 0), 0)
        with open(path, "rb") as f:
            self.assertEqual(f.read()[5], 0xEE)
        os.truncate(path, PS)
        self.assertEqual(g.call("load8", other + 6 * PS), 0, "a page past the new end reads zero")
        self.assertEqual(g.call("fault_cause", other, 8 * PS), h.ETRUNCATED)
        self.assertEqual(g.call("remap", other, 8 * PS, other, 2 * PS), -h.EINVAL, "a mapping that faulted")

    def test_remap_shrinks_in_place_and_refuses_overlaps_and_hostile_values(self):
        g = grown_guest()
        path = h.write_file(DIR, "shrink.bin", h.pattern(8 * PS, 7))
        handle = g.host.grant(path, "r+")
        self.assertEqual(g.call("map", handle, 0, BASE, 8 * PS, 0), 0)
        self.assertEqual(g.call("map", handle, 0, BASE + 16 * PS, PS, 0), 0)
        self.assertEqual(g.call("remap", BASE, 8 * PS, BASE, 17 * PS), -h.EINVAL, "grows into another mapping")
        self.assertEqual(g.call("remap", BASE, 8 * PS, BASE + 10 * PS, 8 * PS), -h.EINVAL, "moves onto another mapping")
        self.assertEqual(g.call("remap", BASE, 7 * PS, BASE, 8 * PS), -h.EINVAL, "not exactly a mapping")
        self.assertEqual(g.call("remap", BASE, 8 * PS, BASE + 1, 8 * PS), -h.EINVAL, "unaligned")
        self.assertEqual(g.call("remap", BASE, 8 * PS, h.i32(-PS), PS), -h.ERANGE, "2^32 - page, read unsigned")
        self.assertEqual(g.call("remap", BASE, 8 * PS, BASE, 0), -h.EINVAL, "empty")
        self.assertEqual(g.call("lock", h.i32(-PS), PS), -h.ERANGE)
        self.assertEqual(g.call("remap", BASE, 8 * PS, BASE, 3 * PS), 0)
        self.assertEqual(g.read(BASE + 3 * PS, 5 * PS), bytes(5 * PS), "the pages shrunk off are zeroed memory")
        self.assertEqual(g.call("map", handle, 0, BASE + 3 * PS, 5 * PS, 0), 0, "...and free to map")

    def test_the_assemblyscript_guest_locks_counts_and_remaps(self):
        path = h.write_file(DIR, "guest.bin", h.pattern(3 * PS, 9))
        g = h.Guest("dist/test-guests/region-ops.wasm", preopens={"/data": str(DIR)})
        self.assertEqual(g.call("mapWhole", "/data/guest.bin", MEM_READWRITE, 100), 0)
        self.assertEqual(g.call("lock"), 0)
        self.assertEqual(g.call("unlock"), 0)
        self.assertEqual(g.call("residentByMap"), 3)
        self.assertEqual(g.call("residencyShortMap"), -h.ERANGE)
        os.truncate(path, 40 * PS)
        self.assertEqual(g.call("remap", 40 * PS), -h.ERANGE)
        with open(path, "r+b") as f:
            f.seek(100 + 30 * PS)
            f.write(b"\x33")
        self.assertEqual(g.call("remapUnderReader", 40 * PS - 100, 30 * PS), 0x33)
        self.assertEqual(g.call("remapUnderReader", PS, 2 * PS), -1000)
        self.assertEqual(g.call("closeAll"), 0)


if __name__ == "__main__":
    h.run()
