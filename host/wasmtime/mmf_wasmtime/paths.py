"""Guest paths: which preopen a path falls under, and opening it there without escaping.

A path is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) beneath its preopen's
folder, so no "..", absolute path or symlink (magic links such as /proc/self/mem included) is
followed. Where the kernel lacks openat2, a walk opens one component at a time with O_NOFOLLOW
and refuses every ".." and every symlink: the same answers. Only regular files come back: a folder, FIFO or device
is closed again (opened non-blocking, so a FIFO cannot block the host)."""
import ctypes
import errno
import os
import stat
from typing import Optional

from .abi import MAX_PATH, OPEN_CREATE, OPEN_READ, OPEN_READ_WRITE
from .errors import MmfError, error_from_code, code_from_errno

# The kernel's openat2 (Linux 5.6): the same number on every architecture.
SYS_openat2 = 437
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
_COMMON = os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK
# open(2) flags of the ABI's open modes.
OPEN_FLAGS = {OPEN_READ: os.O_RDONLY | _COMMON, OPEN_READ_WRITE: os.O_RDWR | _COMMON, OPEN_CREATE: os.O_RDWR | os.O_CREAT | os.O_TRUNC | _COMMON}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def _openat2(dirfd: int, path: bytes, flags: int) -> int:
    """fd, or -errno."""
    how = _OpenHow(flags, 0o644 if flags & os.O_CREAT else 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
    fd = _libc.syscall(ctypes.c_long(SYS_openat2), ctypes.c_int(dirfd), ctypes.c_char_p(path), ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)))
    return fd if fd >= 0 else -ctypes.get_errno()


def _is_symlink(dirfd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dirfd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def open_beneath_walk(dirfd: int, path: str, flags: int) -> int:
    """openat2's stand-in: one component at a time, no "..", no symlink anywhere. fd or -errno."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return -errno.EINVAL
    current = dirfd
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "..":
                return -errno.EXDEV
            if part == ".":
                if last:
                    return -errno.EISDIR
                continue
            try:
                fd = os.open(part, (flags if last else os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) | os.O_NOFOLLOW, 0o644, dir_fd=current)
            except OSError as err:
                # A symlinked folder fails O_DIRECTORY|O_NOFOLLOW with ENOTDIR too: refused as a symlink.
                if err.errno == errno.ENOTDIR and not last and _is_symlink(current, part):
                    return -errno.ELOOP
                return -err.errno
            if last:
                return fd
            if current != dirfd:
                os.close(current)
            current = fd
        return -errno.ENOENT
    finally:
        if current != dirfd:
            os.close(current)


def beneath_preopen(rest: str) -> str:
    """The part of a guest path below its preopen, as it is opened (docs/abi.md, "Guest paths"): no
    empty or "." components; a ".." anywhere is EACCES (even one that would stay inside), and a path
    that names a folder (the preopen itself, a trailing "/" or ".") EINVAL. Raises OSError."""
    parts = [part for part in rest.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise OSError(errno.EACCES, "a .. component")
    if not parts or rest.endswith("/") or rest.endswith("/.") or rest == ".":
        raise OSError(errno.EINVAL, "names a folder")
    return "/".join(parts)


def _regular_only(fd: int) -> int:
    """Passes a regular file's fd through; closes anything else. fd or -errno."""
    if fd < 0:
        return fd
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return fd
    os.close(fd)
    return -errno.EISDIR if stat.S_ISDIR(mode) else -errno.ENODEV


def open_beneath(dirfd: int, path: str, mode: int) -> int:
    """Opens `path` (relative) beneath the folder `dirfd` with an ABI open mode. fd or -errno."""
    flags = OPEN_FLAGS[mode]
    encoded = path.encode()
    if len(encoded) >= MAX_PATH - 1:
        return -errno.EINVAL
    fd = _openat2(dirfd, encoded, flags)
    if fd in (-errno.ENOSYS, -errno.EPERM):  # no openat2 here (an old kernel, or a seccomp filter)
        fd = open_beneath_walk(dirfd, path, flags)
    return _regular_only(fd)


class Preopens:
    """Guest folder -> host folder descriptor, longest guest path first ("/data/sub" wins over "/data")."""

    def __init__(self, preopens: dict[str, str]):
        self._folders: list[tuple[str, int]] = []
        try:
            for guest, host in preopens.items():
                if not isinstance(guest, str) or not guest.startswith("/") or not isinstance(host, (str, os.PathLike)):
                    raise MmfError("EINVAL", f"MmfHost: a preopen maps an absolute guest path to a host folder, got {guest!r} -> {host!r}")
                try:
                    dirfd = os.open(os.path.abspath(host), os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                except OSError as err:
                    raise error_from_code(f"MmfHost: preopen {guest} -> {host}", code_from_errno(err.errno), err.strerror) from None
                except ValueError as err:  # a NUL in the host path
                    raise MmfError("EINVAL", f"MmfHost: preopen {guest} -> {host!r}: {err}") from None
                self._folders.append((guest.rstrip("/") or "/", dirfd))
        except BaseException:
            self.close()
            raise
        self._folders.sort(key=lambda folder: -len(folder[0]))

    def find(self, path: str) -> Optional[tuple[int, str]]:
        """(folder descriptor, the rest of the path), or None outside every preopen."""
        for guest, dirfd in self._folders:
            if path == guest or path.startswith("/" if guest == "/" else guest + "/"):
                return dirfd, path[len(guest):]
        return None

    def close(self) -> None:
        for _, dirfd in self._folders:
            os.close(dirfd)
        self._folders.clear()
