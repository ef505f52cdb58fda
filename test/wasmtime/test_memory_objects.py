"""Memory objects under the Wasmtime host (issue 14, items 1 and 5), with the answers of
test/memory-object-guest.test.mjs under Node: grants by name, guests opening objects under the
host's prefix (and none without it), `truncate`, hostile raw values, and a Node process and a
Wasmtime guest exchanging messages through one object."""
import os
import shutil
import subprocess
import unittest

import harness as h
from mmf_wasmtime import MmfError, MmfHost
from mmf_wasmtime.abi import OPEN_CREATE, OPEN_CREATE_NEW, OPEN_READ, OPEN_READ_WRITE

PREFIX = f"mmft-py-{os.getpid()}-"
RING = "dist/test-guests/ring.wasm"
EEXIST = h.CODES["EEXIST"]
_next = [0]


def name() -> str:
    _next[0] += 1
    return f"{PREFIX}{_next[0]}"


def leftovers() -> list[str]:
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(PREFIX))


class ObjectTest(unittest.TestCase):
    def tearDown(self):
        for left in leftovers():  # objects, and the links, FIFOs and folders a test planted
            path = f"/dev/shm/{left}"
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)


class Grants(ObjectTest):
    def test_grant_by_name_shares_the_guests_writes(self):
        n = name()
        guest = h.Guest(RING)
        with open(f"/dev/shm/{n}", "wb") as f:
            f.truncate(65536)
            f.seek(32)
            f.write((1).to_bytes(4, "little"))  # the ring's ready word: the other side is there
        handle = guest.host.grant_memory_object(n, "r+")
        self.assertEqual(guest.call("run", handle, 0, 1), 0)
        data = open(f"/dev/shm/{n}", "rb").read(160)
        self.assertEqual(int.from_bytes(data[0:4], "little"), 1, "the head word")
        self.assertEqual(int.from_bytes(data[132:136], "little"), 7, "message 0's payload")
        self.assertEqual(guest.call("run", guest.host.grant_memory_object(n, "r"), 0, 1), -h.EACCES, "an r grant never maps shared")
        guest.host.close()

    def test_bad_grants_are_typed_errors(self):
        guest = h.Guest(RING)
        for bad, code in [("", "EINVAL"), ("a/b", "EINVAL"), ("..", "EINVAL"), (42, "EINVAL"), (name(), "ENOENT")]:
            with self.assertRaises(MmfError) as err:
                guest.host.grant_memory_object(bad, "r")
            self.assertEqual(err.exception.code, code, bad)
        with self.assertRaises(MmfError) as err:
            guest.host.grant_memory_object(name(), "w")
        self.assertEqual(err.exception.code, "EINVAL")
        guest.host.close()
        with self.assertRaises(MmfError) as err:
            guest.host.grant_memory_object(name(), "w+")
        self.assertEqual(err.exception.code, "ECLOSED")
        self.assertEqual(leftovers(), [])


class ByName(ObjectTest):
    def test_without_a_prefix_no_name_is_reachable(self):
        guest = h.Guest(RING)
        n = name()
        with open(f"/dev/shm/{n}", "w") as f:
            f.write("host's")
        for flags in ("r", "r+", "w+", "wx+"):
            self.assertEqual(guest.call("openObjectError", n, flags), h.EACCES)
        self.assertEqual(guest.call("destroyObject", n), -h.EACCES)
        self.assertEqual(open(f"/dev/shm/{n}").read(), "host's")
        guest.host.close()

    def test_under_the_prefix_the_guest_creates_sizes_writes_and_destroys(self):
        guest = h.Guest(RING, memory_object_prefix=PREFIX)
        n = name()
        self.assertEqual(guest.call("createAndWrite", n, 8192, 4100, 0x5A), 0)
        self.assertEqual(os.stat(f"/dev/shm/{n}").st_size, 8192)
        self.assertEqual(open(f"/dev/shm/{n}", "rb").read()[4100], 0x5A)
        self.assertEqual(guest.call("readObjectByte", f"/{n}", 4100), 0x5A)
        self.assertEqual(guest.call("createAndWrite", n, 8192, 0, 1), -EEXIST)
        for outside in (f"x{PREFIX}", "small.bin", PREFIX[:-1]):
            self.assertEqual(guest.call("openObjectError", outside, "r"), h.EACCES, outside)
        for bad in (f"{PREFIX}/x", f"../{PREFIX}x", "", "..", f"{PREFIX}{'x' * 256}"):
            self.assertEqual(guest.call("openObjectError", bad, "w+"), h.EINVAL, bad)
        self.assertEqual(guest.call("destroyObject", n), 1)
        self.assertEqual(guest.call("destroyObject", n), 0)
        self.assertEqual(leftovers(), [])
        guest.host.close()

    def test_read_write_create_and_things_planted_under_the_prefix(self):
        g = h.RawGuest(memory_object_prefix=PREFIX)
        n = name()
        at = g.call("grow", 1) * 65536
        g.write(n.encode(), at)
        self.assertEqual(g.call("open_object", at, len(n), OPEN_READ_WRITE), -h.ENOENT)
        with open(f"/dev/shm/{n}", "w") as f:
            f.write("kept")
        self.assertGreater(g.call("open_object", at, len(n), OPEN_READ_WRITE), 0)
        created = g.call("open_object", at, len(n), OPEN_CREATE)
        self.assertEqual(g.call("file_size", created), 4, "CREATE keeps an existing object's contents")
        g.host.close()
        guest = h.Guest(RING, memory_object_prefix=PREFIX)
        target = f"/dev/shm/{name()}"
        with open(target, "w") as f:
            f.write("target")
        link, fifo, folder = name(), name(), name()
        os.symlink(target, f"/dev/shm/{link}")
        os.mkfifo(f"/dev/shm/{fifo}")
        os.mkdir(f"/dev/shm/{folder}")
        for flags in ("r", "r+", "w+"):
            self.assertEqual(guest.call("openObjectError", link, flags), h.EACCES)
            self.assertEqual(guest.call("openObjectError", fifo, flags), h.EINVAL)
            self.assertEqual(guest.call("openObjectError", folder, flags), h.EINVAL)
        self.assertEqual(guest.call("openObjectError", link, "wx+"), EEXIST)
        self.assertEqual(open(target).read(), "target")
        self.assertEqual(guest.call("destroyObject", folder), -h.EINVAL)
        self.assertTrue(os.path.isdir(f"/dev/shm/{folder}"), "a folder is not destroyed")
        guest.host.close()

    def test_the_prefix_must_be_a_name(self):
        for prefix in ("", "/", "a/b", "..", 42):
            with self.assertRaises(MmfError) as err:
                h.Guest(RING, memory_object_prefix=prefix)
            self.assertEqual(err.exception.code, "EINVAL")


