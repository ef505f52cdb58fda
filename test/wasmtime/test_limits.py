"""Limits are errors, never aborts, under the Wasmtime host too. Every mapping is an area of the
process, and at vm.max_map_count the next allocation anywhere fails (Wasmtime then aborts the
process). A budget of live mappings per guest (MmfHost max_mappings, default 4096) and per process
(the guard's: a quarter of vm.max_map_count, MMF_PROCESS_MAPPINGS) answers ENOMEM first,
take_refusal() names the limit, and the host keeps working. MMF_RELIABILITY=1 fills the process's
budget itself. The twin of test/limits.test.mjs."""
import math
import unittest

import harness as h
from mmf_wasmtime import DEFAULT_MAX_MAPPINGS, MmfError, MmfHost, guard_stats

DIR = h.temp_dir()
PS = h.PAGE
FILE = h.write_file(DIR, "page.bin", bytes([5]) * PS)
RAW = "dist/test-guests/raw.wasm"


class Budgets(unittest.TestCase):
    def test_a_guest_mapping_one_page_at_every_other_page_is_refused_with_enomem_at_its_budget_and_the_host_keeps_working(self):
        g = h.Guest(RAW, max_mappings=math.inf) if h.RELIABILITY else h.Guest(RAW)
        stats = guard_stats()
        budget = stats.limit - stats.live if h.RELIABILITY else DEFAULT_MAX_MAPPINGS
        handle = g.host.grant(FILE, "r")
        before = h.areas()
        mapped = g.call("mapEveryOtherPage", handle, budget + 100)
        at_limit = h.areas()
        refusal = g.host.take_refusal()
        self.assertEqual(g.call("lastRefusal"), -h.ENOMEM, f"refused with ENOMEM after {mapped}")
        self.assertEqual(mapped, budget)
        self.assertEqual(g.host.mapping_count, budget)
        if h.RELIABILITY:
            self.assertRegex(refusal, rf"the process holds {stats.limit} live mappings, its budget .*vm.max_map_count is {stats.max_map_count}")
        else:
            self.assertEqual(refusal, f"this guest holds {budget} live mappings, its budget (max_mappings {budget})")
        self.assertIsNone(g.host.take_refusal(), "taken once")
        self.assertEqual(g.call("remap", handle, 17), 0, "unmapping one makes room for one")
        self.assertIsNone(g.host.take_refusal(), "a map that went through leaves no refusal")
        self.assertEqual(g.call("unmapAll"), 0)
        self.assertEqual(g.host.mapping_count, 0)
        after = h.areas()
        self.assertLess(after - before, 64, f"unmapped ranges merge back into the memory's area: {before} areas before, {after} after")
        self.assertEqual(g.call("mapEveryOtherPage", handle, 10), 10, "maps again after")
        self.assertEqual(g.call("unmapAll"), 0)
        g.host.close()
        print(f"  guest: {mapped} mappings one page apart at the limit, process areas {before} -> {at_limit} -> {after} unmapped "
              f"(vm.max_map_count {stats.max_map_count}, process budget {stats.limit})")

    def test_a_small_budget_every_other_import_still_answers_and_unmapping_makes_room(self):
        g = h.RawGuest(max_mappings=3)
        handle = g.host.grant(FILE, "r+")
        for i in range(3):
            self.assertEqual(g.call("map", handle, 0, (4 + 2 * i) * PS, PS, i % 2), 0)
        self.assertEqual(g.call("map", handle, 0, 20 * PS, PS, 0), -h.ENOMEM)
        self.assertIn("its budget (max_mappings 3)", g.host.take_refusal())
        self.assertEqual(len(h.maps_of(FILE)), 3, "the refused map left nothing mapped")
        self.assertEqual(g.call("load8", 4 * PS), 5, "the live mappings are intact")
        self.assertEqual(g.call("sync", 6 * PS, PS, 0), 0)
        self.assertEqual(g.call("fault_cause", 8 * PS, PS), 0)
        self.assertEqual(g.call("unmap", 6 * PS, PS), 0)
        self.assertEqual(g.call("map", handle, 0, 20 * PS, PS, 0), 0, "room for one again")
        self.assertEqual(g.host.mapping_count, 3)
        g.host.close()
        self.assertEqual(h.maps_of(FILE), [])

    def test_mmfhost_refuses_a_budget_that_is_not_a_positive_integer(self):
        store = h.wasmtime.Store(h.ENGINE)
        for bad in (0, -1, 1.5, math.nan, "10", True, None, -math.inf):
            with self.assertRaises(MmfError, msg=repr(bad)) as err:
                MmfHost(store, max_mappings=bad)
            self.assertEqual(err.exception.code, "EINVAL")
        for good in (1, 10**9, math.inf):
            with MmfHost(store, max_mappings=good) as host:
                self.assertEqual(host.max_mappings, good)

    def test_the_process_budget_mmf_process_mappings_500_holds_across_guests_and_names_itself(self):
        run = h.python_run("-c", f"""
import sys
sys.path.insert(0, {str(h.ROOT / 'test' / 'wasmtime')!r})
import harness as h
a, b = h.RawGuest(), h.RawGuest()
ha, hb = a.host.grant({str(FILE)!r}, "r"), b.host.grant({str(FILE)!r}, "r")
held = [a.call("map", ha, 0, 2 * i * {PS}, {PS}, 0) for i in range(300)]
codes = [b.call("map", hb, 0, 2 * i * {PS}, {PS}, 0) for i in range(300)]
print(held.count(0) + codes.count(0), sorted(set(codes)), b.host.take_refusal())
print(a.call("unmap", 0, {PS}), b.call("map", hb, 0, 2 * 299 * {PS}, {PS}, 0), a.host.mapping_count + b.host.mapping_count)
""", env={"MMF_PROCESS_MAPPINGS": "500"})
        self.assertEqual(run.returncode, 0, run.stderr)
        first, second = run.stdout.splitlines()
        self.assertRegex(first, rf"^500 \[-{h.ENOMEM}, 0\] the process holds 500 live mappings, its budget \(.*: 500; vm.max_map_count is \d+\)$")
        self.assertEqual(second, "0 0 500", "an unmap in one guest makes room in the other")
        bad = h.python_run("-c", "import wasmtime\nfrom mmf_wasmtime import MmfHost\nMmfHost(wasmtime.Store())", env={"MMF_PROCESS_MAPPINGS": "lots"})
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("MMF_PROCESS_MAPPINGS must be an integer from 1 to 1048576, got 'lots' (EINVAL)", bad.stderr)


if __name__ == "__main__":
    h.run()
