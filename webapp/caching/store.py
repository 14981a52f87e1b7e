"""The values kept in one worker: a bounded LRU (cachetools), thread-safe for gthread workers.

A value is stored under its areas, their revisions and the caller's key. A change writes new revisions, so the
values made from older data are never asked for again: they become the least recently used and are the first
the bounds evict. Nothing has to find and drop them (a scan of every key at each new revision), and a request
still holding an older revision can only ever read what it would have made itself.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import LRUCache

MAX_ENTRIES = 1024
MAX_BYTES = 64 * 1024 * 1024     # per worker


def size_of(value: Any) -> int:
    """About how many bytes a cached value holds (pages are text; API documents are counted roughly)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple):
        return sum(size_of(part) for part in value)
    if isinstance(value, dict):
        return sum(size_of(k) + size_of(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(size_of(v) for v in value)
    return 16


class RevisionStore:
    """At most `maxsize` values and about `maxbytes` of them, the least recently used dropped first."""

    def __init__(self, maxsize: int = MAX_ENTRIES, maxbytes: int = MAX_BYTES):
        self.maxsize = maxsize
        self._values: LRUCache = LRUCache(maxsize=maxbytes, getsizeof=size_of)
        self._lock = threading.Lock()

    def get(self, areas: Hashable, revisions: Hashable, key: Hashable, make: Callable[[], Any]) -> Any:
        """`make()`'s value for `key` made from these revisions of `areas`: made once, then served from here.
        `make` runs outside the lock (two threads may both make a missing value; both are right)."""
        full = (areas, revisions, key)
        with self._lock:
            try:
                return self._values[full]
            except KeyError:
                pass
        value = make()
        with self._lock:
            try:
                self._values[full] = value
            except ValueError:
                pass                # larger than the whole store: served, not kept
            while len(self._values) > self.maxsize:
                self._values.popitem()
        return value

    @property
    def nbytes(self) -> int:
        return self._values.currsize

    def __len__(self) -> int:
        return len(self._values)

    def values(self) -> list:
        with self._lock:
            return list(self._values.values())
