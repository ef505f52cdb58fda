"""The live mappings of one guest memory as sorted, non-overlapping [addr, addr+len) ranges.

The host asks it before every system call, so that a guest can neither map over a live mapping
nor unmap, sync or advise memory that is not one of its mappings."""
from bisect import bisect_left
from typing import Any, Iterator, Optional


class MappingSet:
    def __init__(self) -> None:
        self._starts: list[int] = []
        self._lengths: list[int] = []
        self._notes: list[Any] = []  # what the host keeps about each mapping

    def __len__(self) -> int:
        return len(self._starts)

    def overlaps(self, addr: int, length: int) -> bool:
        i = bisect_left(self._starts, addr)
        if i < len(self._starts) and self._starts[i] < addr + length:
            return True
        return i > 0 and self._starts[i - 1] + self._lengths[i - 1] > addr

    def add(self, addr: int, length: int, note: Any) -> None:
        """Adds a mapping with what the host keeps about it (`note`, not None)."""
        i = bisect_left(self._starts, addr)
        self._starts.insert(i, addr)
        self._lengths.insert(i, length)
        self._notes.insert(i, note)

    def remove(self, addr: int, length: int) -> Any:
        """Removes the mapping that is exactly [addr, addr+length) and returns its note; None if there is none."""
        i = bisect_left(self._starts, addr)
        if i == len(self._starts) or self._starts[i] != addr or self._lengths[i] != length:
            return None
        note = self._notes[i]
        del self._starts[i], self._lengths[i], self._notes[i]
        return note

    def contains(self, addr: int, length: int) -> bool:
        """Whether [addr, addr+length) lies inside one live mapping."""
        return self.start_of(addr, length) is not None

    def start_of(self, addr: int, length: int) -> Optional[int]:
        """The start of the live mapping that holds all of [addr, addr+length), or None."""
        i = bisect_left(self._starts, addr + 1) - 1
        return self._starts[i] if i >= 0 and addr + length <= self._starts[i] + self._lengths[i] else None

    def note_at(self, addr: int) -> Any:
        """The note of the live mapping that holds byte `addr`, or None."""
        i = bisect_left(self._starts, addr + 1) - 1
        return self._notes[i] if i >= 0 and addr < self._starts[i] + self._lengths[i] else None

    def drain(self) -> Iterator[tuple[int, int]]:
        """Takes every mapping out, for teardown."""
        taken = list(zip(self._starts, self._lengths))
        self._starts, self._lengths, self._notes = [], [], []
        return iter(taken)
