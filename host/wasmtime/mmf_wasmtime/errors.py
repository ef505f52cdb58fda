"""The error codes of the `mmf` ABI (docs/abi.md) and the errors the host raises. The numbers, texts
and the errno values behind each code come from abi.py, generated from abi/abi.json."""
import errno

from .abi import CODES, ERRNOS, TEXTS

NAMES = {number: name for name, number in CODES.items()}

# Which ABI code a failed system call's errno becomes; any errno not listed is EIO (names this
# platform lacks, such as WASI's ENOTCAPABLE, are left out).
_CODE_OF_ERRNO = {getattr(errno, e): CODES[name] for name, errnos in ERRNOS.items() for e in errnos if hasattr(errno, e)}


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
    return MmfError(name, f"{operation}: {detail or TEXTS[name]}")


class GuestError(Exception):
    """Raised inside an import; the import returns the negated code instead (the guest never sees an exception)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.code = CODES[name]

    @staticmethod
    def from_errno(err: int) -> "GuestError":
        return GuestError(NAMES[-code_from_errno(err)])
