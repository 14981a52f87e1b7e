"""The storage interface (SPEC §7): one Protocol, two backends (local.py, s3.py), shared key rules and errors.

Keys are made by `new_key()` and look like ``attachments/2026/11/<32 random url-safe characters>``.
Every backend method calls `check_key()` first, so a key taken from a URL can never reach outside the
store: only ``[A-Za-z0-9_-]`` segments joined by single ``/`` are accepted.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote

from webapp.domain.errors import DomainError, NotFound

CHUNK_SIZE = 1024 * 1024  # every backend copies uploads in pieces of at most 1 MiB
MAX_KEY_LENGTH = 200
_SEGMENT = r"[A-Za-z0-9_-]+"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_PREFIX_RE = re.compile(rf"(?:{_SEGMENT}(?:/{_SEGMENT})*/?)?")


class StorageError(Exception):
    """The backend failed (disk, network, S3 answered an unexpected error)."""


class ObjectNotFound(NotFound):
    """No object is stored under that key."""

    def __init__(self, key: str = ""):
        super().__init__("We could not find that file.")
        self.key = key


class InvalidKey(NotFound):
    """The key is not one `new_key()` could have made. A 404, so a tampered download URL looks missing."""

    def __init__(self, key: object = ""):
        super().__init__("We could not find that file.")
        self.key = key


class TooLarge(DomainError):
    """More bytes arrived than the caller allowed. Nothing was kept."""

    status = 413
    code = "too_large"

    def __init__(self, max_bytes: int):
        mb = max_bytes / (1024 * 1024)
        limit = f"{mb:.0f} MB" if mb >= 1 else f"{max_bytes} bytes"
        super().__init__(f"The file is larger than the {limit} allowed.")
        self.max_bytes = max_bytes


class RangeNotSatisfiable(DomainError):
    """`open_range()` was asked for bytes the object does not have (HTTP 416)."""

    status = 416
    code = "range_not_satisfiable"

    def __init__(self, size: int | None = None):
        super().__init__("The requested range is outside the file.")
        self.size = size


def check_key(key: object) -> str:
    """Return `key` unchanged when it is a well-formed storage key; raise InvalidKey otherwise.

    Refuses '..', a leading '/', backslashes, empty segments, any character outside [A-Za-z0-9_-/]
    and keys over 200 characters."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise InvalidKey(key)
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or key segments optionally ending in '/'."""
    if not isinstance(prefix, str) or len(prefix) > MAX_KEY_LENGTH or not _PREFIX_RE.fullmatch(prefix):
        raise InvalidKey(prefix)
    return prefix


def new_key(prefix: str) -> str:
    """A fresh random key under `prefix`: ``f"{prefix}/{yyyy}/{mm}/{token}"`` (192 bits of randomness)."""
    now = datetime.now(timezone.utc)
    return check_key(f"{prefix.strip('/')}/{now:%Y}/{now:%m}/{secrets.token_urlsafe(24)}")


def content_disposition(filename: str, *, as_attachment: bool) -> str:
    """An RFC 6266 Content-Disposition value: a plain ASCII `filename` fallback plus `filename*` in UTF-8."""
    kind = "attachment" if as_attachment else "inline"
    name = "".join(ch for ch in (filename or "") if ch.isprintable() and ch not in "\r\n").strip() or "download"
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def iter_chunks(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Read `stream` in pieces of at most `chunk_size` bytes until it is exhausted."""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        yield chunk


@runtime_checkable
class Storage(Protocol):
    """What every backend offers. Keys must pass `check_key()`; each method raises InvalidKey otherwise."""

    def save(self, key: str, stream: BinaryIO, *, content_type: str, max_bytes: int) -> int:
        """Copy `stream` in 1 MiB pieces under `key` and return the byte count. Past `max_bytes` raise
        TooLarge; on that or any other failure no object is left under `key`."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The whole object for reading (the caller closes it). ObjectNotFound when missing."""
        ...

    def open_range(self, key: str, start: int, end: int | None) -> BinaryIO:
        """Bytes `start`..`end` inclusive (HTTP Range semantics; `end=None` means to the end, an `end` past
        the object is clamped). RangeNotSatisfiable when `start` is at or past the end."""
        ...

    def size(self, key: str) -> int:
        ...

    def exists(self, key: str) -> bool:
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key starting with `prefix`, sorted (for tests and orphan sweeps)."""
        ...

    def download_url(self, key: str, *, filename: str, content_type: str, as_attachment: bool,
                     expires: int = 300) -> str | None:
        """A short-lived URL the browser can fetch directly, or None when the app must stream the file."""
        ...

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires: int = 600) -> dict | None:
        """``{"url", "fields"}`` for a browser form POST straight to the store, or None when unsupported."""
        ...

    def unavailable(self) -> str | None:
        """None when the store can be used now; else why not, for the log (the readiness probe calls it)."""
        ...
