"""Generated from abi/abi.json by scripts/gen-abi.mjs: do not edit (npm run build rewrites it).
The numbers of the `mmf` ABI (docs/abi.md) for the Wasmtime host."""

ABI_VERSION = 3

# Code numbers as the imports return them (negated on failure), by name, and their one-line texts.
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
    "EEXIST": 11,
    "ENOTSUP": 12,
}
TEXTS = {
    "EINVAL": "invalid argument",
    "ERANGE": "offset or size beyond the end of the object",
    "EACCES": "not allowed by the region's mode or the file's access",
    "EBADF": "bad or closed file handle",
    "ECLOSED": "the region is closed",
    "ENOMEM": "no room: the 4 GiB Wasm address space, a budget of live mappings, or the system's memory",
    "EIO": "system call failed",
    "ETRUNCATED": "the file was truncated under the region",
    "ENOENT": "no such file",
    "ENOSPC": "no space left on the file's device: bytes written through the region may not have reached the file",
    "EEXIST": "the object already exists",
    "ENOTSUP": "not supported by this host or backend",
}
# The errno names a host turns into each code; any errno not listed is EIO.
ERRNOS = {
    "EINVAL": ("EINVAL", "ENODEV", "ENXIO", "EOVERFLOW", "EISDIR", "ENAMETOOLONG"),
    "ERANGE": ("ERANGE", "EFBIG"),
    "EACCES": ("EACCES", "EPERM", "ETXTBSY", "EROFS", "EXDEV", "ELOOP", "ENOTCAPABLE"),
    "EBADF": ("EBADF",),
    "ENOMEM": ("ENOMEM", "EAGAIN", "EMFILE", "ENFILE"),
    "ENOENT": ("ENOENT", "ENOTDIR"),
    "ENOSPC": ("ENOSPC", "EDQUOT"),
    "EEXIST": ("EEXIST",),
    "ENOTSUP": ("ENOTSUP",),
}

# Bits of the `flags` argument of `map`.
MAP_SHARED = 1
MAP_POPULATE = 2
MAP_READ_ONLY = 4
MAP_FLAGS_ALL = 7

# Modes of `open`.
OPEN_READ = 0  # read-only (a shared map of it is EACCES)
OPEN_READ_WRITE = 1  # read-write; the file must exist
OPEN_CREATE = 2  # read-write, created if missing and truncated to 0 bytes (open_object: created if missing, an existing object keeps its contents)
OPEN_CREATE_NEW = 3  # (open_object only; open answers EINVAL) read-write, created; EEXIST if the object exists

# Advice of `advise`, 0 to ADVICE_COUNT - 1.
ADVICE_NORMAL = 0  # MADV_NORMAL
ADVICE_RANDOM = 1  # MADV_RANDOM
ADVICE_SEQUENTIAL = 2  # MADV_SEQUENTIAL
ADVICE_WILLNEED = 3  # MADV_WILLNEED
ADVICE_HUGEPAGE = 4  # MADV_HUGEPAGE
ADVICE_COUNT = 5

# Limits.
MAX_PATH = 4096
DEFAULT_MAX_HANDLES = 1024
DEFAULT_MAX_MAPPINGS = 4096

# Region modes of the AssemblyScript library (the values of Go's mmf constants), and its options.
MEM_READ_ONLY = 0x1
MEM_READ_PRIVATE = 0x2
MEM_READWRITE = 0x4
MEM_COPY_ON_WRITE = 0x8
REGION_POPULATE = 0x1

# The imports: name -> (parameters, result). "u32" is an i32 address or length that the host reads unsigned.
IMPORTS = {
    "page_size": ((), "i32"),
    "file_size": (("i32",), "i64"),
    "open": (("u32", "u32", "i32"), "i32"),
    "close": (("i32",), "i32"),
    "map": (("i32", "i64", "u32", "u32", "i32"), "i32"),
    "unmap": (("u32", "u32"), "i32"),
    "sync": (("u32", "u32", "i32"), "i32"),
    "advise": (("u32", "u32", "i32"), "i32"),
    "watch": (("u32",), "i32"),
    "fault_cause": (("u32", "u32"), "i32"),
    "open_object": (("u32", "u32", "i32"), "i32"),
    "destroy_object": (("u32", "u32"), "i32"),
    "truncate": (("i32", "i64"), "i32"),
    "truncated": (("u32", "u32"), "i32"),
    "lock": (("u32", "u32"), "i32"),
    "unlock": (("u32", "u32"), "i32"),
    "residency": (("u32", "u32", "u32"), "i32"),
    "remap": (("u32", "u32", "u32", "u32"), "i32"),
}
