"""Named shared memory objects (go-ipc's shm.MemoryObject): files in /dev/shm, as shm_open(3) makes
them on Linux. The same names and answers as the Node host's host/memory-object.ts: one component
of 1 to 255 UTF-8 bytes, no "/" or NUL, not "." or ".."; one leading "/" (shm_open's "/name") is
dropped. Opened O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC; anything but a regular file is EINVAL."""
import errno
import os
import stat

from .errors import MmfError, code_from_errno, error_from_code

SHM_DIR = "/dev/shm"
MAX_OBJECT_NAME = 255
_COMMON = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
# "r", "r+", "w+" (created if missing, an existing object keeps its contents), "wx+" (created, EEXIST if it exists).
FLAGS = {"r": os.O_RDONLY, "r+": os.O_RDWR, "w+": os.O_RDWR | os.O_CREAT, "wx+": os.O_RDWR | os.O_CREAT | os.O_EXCL}


def checked_name(operation: str, name: object) -> str:
    """The bare name, or MmfError EINVAL saying why it is not one."""
    if not isinstance(name, str):
        raise MmfError("EINVAL", f"{operation}: a memory object's name must be a string, got {type(name).__name__}")
    bare = name[1:] if name.startswith("/") else name
    why = None
    if not bare:
        why = "it is empty"
    elif bare in (".", ".."):
        why = f'"{bare}" names a folder'
    elif "/" in bare:
        why = 'it holds a "/"'
    elif "\0" in bare:
        why = "it holds a NUL"
    else:
        try:
            if len(bare.encode("utf-8")) > MAX_OBJECT_NAME:
                why = f"it is longer than {MAX_OBJECT_NAME} bytes (NAME_MAX)"
        except UnicodeEncodeError:
            why = "it is not valid Unicode (a lone surrogate)"
    if why:
        raise MmfError("EINVAL", f"{operation}: bad memory object name {name!r}: {why}")
    return bare


def open_object(operation: str, name: str, flags: str, perm: int = 0o666) -> int:
    """A descriptor of /dev/shm/NAME (a regular file), or MmfError."""
    bare = checked_name(operation, name)
    if flags not in FLAGS:
        raise MmfError("EINVAL", f'{operation}: flags must be "r", "r+", "w+" or "wx+", got {flags!r}')
    path = f"{SHM_DIR}/{bare}"
    try:
        fd = os.open(path, FLAGS[flags] | _COMMON, perm)
    except OSError as err:
        if err.errno == errno.ENOENT and not os.path.isdir(SHM_DIR):
            raise MmfError("ENOENT", f"{operation}: {SHM_DIR} is missing: this system has no POSIX shared memory file system") from None
        if err.errno == errno.ELOOP:
            raise MmfError("EACCES", f"{operation}: {path} is a symbolic link, never followed") from None
        raise error_from_code(operation, code_from_errno(err.errno), err.strerror) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise MmfError("EINVAL", f"{operation}: {path} is not a memory object (a regular file)")
    return fd


def destroy_object(operation: str, name: str) -> bool:
    """Removes the name (never what a symlink there points at); whether it existed."""
    path = f"{SHM_DIR}/{checked_name(operation, name)}"
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as err:
        raise error_from_code(operation, code_from_errno(err.errno), err.strerror) from None
    return True
