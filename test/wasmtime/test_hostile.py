"""The guest is untrusted: random and adversarial calls of the raw `mmf` imports, made from Wasm
by a guest that re-exports them (so every value is an i32 or i64 as a hostile module could pass),
on an unshared and on a shared memory under the Wasmtime host: 20,000 calls in all in `npm test`,
200,000 with MMF_RELIABILITY=1. Zero crashes, every call answers a documented code, and no
descriptor or mapping is left behind. The twin of test/hostile.test.mjs."""
import os
import random
import unittest
from collections import Counter, defaultdict

import harness as h
import wasmtime
from mmf_wasmtime import CODES

DIR = h.temp_dir()
DATA = DIR / "data"
(DATA / "sub").mkdir(parents=True)
SECRET = h.write_file(DIR, "secret.bin", h.pattern(9000, 2))
BYTES = h.pattern(3 * 65536 + 77, 5)
FILE = h.write_file(DATA, "file.bin", BYTES)
h.write_file(DATA, "empty.bin", b"")
os.symlink(SECRET, DATA / "link-out.bin")
os.symlink(DIR, DATA / "dir-out")
os.symlink("/proc/self/mem", DATA / "mem")
i32 = h.i32
NAMES = {0: "OK", **{-number: name for name, number in CODES.items()}}
CALLS = 100_000 if h.RELIABILITY else 10_000  # per memory
PATHS = [
    "/data/file.bin", "/data/empty.bin", "/data/sub/../file.bin", "/data/../secret.bin", "/data/sub/../../secret.bin",
    "/data/link-out.bin", "/data/dir-out/secret.bin", "/data/mem", "/proc/self/mem", str(SECRET), "/data", "/data/",
    "/data/missing", "/data//file.bin", "data/file.bin", "/data/file.bin\0/../../secret.bin", "/data/" + "a/" * 3000,
]


