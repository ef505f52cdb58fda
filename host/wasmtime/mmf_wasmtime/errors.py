"""The error codes of the `mmf` ABI (docs/abi.md) and the errors the host raises."""
import errno

# Code numbers as Wasm functions return them (negated on failure); the same numbers as
# assembly/errors.ts and host/errors.ts. A new code is one more line here.
CODES = {
    "EINVAL": 1,
    "ERANGE": 2,
    "EACCES": 3,
    "EBADF": 4,
    "ECLOSED": 5,
    "ENOMEM": 6,
    "EIO": 7,
    "ETRUNCATED": 8,
    "ENOENT": 9,
    "ENOSPC": 10,
}
NAMES = {number: name for name, number in CODES.items()}

# Which ABI code a failed system call's errno becomes (host/errors.ts codeFromErrno); any errno
# not listed is EIO. EXDEV and ELOOP: a path that would lead out of its preopen, or through a symlink.
_FROM_ERRNO = {
    "EINVAL": ("EINVAL", "ENODEV", "EOVERFLOW", "EISDIR", "ENAMETOOLONG"),
    "ERANGE": ("ERANGE", "EFBIG", "ENXIO"),
    "EACCES": ("EACCES", "EPERM", "ETXTBSY", "EROFS", "EXDEV", "ELOOP"),
    "EBADF": ("EBADF",),
    "ENOMEM": ("ENOMEM", "EAGAIN", "EMFILE", "ENFILE"),
    "ENOENT": ("ENOENT", "ENOTDIR"),
    "ENOSPC": ("ENOSPC", "EDQUOT"),
}
_CODE_OF_ERRNO = {getattr(errno, e): CODES[name] for name, errnos in _FROM_ERRNO.items() for e in errnos}


def code_from_errno(err: int) -> int:
    """The negated ABI code for an errno value (positive, as os.strerror takes it)."""
    return -_CODE_OF_ERRNO.get(err, CODES["EIO"])


class MmfError(Exception):
    """What the host's own methods raise (never into the guest): `code` names the ABI code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{message} ({code})")
        self.code = code


def error_from_code(operation: str, negated_code: int, detail: str = "") -> MmfError:
    name = NAMES.get(abs(negated_code), "EIO")
    return MmfError(name, f"{operation}: {detail or name}")


class GuestError(Exception):
    """Raised inside an import; the import returns the negated code instead (the guest never sees an exception)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.code = CODES[name]

    @staticmethod
    def from_errno(err: int) -> "GuestError":
        return GuestError(NAMES[-code_from_errno(err)])
