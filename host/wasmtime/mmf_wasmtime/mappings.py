"""The live mappings of one guest memory as sorted, non-overlapping [addr, addr+len) ranges.

The host asks it before every system call, so that a guest can neither map over a live mapping
nor unmap, sync or advise memory that is not one of its mappings."""
from bisect import bisect_left
from typing import Iterator


class MappingSet:
    def __init__(self) -> None:
        self._starts: list[int] = []
        self._lengths: list[int] = []

    def __len__(self) -> int:
        return len(self._starts)

    def overlaps(self, addr: int, length: int) -> bool:
        i = bisect_left(self._starts, addr)
        if i < len(self._starts) and self._starts[i] < addr + length:
            return True
        return i > 0 and self._starts[i - 1] + self._lengths[i - 1] > addr

    def add(self, addr: int, length: int) -> None:
        i = bisect_left(self._starts, addr)
        self._starts.insert(i, addr)
        self._lengths.insert(i, length)

    def remove(self, addr: int, length: int) -> bool:
        """Removes the mapping that is exactly [addr, addr+length); False if there is none."""
        i = bisect_left(self._starts, addr)
        if i == len(self._starts) or self._starts[i] != addr or self._lengths[i] != length:
            return False
        del self._starts[i], self._lengths[i]
        return True

    def contains(self, addr: int, length: int) -> bool:
        """Whether [addr, addr+length) lies inside one live mapping."""
        i = bisect_left(self._starts, addr + 1) - 1
        return i >= 0 and addr + length <= self._starts[i] + self._lengths[i]

    def drain(self) -> Iterator[tuple[int, int]]:
        """Takes every mapping out, for teardown."""
        taken = list(zip(self._starts, self._lengths))
        self._starts, self._lengths = [], []
        return iter(taken)