def run_hostile(shared: bool, calls: int, foreign_handle: int, rng: random.Random) -> tuple[dict, int, int, h.RawGuest]:
    g = h.RawGuest(shared=shared, preopens={"/data": str(DATA)}, max_handles=64)
    ps = g.host.page_size
    handles = [foreign_handle, 0, -1, 2**31 - 1, 12345]
    live: list[tuple[int, int]] = []
    opened: list[int] = []
    counts: dict[str, Counter] = defaultdict(Counter)
    checked = 0

    def any_i32() -> int:
        size = g.memory_size()
        return i32(rng.choice([0, -1, 1, -(2**31), 2**31 - 1, ps, ps - 1, ps + 1, 65536, rng.getrandbits(32), rng.randrange(64) * ps,
                               size - ps, size, size + ps, rng.randrange(4096)]))

    def addr() -> int:
        if live and rng.randrange(3) == 0:
            return i32(rng.choice(live)[0] + rng.choice([0, ps, -ps, 1]))
        return any_i32()

    def length() -> int:
        return i32(rng.choice([ps, 2 * ps, 4 * ps, 0, -ps, 1, any_i32(), 16 * ps, 65536]))

    def i64() -> int:
        return rng.choice([0, ps, -1, 1, ps * 48, ps * 1_000_000, -(2**63), 2**63 - 1, rng.getrandbits(32) * ps])

    def handle() -> int:
        if rng.randrange(4) == 0 or len(handles) == 5:
            return rng.choice(handles)
        return rng.choice(handles[5:])

    for i in range(calls):
        if i % 1000 == 0:  # open(..., 2) truncates: put the file back now and then, so that maps keep succeeding
            FILE.write_bytes(BYTES)
        op = rng.randrange(10)
        if op == 0:
            name = "open"
            raw = bytes([0xFF, 0xFE, 0x2F, 0x00]) if rng.randrange(10) == 0 else rng.choice(PATHS).encode()
            at = 1024 + rng.randrange(4096)
            # A guest writes its own path; this host-side write must keep off mapped pages (PROT_READ ones would fault here).
            if not any(a < at + len(raw) and at < a + n for a, n in live):
                g.write(raw, at)
            args = (any_i32(), any_i32(), any_i32()) if rng.randrange(5) == 0 else (at, len(raw), rng.choice([0, 1, 2, 3, -1]))
            result = g.call("open", *args)
            if result > 0:
                handles.append(result)
                opened.append(result)
                result = 0
        elif op == 1:
            name = "close"
            target = handle()
            result = g.call("close", target)
            if result == 0:
                opened.remove(target)
        elif op == 2:
            name = "file_size"
            result = g.call("file_size", handle())
            result = 0 if result >= 0 else result
        elif op <= 5:
            name = "map"
            # Half the calls are plausible (aligned, inside the memory and the file), so that the checks
            # after a successful map run too; the other half are anything at all.
            if rng.randrange(2) == 0:
                pages = g.memory_size() // ps
                a, n = rng.randrange(pages) * ps, (1 + rng.randrange(4)) * ps
                hd, offset, flags = rng.choice(opened) if opened else handle(), rng.randrange(50) * ps, rng.randrange(8)
            else:
                a, n, hd, offset, flags = addr(), length(), handle(), i64(), rng.choice([0, 1, 2, 4, 5, 8, -1])
            result = g.call("map", hd, offset, i32(a), i32(n), flags)
            if result == 0:
                live.append((a & 0xFFFFFFFF, n & 0xFFFFFFFF))
                # The mapping shows the file's bytes (every file here is file.bin or empty.bin).
                if offset < len(BYTES) and g.call("file_size", hd) == len(BYTES):
                    want = BYTES[offset:offset + 16]
                    assert g.read(a & 0xFFFFFFFF, len(want)) == want, "a mapping shows the file's bytes"
                    checked += len(want)
        elif op <= 7:
            name = "unmap"
            target = live.pop(rng.randrange(len(live))) if live and rng.randrange(4) == 0 else None
            a, n = target if target else (addr(), length())
            result = g.call("unmap", i32(a), i32(n))
            if target:
                assert result == 0, "unmapping a live mapping succeeds"
            elif result == 0:  # a random range may hit a live mapping exactly; anything else must be refused
                hit = (a & 0xFFFFFFFF, n & 0xFFFFFFFF)
                assert hit in live, "unmapped a range that was no live mapping"
                live.remove(hit)
        elif op == 8:
            name = rng.choice(["watch", "fault_cause", "truncated", "advise", "touch"])
            if name == "touch":
                # Loads and stores in mapped pages: of files that open(..., 2) may have truncated (the
                # guard's work, with the epoch word wherever `watch` last put it), or PROT_READ (a trap).
                a, n = rng.choice(live) if live else (rng.randrange(g.memory_size()), 1)
                at = i32(a + rng.randrange(n))
                try:
                    g.call("store8", at, 1) if rng.randrange(2) else g.call("load8", at)
                    result = 0
                except wasmtime.Trap as trap:
                    assert trap.trap_code == wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS, trap
                    result, name = 0, "touch (trapped)"
            elif name == "watch":
                result = g.call("watch", any_i32())
            elif name in ("fault_cause", "truncated"):
                a, n = rng.choice(live) if live and rng.randrange(2) == 0 else (addr(), length())
                result = g.call(name, i32(a), i32(n))
                if result > 0:  # a valid answer: the guard absorbed a fault of this mapping (1, or why: a code)
                    assert result == 1 if name == "truncated" else result in (h.ETRUNCATED, h.ENOSPC, h.EIO), result
                    result, name = 0, f"{name} ({result})"
            else:
                result = g.call("advise", addr(), length(), rng.choice([0, 1, 2, 3, 4, 5, -1]))
        else:
            name = "grow" if rng.randrange(20) == 0 else "sync"
            if name == "grow":
                g.call("grow", 1)  # -1 at the maximum
                result = 0
            else:
                result = g.call("sync", addr(), length(), rng.choice([0, 1]))
        assert result in NAMES, f"{name} answered {result}, not a documented code"
        counts[name][NAMES[result]] += 1
    # Leave some mappings for close() to take down.
    FILE.write_bytes(BYTES)
    while len(opened) >= 60:  # room for one more handle under max_handles
        g.call("close", opened.pop())
    held = g.host.grant(FILE, "r")
    for k in range(8):
        g.call("map", held, 0, (g.memory_size() // ps - 1 - 2 * k) * ps, ps, rng.randrange(8) & ~1)
    mappings = g.host.mapping_count
    g.host.close()
    return counts, mappings, checked, g


class Hostile(unittest.TestCase):
    def test_hostile_calls_on_an_unshared_and_a_shared_memory_documented_codes_only_nothing_left_behind(self):
        fds = h.open_fds()
        other = h.RawGuest()
        foreign = other.host.grant(FILE, "r")
        with_other = h.open_fds()
        rng = random.Random(0x2545F491)
        for shared in (False, True):
            counts, mappings, checked, g = run_hostile(shared, CALLS, foreign, rng)
            print(f"  {'shared' if shared else 'unshared'} memory: {CALLS} calls, {mappings} mappings live at close, {checked} mapped bytes checked")
            for name, by_code in sorted(counts.items()):
                print(f"    {name:<10} {', '.join(f'{code} {n}' for code, n in sorted(by_code.items()))}")
            self.assertEqual(counts["map"]["EIO"], 0, "no unexpected failure")
            self.assertGreater(mappings, 0, "close() had mappings to take down")
            self.assertGreater(counts["map"]["OK"], 100, "some maps got through, so the checks after them ran")
            self.assertGreater(counts["open"]["OK"], 10)
            self.assertGreater(counts["open"]["EACCES"], 10)
            self.assertEqual(h.open_fds(), with_other, "descriptors left by the closed host")
            self.assertEqual(h.maps_of(DATA), [], "mappings left by the closed host")
        other.host.close()
        print(f"  {2 * CALLS} calls in all, zero crashes")
        self.assertEqual(h.open_fds(), fds, "every descriptor closed")
        self.assertEqual(h.maps_of(DATA), [], "no mapping of the files left")


if __name__ == "__main__":
    h.run()
