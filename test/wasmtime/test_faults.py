"""ABI version 2 under the Wasmtime host: a fault is not always a truncation. `fault_cause` says why
a mapping faulted (ETRUNCATED, ENOSPC, EIO), `truncated` answers 1 for any cause, and the epoch word
may sit anywhere in the memory, 2 GiB and above too. The disk-full runs write through shared
mappings into a sparse file on a 1 MiB tmpfs; each runs in a child process while this one holds the
mount, so that the mount goes in a finally even if the guard failed and the child died of SIGBUS.
The twin of test/faults.test.mjs and test/native-helper.test.mjs."""
import json
import os
import sys
import unittest
from pathlib import Path

import harness as h
from mmf_wasmtime import MAP_READ_ONLY, MAP_SHARED, guard_stats

DIR = h.temp_dir()
PS = h.PAGE
MiB = 1 << 20
UNAVAILABLE = h.mount_unavailable()


def fill(i: int) -> int:
    return i % 250 + 1


def sparse(path, size: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size)


def pages_in_file(path, count: int, at: int) -> int:
    """How many of pages [0, count) of the file hold fill(i) at byte `at` of page i (the first miss ends it)."""
    data = path.read_bytes()
    return next((i for i in range(count) if data[i * PS + at] != fill(i)), count)


# --- the disk-full scenarios, each in a child process (see run_scenario) -------------------------

def raw_stores_on_a_full_tmpfs(folder) -> dict:
    """A guest that stores one byte into every page of a 2 MiB shared mapping of a sparse file on a
    1 MiB tmpfs, watching its epoch word after each store."""
    path = folder / "raw.bin"
    sparse(path, 2 * MiB)
    g = h.RawGuest()
    handle = g.host.grant(path, "r+")
    epoch, at, length = 64, MiB, 2 * MiB
    assert g.call("watch", epoch) == 0
    assert g.call("map", handle, 0, at, length, MAP_SHARED) == 0
    faults = guard_stats().faults
    stored = 0
    while stored < length // PS and g.read(epoch, 4) == bytes(4):
        g.call("store8", at + stored * PS + 7, fill(stored))  # the store that finds no room completes into zeroed memory
        stored += 1
    result = {
        "stores": stored,
        "epoch": int.from_bytes(g.read(epoch, 4), "little"),
        "fault_cause": g.call("fault_cause", at, length),
        "truncated": g.call("truncated", at, length),
        "sync": g.call("sync", at, length, 0),
        "faults": guard_stats().faults - faults,
        "unmap": g.call("unmap", at, length),
    }
    g.host.close()
    result["in_file"] = pages_in_file(path, stored, 7)
    return result


def writer_on_a_full_tmpfs(folder) -> dict:
    """The API guest's MemoryRegionWriter writing whole pages into a MEM_READWRITE region of a sparse
    file on a 1 MiB tmpfs until a write is refused."""
    path = folder / "guest.bin"
    sparse(path, 2 * MiB)
    g = h.Guest("dist/test-guests/api.wasm")
    index = g.call("holdHandle", g.host.grant(path, "r+"), h.MEM_READWRITE, 0, 0)
    assert index >= 0, index
    written, last = 0, 0
    while (last := g.call("writePageHeld", index, written * PS, PS, fill(written))) == PS:
        written += 1
    result = {"written": written, "refused": last, "check": g.call("checkHeld", index), "close": g.call("closeHeldAt", index),
              "mappings": g.host.mapping_count}
    g.host.close()
    result["in_file"] = pages_in_file(path, written, 7)
    return result


SCENARIOS = {f.__name__: f for f in (raw_stores_on_a_full_tmpfs, writer_on_a_full_tmpfs)}


class DiskFull(unittest.TestCase):
    def run_scenario(self, name: str) -> dict:
        """Runs SCENARIOS[name] in a child process on a fresh 1 MiB tmpfs this process mounts and unmounts."""
        if UNAVAILABLE:
            self.skipTest(UNAVAILABLE)
        with h.tmpfs(MiB) as folder:
            run = h.python_run(__file__, "--scenario", name, str(folder))
        self.assertEqual(run.returncode, 0, f"the child survived the full file system: {run.stderr}")
        return json.loads(run.stdout.splitlines()[-1])

    def test_shared_stores_on_a_full_tmpfs_fault_cause_answers_enospc_and_every_page_before_reached_the_file(self):
        r = self.run_scenario("raw_stores_on_a_full_tmpfs")
        print(f"  tmpfs 1 MiB, raw stores: {r['stores'] - 1} pages stored, then a store found no room; faults absorbed {r['faults']}")
        self.assertTrue(0 < r["stores"] - 1 <= 256, f"{r['stores'] - 1} pages fit in 1 MiB")
        self.assertEqual(r["epoch"], 1, "the guard bumped the epoch word once")
        self.assertEqual(r["fault_cause"], h.ENOSPC, "ENOSPC (10), not ETRUNCATED")
        self.assertEqual(r["truncated"], 1, "ABI version 1: faulted, for any cause")
        self.assertEqual(r["faults"], 1, "one fault absorbed: the rest of the mapping was replaced at once")
        self.assertEqual(r["sync"], 0)
        self.assertEqual(r["unmap"], 0)
        self.assertEqual(r["in_file"], r["stores"] - 1, "every page before the one that found no room is in the file")

    def test_a_guest_writer_on_a_full_tmpfs_has_its_count_refused_with_enospc(self):
        r = self.run_scenario("writer_on_a_full_tmpfs")
        print(f"  tmpfs 1 MiB, the API guest's writer: {r['written']} pages written, then {r['refused']}")
        self.assertTrue(0 < r["written"] <= 256, f"{r['written']} pages fit in 1 MiB")
        self.assertEqual(r["refused"], -h.ENOSPC, "the write that found no room returns -ENOSPC, not a count")
        self.assertEqual(r["check"], -h.ENOSPC)
        self.assertEqual(r["close"], -h.ENOSPC, "close reports the fault (and still unmaps)")
        self.assertEqual(r["mappings"], 0)
        self.assertEqual(r["in_file"], r["written"], "every page whose write returned a count is in the file")


