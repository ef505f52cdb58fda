"""The Wasmtime host of the `mmf` ABI, through a guest that calls the raw imports: the checks and
codes of docs/abi.md, PROT_READ for READ_ONLY maps, truncation, a memory that moves, a shared
memory imported past wasmtime-py#318, grants, preopens, the component walk, and cleanup."""
import ast
import errno
import os
import signal
import unittest

import harness as h
import wasmtime
from mmf_wasmtime import MAP_READ_ONLY, MAP_SHARED, MmfError, MmfHost
from mmf_wasmtime.abi import ADVICE_COUNT, ADVICE_SEQUENTIAL, MAP_FLAGS_ALL
from mmf_wasmtime.paths import OPEN_FLAGS, open_beneath_walk

DIR = h.temp_dir()
DATA = DIR / "data"
(DATA / "sub").mkdir(parents=True)
BYTES = h.pattern(3 * 65536 + 77, 5)
FILE = h.write_file(DATA, "file.bin", BYTES)
SECRET = h.write_file(DIR, "secret.bin", h.pattern(5000, 9))
h.write_file(DATA / "sub", "inner.bin", BYTES)
os.symlink(SECRET, DATA / "link-out.bin")
os.symlink(DIR, DATA / "dir-out")
os.symlink("file.bin", DATA / "link-in.bin")
os.symlink("/proc/self/mem", DATA / "mem")
PS = h.PAGE