class Raw(ObjectTest):
    def test_hostile_values(self):
        g = h.RawGuest(memory_object_prefix=PREFIX)
        n = name().encode()
        at = g.call("grow", 1) * 65536
        g.write(n, at)
        size = g.memory_size()
        self.assertEqual(g.call("open_object", at, len(n), OPEN_READ), -h.ENOENT)
        for mode in (4, -1, 0x7FFFFFFF):
            self.assertEqual(g.call("open_object", at, len(n), mode), -h.EINVAL)
        self.assertEqual(g.call("open_object", at, 0, OPEN_CREATE), -h.EINVAL)
        self.assertEqual(g.call("open_object", at, 4096, OPEN_CREATE), -h.EINVAL)
        self.assertEqual(g.call("open_object", size - 2, 8, OPEN_CREATE), -h.ERANGE)
        self.assertEqual(g.call("open_object", h.i32(0xFFFFFFF0), 32, OPEN_CREATE), -h.ERANGE)
        g.write(PREFIX.encode() + b"\xff\xfe", at + 1024)
        self.assertEqual(g.call("open_object", at + 1024, len(PREFIX) + 2, OPEN_CREATE), -h.EINVAL)
        self.assertEqual(g.call("destroy_object", size - 2, 8), -h.ERANGE)
        self.assertEqual(leftovers(), [])
        handle = g.call("open_object", at, len(n), OPEN_CREATE_NEW)
        self.assertGreater(handle, 0)
        self.assertEqual(g.call("open_object", at, len(n), OPEN_CREATE_NEW), -EEXIST)
        self.assertEqual(g.call("open", at, len(n), OPEN_CREATE_NEW), -h.EINVAL)
        self.assertEqual(g.call("truncate", handle, 2**32 + 4096), 0)
        self.assertEqual(g.call("file_size", handle), 2**32 + 4096)
        self.assertEqual(g.call("truncate", handle, -1), -h.EINVAL)
        self.assertEqual(g.call("truncate", handle, -(2**63)), -h.EINVAL)
        self.assertEqual(g.call("truncate", handle, 2**62), -h.ERANGE)
        self.assertEqual(g.call("truncate", handle + 1000, 0), -h.EBADF)
        reader = g.call("open_object", at, len(n), OPEN_READ)
        self.assertEqual(g.call("truncate", reader, 0), -h.EACCES)
        self.assertEqual(g.call("file_size", handle), 2**32 + 4096, "unchanged")
        self.assertEqual(g.call("destroy_object", at, len(n)), 1)
        g.host.close()
        # The order: a bad mode is EINVAL before the prefix is asked, also on a host that allows no name.
        closed = h.RawGuest()
        at = closed.call("grow", 1) * 65536
        closed.write(n, at)
        self.assertEqual(closed.call("open_object", at, len(n), 4), -h.EINVAL)
        self.assertEqual(closed.call("open_object", at, len(n), OPEN_CREATE), -h.EACCES)
        self.assertEqual(closed.call("destroy_object", closed.memory_size(), 1), -h.ERANGE)
        closed.host.close()


@unittest.skipUnless(shutil.which("node"), "no node on PATH")
class WithNode(ObjectTest):
    def test_a_node_process_and_a_wasmtime_guest_exchange_messages(self):
        count = 1_000_000 if h.RELIABILITY else 100_000
        n = name()
        with open(f"/dev/shm/{n}", "wb") as f:
            f.truncate(65536)
        producer = subprocess.Popen(["node", str(h.ROOT / "test" / "fixtures" / "ring.mjs"), n, "0", str(count), "js"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        guest = h.Guest(RING)
        bad = guest.call("run", guest.host.grant_memory_object(n, "r+"), 1, count)
        out, err = producer.communicate(timeout=120)
        self.assertEqual(producer.returncode, 0, err)
        self.assertEqual(bad, 0, "every message arrived with its sequence and payload")
        data = open(f"/dev/shm/{n}", "rb").read(68)
        self.assertEqual((int.from_bytes(data[0:4], "little"), int.from_bytes(data[64:68], "little")), (count, count))
        guest.host.close()


if __name__ == "__main__":
    h.run()