class Truncation(unittest.TestCase):
    def test_fault_cause_after_a_truncation_is_etruncated_for_that_mapping_only(self):
        cut = h.write_file(DIR, "cut.bin", bytes([7]) * (8 * PS))
        whole = h.write_file(DIR, "whole.bin", bytes([9]) * (8 * PS))
        g = h.RawGuest()
        epoch = 128
        self.assertEqual(g.call("watch", epoch), 0)
        self.assertEqual(g.call("map", g.host.grant(cut, "r"), 0, 16 * PS, 8 * PS, MAP_READ_ONLY), 0)
        self.assertEqual(g.call("map", g.host.grant(whole, "r+"), 0, 32 * PS, 8 * PS, MAP_SHARED), 0)
        self.assertEqual(g.call("fault_cause", 16 * PS, 8 * PS), 0, "no fault yet")
        faults = guard_stats().faults
        os.truncate(cut, PS)
        for page in (2, 6, 3, 7):  # scattered loads past the new end: one fault, the rest of the mapping replaced at once
            self.assertEqual(g.call("load8", 16 * PS + page * PS), 0)
        self.assertEqual(g.call("load8", 16 * PS), 7, "the page before the new end is still the file's")
        self.assertEqual(guard_stats().faults - faults, 1)
        self.assertEqual(int.from_bytes(g.read(epoch, 4), "little"), 1)
        self.assertEqual(g.call("fault_cause", 16 * PS, 8 * PS), h.ETRUNCATED)
        self.assertEqual(g.call("truncated", 16 * PS, 8 * PS), 1)
        self.assertEqual(g.call("fault_cause", 32 * PS, 8 * PS), 0, "the other mapping did not fault")
        self.assertEqual(g.call("truncated", 32 * PS, 8 * PS), 0)
        self.assertEqual(g.call("fault_cause", 17 * PS, PS), h.ETRUNCATED, "a page inside the mapping: the mapping's answer")
        self.assertEqual(g.call("fault_cause", 48 * PS, PS), -h.EINVAL, "no mapping there")
        self.assertEqual(g.call("fault_cause", 16 * PS, 9 * PS), -h.EINVAL, "past the mapping")
        self.assertEqual(g.call("fault_cause", -PS, PS), -h.ERANGE, "read unsigned: 2^32 - page is past the memory")
        self.assertEqual(g.call("unmap", 16 * PS, 8 * PS), 0)
        self.assertEqual(g.call("fault_cause", 16 * PS, 8 * PS), -h.EINVAL, "unmapped: nothing to ask about")
        g.host.close()

    def test_a_watch_word_at_or_above_2_gib_is_bumped_by_a_fault(self):
        path = h.write_file(DIR, "high.bin", bytes([7]) * (8 * PS))
        g = h.Guest("dist/test-guests/raw.wasm")
        handle = g.host.grant(path, "r")
        self.assertGreater(g.call("growTo", 32768 + 32), 32768, "the memory reaches past 2 GiB")
        word, at = h.i32(2**31 + 64), h.i32(2**31 + 65536)
        self.assertEqual(g.call("watchAt", word), 0)
        self.assertEqual(g.call("mapAt", handle, at, 8 * PS), 0)
        self.assertEqual(g.call("loadU8", at + 5 * PS), 7)
        os.truncate(path, PS)
        self.assertEqual(g.call("loadU8", at + 5 * PS), 0, "the load past the new end reads zero")
        self.assertEqual(g.call("loadI32", word), 1, "the epoch word at 2 GiB + 64 moved")
        self.assertEqual(g.call("faultCauseAt", at, 8 * PS), h.ETRUNCATED)
        self.assertEqual(g.call("unmapAt", at, 8 * PS), 0)
        g.host.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--scenario"]:
        print(json.dumps(SCENARIOS[sys.argv[2]](Path(sys.argv[3]))))
    else:
        h.run()
