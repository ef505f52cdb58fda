"""When a map fails, the Wasmtime host's library puts zeroed memory back over the range (a failed
MAP_FIXED may have dropped the old pages). When that fails too, the map's answer is the zero fill's
error, not the map's: the range is not what it was. The zero fill fails for real: the child runs
under a seccomp filter that has the kernel refuse it with ENOMEM (test/fixtures/no-zero-fill.py).
The twin of test/native-restore.test.mjs."""
import errno
import sys
import unittest

import harness as h

DIR = h.temp_dir()
FILE = h.write_file(DIR, "one-page.bin", bytes([1]) * h.PAGE)
NO_ZERO_FILL = h.ROOT / "test" / "fixtures" / "no-zero-fill.py"
# A shared map (MMF_MAP_SHARED) of a read-only descriptor, which mmap refuses with EACCES, over the
# second page of an anonymous mapping that stands in for a guest's memory; then the answer, the
# guard's live count and what the page holds ("zeroed": memory put back, "kept": untouched).
FAILED_MAP = f"""
import ctypes, mmap, os
from mmf_wasmtime.native import load
native = load()
ps = native.page_size
memory = mmap.mmap(-1, 2 * ps)
memory[:] = b"\\x5a" * (2 * ps)
at = ctypes.addressof(ctypes.c_char.from_buffer(memory))
fd = os.open({str(FILE)!r}, os.O_RDONLY)
rc = native.map(at + ps, ps, fd, 0, 1, None, native.new_owner())
page = memory[ps:]
print(rc, native.guard_stats().live, "zeroed" if page == bytes(ps) else "kept" if page == b"\\x5a" * ps else "mixed")
"""


class FailedRestore(unittest.TestCase):
    def failed_map(self, without_zero_fill: bool) -> str:
        args = [str(NO_ZERO_FILL), sys.executable] if without_zero_fill else []
        run = h.python_run(*args, "-c", FAILED_MAP)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout.strip()

    def test_a_map_refused_by_mmap_answers_its_error_puts_zeroed_memory_back_and_leaves_nothing_watched(self):
        self.assertEqual(self.failed_map(False), f"-{errno.EACCES} 0 zeroed")

    def test_a_map_refused_by_mmap_whose_zero_fill_fails_too_answers_the_zero_fills_enomem(self):
        # The kernel refused the shared map before it touched the range: the old bytes are still there.
        self.assertEqual(self.failed_map(True), f"-{errno.ENOMEM} 1 kept")


if __name__ == "__main__":
    h.run()
