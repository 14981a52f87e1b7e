"""Files under one folder on this machine (config STORAGE_LOCAL_DIR, by default instance/uploads).

A key maps to the same relative path under the root. Uploads are written to a temporary file in the
target folder and moved into place with `os.replace`, so readers never see half a file and a failed or
rejected upload leaves nothing behind. Files are created 0o600 and never executable. The app streams
files itself, so `download_url` and `presigned_post` answer None.
"""
from __future__ import annotations

import io
import os
import tempfile
from typing import BinaryIO

from .base import (
    CHUNK_SIZE,
    ObjectNotFound,
    RangeNotSatisfiable,
    StorageError,
    TooLarge,
    check_key,
    check_prefix,
    iter_chunks,
)

_TMP_PREFIX = ".upload-"  # a '.' can never appear in a key, so `keys()` never lists these
_FILE_MODE = 0o600
_DIR_MODE = 0o700


class _RangeReader(io.RawIOBase):
    """Reads at most `length` bytes of an open file from its current position, then reports end of file."""

    def __init__(self, fh: BinaryIO, length: int):
        self._fh = fh
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._left <= 0:
            return 0
        data = self._fh.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


class LocalStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = os.path.realpath(os.fspath(root))
        os.makedirs(self.root, mode=_DIR_MODE, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({self.root!r})"

    def _path(self, key: str) -> str:
        check_key(key)
        path = os.path.join(self.root, *key.split("/"))
        # check_key already rules out traversal; this is a second, independent guard.
        if os.path.commonpath([self.root, os.path.realpath(path)]) != self.root:
            raise ObjectNotFound(key)
        return path

    def save(self, key: str, stream: BinaryIO, *, content_type: str, max_bytes: int) -> int:
        path = self._path(key)
        folder = os.path.dirname(path)
        try:
            os.makedirs(folder, mode=_DIR_MODE, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".part")  # mode 0o600
        except OSError as exc:
            raise StorageError(f"cannot write under {folder}: {exc}") from exc
        total = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter_chunks(stream, CHUNK_SIZE):
                    total += len(chunk)
                    if total > max_bytes:
                        raise TooLarge(max_bytes)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, _FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            # Keys are write-once: a failed save leaves no object under the key (as on S3).
            for leftover in (tmp, path):
                try:
                    os.unlink(leftover)
                except OSError:
                    pass
            raise
        return total

    def local_path(self, key: str) -> str:
        """The file behind a key, so the web layer can serve it with Range and conditional requests."""
        path = self._path(key)
        if not os.path.isfile(path):
            raise ObjectNotFound(key)
        return path

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")  # noqa: SIM115 (the caller closes it)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def open_range(self, key: str, start: int, end: int | None) -> BinaryIO:
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"bad byte range {start}-{end}")
        fh = self.open(key)
        size = os.fstat(fh.fileno()).st_size
        if start >= size:
            fh.close()
            raise RangeNotSatisfiable(size)
        last = size - 1 if end is None else min(end, size - 1)
        fh.seek(start)
        return io.BufferedReader(_RangeReader(fh, last - start + 1), CHUNK_SIZE)

    def size(self, key: str) -> int:
        try:
            path = self._path(key)
            if not os.path.isfile(path):
                raise FileNotFoundError(path)
            return os.path.getsize(path)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            os.unlink(path)
        except (FileNotFoundError, IsADirectoryError):
            return

    def keys(self, prefix: str = "") -> list[str]:
        check_prefix(prefix)
        found = []
        for folder, _dirs, files in os.walk(self.root):
            rel = os.path.relpath(folder, self.root)
            for name in files:
                key = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
                if name.startswith(_TMP_PREFIX) or not key.startswith(prefix):
                    continue
                found.append(key)
        return sorted(found)

    def download_url(self, key: str, *, filename: str, content_type: str, as_attachment: bool,
                     expires: int = 300) -> str | None:
        check_key(key)
        return None

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires: int = 600) -> dict | None:
        check_key(key)
        return None

    def unavailable(self) -> str | None:
        if not os.path.isdir(self.root):
            return f"the folder {self.root} is missing"
        if not os.access(self.root, os.W_OK | os.X_OK):
            return f"the folder {self.root} is not writable by this process"
        return None