class Checks(unittest.TestCase):
    def setUp(self):
        FILE.write_bytes(BYTES)

    def test_a_map_never_lands_outside_the_memory_over_a_live_mapping_or_past_the_end_of_the_file(self):
        g = h.RawGuest()
        size = g.memory_size()
        handle = g.host.grant(FILE, "r+")
        m = lambda *a: g.call("map", *a)  # noqa: E731
        self.assertEqual(m(handle, 0, size, PS, 0), -h.ERANGE, "past the memory")
        self.assertEqual(m(handle, 0, size - PS, 2 * PS, 0), -h.ERANGE, "straddling the end of the memory")
        self.assertEqual(m(handle, 0, -PS, PS, 0), -h.ERANGE, "an address read unsigned: 2^32 - page")
        self.assertEqual(m(handle, 0, 100, PS, 0), -h.EINVAL, "unaligned address")
        self.assertEqual(m(handle, 1, 0, PS, 0), -h.EINVAL, "unaligned file offset")
        self.assertEqual(m(handle, -PS, 0, PS, 0), -h.EINVAL, "negative file offset")
        self.assertEqual(m(handle, 0, 0, 0, 0), -h.EINVAL, "empty")
        self.assertEqual(m(handle, -(-len(BYTES) // PS) * PS, 0, PS, 0), -h.ERANGE, "a whole page past the end of the file")
        self.assertEqual(m(handle, 0, 0, PS, MAP_FLAGS_ALL + 1), -h.EINVAL, "an unknown flag bit")
        self.assertEqual(m(handle, 0, 0, PS, -1), -h.EINVAL, "every flag bit")
        self.assertEqual(m(12345, 0, 0, PS, 0), -h.EBADF, "an unknown handle")
        self.assertEqual(m(handle, 0, 2 * PS, 2 * PS, MAP_SHARED), 0)
        self.assertEqual(m(handle, 0, 3 * PS, PS, 0), -h.EINVAL, "overlaps a live mapping")
        self.assertEqual(m(handle, 0, PS, 2 * PS, 0), -h.EINVAL, "overlaps a live mapping from below")
        self.assertEqual(g.call("unmap", 2 * PS, PS), -h.EINVAL, "only whole mappings unmap")
        self.assertEqual(g.call("sync", 3 * PS, PS, 0), 0, "sync inside a mapping")
        self.assertEqual(g.call("sync", 3 * PS, 2 * PS, 0), -h.EINVAL, "sync past a mapping")
        self.assertEqual(g.call("advise", 2 * PS, 2 * PS, ADVICE_SEQUENTIAL), 0)
        self.assertEqual(g.call("advise", 2 * PS, 2 * PS, ADVICE_COUNT), -h.EINVAL, "unknown advice")
        self.assertEqual(g.call("truncated", 2 * PS, 2 * PS), 0)
        self.assertEqual(g.call("truncated", 3 * PS, PS), 0, "truncated answers for the mapping that holds the range")
        self.assertEqual(g.call("truncated", PS, PS), -h.EINVAL, "a range that is no mapping's")
        self.assertEqual(g.call("watch", 2), -h.EINVAL, "an unaligned epoch word")
        self.assertEqual(g.call("watch", size), -h.ERANGE, "an epoch word past the memory")
        self.assertEqual(g.call("watch", size - 4), 0, "the last word of the memory")
        self.assertEqual(g.call("file_size", handle), len(BYTES))
        self.assertEqual(g.call("file_size", 0), -h.EBADF)
        self.assertEqual(g.call("unmap", 2 * PS, 2 * PS), 0)
        self.assertEqual(g.call("unmap", 2 * PS, 2 * PS), -h.EINVAL, "already unmapped")
        g.host.close()
        self.assertEqual(m(handle, 0, 0, PS, 0), -h.EBADF, "after close the handle is gone")
        self.assertEqual(g.call("unmap", 0, PS), -h.EINVAL, "after close nothing is mapped")

    def test_a_shared_map_needs_a_read_write_grant_and_writes_reach_the_file(self):
        g = h.RawGuest()
        ro, rw = g.host.grant(FILE, "r"), g.host.grant(FILE, "r+")
        self.assertEqual(g.call("map", ro, 0, 0, PS, MAP_SHARED), -h.EACCES)
        self.assertEqual(g.call("map", ro, 0, 0, PS, MAP_SHARED | MAP_READ_ONLY), -h.EACCES, "READ_ONLY changes no check")
        self.assertEqual(g.call("map", rw, PS, 0, PS, MAP_SHARED), 0)
        g.call("store8", 7, 0x5A)
        self.assertEqual(FILE.read_bytes()[PS + 7], 0x5A)
        self.assertEqual(g.call("map", ro, 0, PS, PS, 0), 0)
        g.call("store8", PS + 9, 0x6B)
        self.assertEqual(g.call("load8", PS + 9), 0x6B, "a private writable map takes stores")
        self.assertEqual(FILE.read_bytes()[9], BYTES[9], "and keeps them private")
        g.host.close()

    def test_read_only_maps_are_prot_read_and_a_stray_store_traps_cleanly(self):
        g = h.RawGuest()
        handle = g.host.grant(FILE, "r+")
        self.assertEqual(g.call("map", handle, 0, 4 * PS, 2 * PS, MAP_READ_ONLY), 0)
        self.assertEqual(g.call("map", handle, 0, 8 * PS, PS, MAP_READ_ONLY | MAP_SHARED), 0)
        self.assertEqual(g.call("map", handle, 0, 12 * PS, PS, 0), 0)
        perms = sorted(line.split()[1] for line in h.maps_of(FILE))
        self.assertEqual(perms, ["r--p", "r--s", "rw-p"])
        self.assertEqual(g.call("load8", 4 * PS + 3), BYTES[3])
        for at in (4 * PS + 3, 8 * PS):
            with self.assertRaises(wasmtime.Trap) as trapped:
                g.call("store8", at, 1)
            self.assertEqual(trapped.exception.trap_code, wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS)
        self.assertEqual(FILE.read_bytes(), BYTES, "nothing reached the file")
        self.assertEqual(g.call("load8", 4 * PS + 3), BYTES[3], "the guest runs on after the trap")
        self.assertEqual(g.call("grow", 1), 64)
        with self.assertRaises(wasmtime.Trap):
            g.call("store8", 4 * PS + 3, 1)  # Wasmtime protected only the new page on grow
        self.assertEqual(g.call("unmap", 4 * PS, 2 * PS), 0)
        g.call("store8", 4 * PS + 3, 1)  # zeroed read-write memory is back
        self.assertEqual(g.call("load8", 4 * PS + 3), 1)
        g.host.close()
        self.assertEqual(h.maps_of(FILE), [])


class Truncation(unittest.TestCase):
    def test_a_load_past_the_new_end_reads_zero_bumps_the_epoch_and_marks_the_mapping(self):
        path = h.write_file(DIR, "truncate.bin", bytes([7]) * (8 * PS))
        g = h.RawGuest()
        handle = g.host.grant(path, "r")
        epoch = 64
        self.assertEqual(g.call("watch", epoch), 0)
        self.assertEqual(g.call("map", handle, 0, 16 * PS, 8 * PS, MAP_READ_ONLY), 0)
        self.assertEqual(g.call("load8", 16 * PS + 6 * PS), 7)
        os.truncate(path, PS)
        self.assertEqual(g.call("load8", 16 * PS + 6 * PS), 0, "a Wasm load past the new end reads zero")
        self.assertEqual(g.call("load8", 16 * PS), 7, "the page before the end is still the file's")
        self.assertEqual(int.from_bytes(g.read(epoch, 4), "little"), 1, "the guard bumped the epoch word")
        self.assertEqual(g.call("truncated", 16 * PS, 8 * PS), 1)
        self.assertEqual(g.call("unmap", 16 * PS, 8 * PS), 0)
        g.host.close()

    def test_the_epoch_word_never_lies_in_a_prot_read_page_so_a_truncation_cannot_crash_the_host(self):
        # The guard bumps the epoch word from its SIGBUS handler; in a PROT_READ page that store would
        # fault in the handler and end the process. A hostile guest may aim the word anywhere.
        FILE.write_bytes(BYTES)
        for order in ("watch inside a read-only mapping", "read-only mapping over the watched word"):
            path = h.write_file(DIR, "truncate.bin", bytes([7]) * (8 * PS))
            g = h.RawGuest()
            ro, handle = g.host.grant(FILE, "r"), g.host.grant(path, "r")
            word = 4 * PS + 8
            if order == "watch inside a read-only mapping":
                self.assertEqual(g.call("map", ro, 0, 4 * PS, PS, MAP_READ_ONLY), 0)
                self.assertEqual(g.call("watch", word), 0)
                self.assertEqual(g.call("map", handle, 0, 16 * PS, 8 * PS, 0), 0)
                want_perms, want_word = "r--p", BYTES[8]  # the word stays unbumped: the guest loses its signal
            else:
                self.assertEqual(g.call("watch", word), 0)
                self.assertEqual(g.call("map", handle, 0, 16 * PS, 8 * PS, 0), 0)
                self.assertEqual(g.call("map", ro, 0, 4 * PS, PS, MAP_READ_ONLY), 0)
                want_perms, want_word = "rw-p", BYTES[8] + 1  # READ_ONLY not honoured over the word: it is bumped
            self.assertEqual([line.split()[1] for line in h.maps_of(FILE)], [want_perms], order)
            os.truncate(path, PS)
            self.assertEqual(g.call("load8", 16 * PS + 6 * PS), 0, order)
            self.assertEqual(g.call("truncated", 16 * PS, 8 * PS), 1, order)
            self.assertEqual(g.call("load8", word), want_word & 0xFF, order)
            g.host.close()

    def test_a_sigbus_that_is_not_ours_keeps_its_old_behaviour(self):
        prelude = f"""
import os, signal, sys
sys.path.insert(0, {str(h.ROOT / 'test' / 'wasmtime')!r})
import harness as h
g = h.RawGuest()
g.call("map", g.host.grant({str(FILE)!r}, "r"), 0, 0, {PS}, 0)  # installs the guard
"""
        # Python's own handler must be installed before the guard: signal.signal() afterwards replaces the guard.
        chained = h.python_run("-c", """
import os, signal, sys
signal.signal(signal.SIGBUS, lambda *a: (print("earlier handler"), sys.exit(0)))
""" + prelude.replace("import os, signal, sys", "") + """
os.kill(os.getpid(), signal.SIGBUS)
""")
        self.assertEqual(chained.returncode, 0, chained.stderr)
        self.assertIn("earlier handler", chained.stdout)
        default = h.python_run("-c", prelude + "\nos.kill(os.getpid(), signal.SIGBUS)\n")
        self.assertEqual(default.returncode, -signal.SIGBUS, "the default action still ends the process")


class Memory(unittest.TestCase):
    def test_engine_config_reserves_4_gib_and_the_memory_never_moves(self):
        g = h.RawGuest()
        base = g._view.base()
        self.assertEqual(g.call("grow", 192), 64)
        self.assertEqual(g._view.base(), base)
        handle = g.host.grant(FILE, "r")
        self.assertEqual(g.call("map", handle, 0, 200 * 65536, PS, 0), 0, "mapping into grown memory")
        g.host.close()

    def test_a_memory_that_moved_is_refused_with_eio_and_never_mapped_into(self):
        config = wasmtime.Config()
        config.memory_reservation, config.memory_guard_size, config.memory_reservation_for_growth = 64 * 65536, 0, 0
        config.memory_may_move = True
        g = h.RawGuest(engine=wasmtime.Engine(config))
        handle = g.host.grant(FILE, "r")
        self.assertEqual(g.call("map", handle, 0, 0, PS, 0), 0)
        base = g._view.base()
        self.assertEqual(g.call("grow", 100), 64)
        self.assertNotEqual(g._view.base(), base, "this config moves the memory on grow")
        self.assertEqual(h.maps_of(FILE), [], "the old pages went with the old memory")
        for name, args in [("map", (handle, 0, PS, PS, 0)), ("unmap", (0, PS)), ("sync", (0, PS, 0)), ("open", (0, 1, 0)), ("watch", (0,))]:
            self.assertEqual(g.call(name, *args), -h.EIO, name)
        g.host.close()  # forgets the mapping of the old memory, touches nothing
        self.assertEqual(g.host.mapping_count, 0)

    def test_a_shared_memory_is_imported_past_wasmtime_py_318_and_mapped_into(self):
        with self.assertRaises(TypeError):  # the upstream bug this works around; remove the workaround once this fails
            linker = wasmtime.Linker(h.ENGINE)
            linker.define(wasmtime.Store(h.ENGINE), "env", "memory", wasmtime.SharedMemory(h.ENGINE, wasmtime.MemoryType(wasmtime.Limits(1, 1), shared=True)))
        g = h.RawGuest(shared=True)
        handle = g.host.grant(FILE, "r+")
        self.assertEqual(g.call("map", handle, 0, 4 * PS, PS, MAP_SHARED), 0)
        self.assertEqual(g.call("load8", 4 * PS + 11), BYTES[11], "the guest sees the file through its imported memory")
        g.call("store8", 4 * PS + 11, 0x42)
        self.assertEqual(FILE.read_bytes()[11], 0x42)
        g.host.close()

    def test_attach_takes_an_instance_or_a_memory_once(self):
        store = wasmtime.Store(h.ENGINE)
        host = MmfHost(store)
        no_memory = wasmtime.Instance(store, wasmtime.Module(h.ENGINE, "(module)"), [])
        with self.assertRaises(MmfError) as err:
            host.attach(no_memory)
        self.assertEqual(err.exception.code, "EINVAL")
        first = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
        host.attach(first)
        host.attach(first)  # the same memory again is fine
        with self.assertRaises(MmfError) as err:
            host.attach(wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None))))
        self.assertEqual(err.exception.code, "EINVAL")
        other = wasmtime.Store(h.ENGINE)  # Wasmtime aborts the process when an object meets another store
        for foreign in (wasmtime.Memory(other, wasmtime.MemoryType(wasmtime.Limits(1, None))),
                        wasmtime.Instance(other, wasmtime.Module(h.ENGINE, '(module (memory (export "memory") 1))'), [])):
            with self.assertRaises(MmfError) as err:
                MmfHost(store).attach(foreign)
            self.assertEqual(err.exception.code, "EINVAL")
        host.close()
        with self.assertRaises(MmfError) as err:
            host.attach(first)
        self.assertEqual(err.exception.code, "ECLOSED")

    def test_a_host_that_is_not_attached_answers_einval(self):
        host = MmfHost(wasmtime.Store(h.ENGINE))
        handle = host.grant(FILE, "r")
        self.assertEqual(host.imports["map"](handle, 0, 0, PS, 0), -h.EINVAL)
        self.assertEqual(host.imports["file_size"](handle), len(BYTES))
        host.close()


class Handles(unittest.TestCase):
    def test_grants_and_their_errors(self):
        g = h.RawGuest(max_handles=2)
        other = h.RawGuest()
        handle = g.host.grant(FILE, "r")
        self.assertEqual(other.call("file_size", handle), -h.EBADF, "a handle means nothing to another guest")
        for path, mode, code in [(DIR / "nope.bin", "r", "ENOENT"), (DATA, "r", "EINVAL"), (FILE, "w", "EINVAL"),
                                 (f"{FILE}\0x", "r", "EINVAL"), (None, "r", "EINVAL")]:
            with self.assertRaises(MmfError) as err:
                g.host.grant(path, mode)
            self.assertEqual(err.exception.code, code, f"{path} {mode}")
        g.host.grant(FILE, "r")
        with self.assertRaises(MmfError) as err:
            g.host.grant(FILE, "r")
        self.assertEqual(err.exception.code, "ENOMEM", "max_handles")
        self.assertEqual(g.call("close", handle), 0)
        self.assertEqual(g.call("close", handle), -h.EBADF, "closed twice")
        g.host.close()
        other.host.close()
        with self.assertRaises(MmfError) as err:
            g.host.grant(FILE, "r")
        self.assertEqual(err.exception.code, "ECLOSED")

    def test_preopens_must_be_absolute_guest_paths_to_existing_folders(self):
        store = wasmtime.Store(h.ENGINE)
        for preopens, code in [({"data": str(DATA)}, "EINVAL"), ({"/x": str(DIR / "missing")}, "ENOENT"), ({"/x": str(FILE)}, "ENOENT"),
                                ({"/x": "a\0b"}, "EINVAL"), ({"/x": None}, "EINVAL")]:
            fds = h.open_fds()
            with self.assertRaises(MmfError) as err:
                MmfHost(store, preopens={"/ok": str(DATA), **preopens})
            self.assertEqual(err.exception.code, code, preopens)
            self.assertEqual(h.open_fds(), fds, "the preopens opened before the bad one are closed")

    def test_the_component_walk_refuses_every_symlink_and_dot_dot(self):
        dirfd = os.open(DATA, os.O_PATH | os.O_DIRECTORY)
        fds = h.open_fds()
        fd = open_beneath_walk(dirfd, "sub/inner.bin", OPEN_FLAGS[0])
        self.assertGreater(fd, 0)
        os.close(fd)
        fd = open_beneath_walk(dirfd, "./sub/./inner.bin", OPEN_FLAGS[0])
        self.assertGreater(fd, 0, "a . is only skipped")
        os.close(fd)
        for path, code in [("../secret.bin", errno.EXDEV), ("sub/../../secret.bin", errno.EXDEV), ("link-out.bin", errno.ELOOP),
                           ("dir-out/secret.bin", errno.ELOOP), ("link-in.bin", errno.ELOOP), ("mem", errno.ELOOP),
                           ("sub/../file.bin", errno.EXDEV), ("sub/.", errno.EISDIR), ("missing", errno.ENOENT), ("", errno.EINVAL)]:
            self.assertEqual(open_beneath_walk(dirfd, path, OPEN_FLAGS[0]), -code, path)
        self.assertEqual(h.open_fds(), fds, "no descriptor left by a refused walk")
        os.close(dirfd)

    def test_out_of_descriptors_a_guest_open_is_enomem_and_the_host_goes_on(self):
        run = h.python_run("-c", f"""
import resource, sys
sys.path.insert(0, {str(h.ROOT / 'test' / 'wasmtime')!r})
import harness as h
g = h.RawGuest(preopens={{"/data": {str(DATA)!r}}})
path = b"/data/file.bin"
g.write(path, 1024)
resource.setrlimit(resource.RLIMIT_NOFILE, (h.open_fds() + 4, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
codes = [g.call("open", 1024, len(path), 0) for _ in range(10)]
print([c if c < 0 else "handle" for c in codes])
g.call("close", max(codes))
print(g.call("open", 1024, len(path), 0) > 0, g.host.handle_count)
g.host.close()
""")
        self.assertEqual(run.returncode, 0, run.stderr)
        first, second = run.stdout.splitlines()
        codes = ast.literal_eval(first)  # a printed list of "handle" and negative codes
        self.assertIn("handle", codes)
        self.assertEqual(set(codes) - {"handle"}, {-h.ENOMEM}, "EMFILE is ENOMEM")
        self.assertTrue(second.startswith("True"), "a closed handle makes room again")

    def test_a_fifo_in_a_preopen_is_refused_without_blocking(self):
        fifo = DATA / "fifo"
        os.mkfifo(fifo)
        g = h.RawGuest(preopens={"/data": str(DATA)})
        path = b"/data/fifo"
        g.write(path, 1024)
        self.assertEqual(g.call("open", 1024, len(path), 0), -h.EINVAL)
        g.host.close()
        fifo.unlink()

    def test_the_context_manager_releases_everything(self):
        fds = h.open_fds()
        store = wasmtime.Store(h.ENGINE)
        memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(4, None)))
        with MmfHost(store, preopens={"/data": str(DATA)}) as host:
            host.attach(memory)
            handle = host.grant(FILE, "r+")
            for i in range(4):
                self.assertEqual(host.imports["map"](handle, 0, i * 2 * PS, PS, i % 2), 0)
            self.assertEqual(host.mapping_count, 4)
        self.assertEqual(h.open_fds(), fds)
        self.assertEqual(h.maps_of(FILE), [])
        host.close()  # idempotent

    def test_without_the_library_the_host_says_how_to_build_it(self):
        run = h.python_run("-c", """
import wasmtime
from mmf_wasmtime import MmfHost, MmfError
try:
    MmfHost(wasmtime.Store())
except MmfError as err:
    print(err.code, err)
""", env={"MMF_WASMTIME_LIB": "/nonexistent/libmmf_wasmtime.so"})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertTrue(run.stdout.startswith("EIO "), run.stdout)
        self.assertIn("npm run build:wasmtime", run.stdout)


if __name__ == "__main__":
    h.run()
