"""File storage (SPEC §7): `get_storage()` returns the backend configured for the current app.

STORAGE_BACKEND is 'local' (default; files under STORAGE_LOCAL_DIR) or 's3' (S3_BUCKET, S3_REGION,
S3_ENDPOINT_URL, and S3_PRESIGNED_URLS: false when browsers cannot reach the store). The backend is made
once per app and kept in `app.extensions["storage"]`; nothing is kept at module level, so each app (and
each test app) has its own. See docs/storage.md.
"""
from __future__ import annotations

from collections.abc import Mapping

from .base import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectNotFound,
    RangeNotSatisfiable,
    Storage,
    StorageError,
    TooLarge,
    check_key,
    content_disposition,
    new_key,
)
from .local import LocalStorage
from .s3 import S3Storage

__all__ = [
    "CHUNK_SIZE", "InvalidKey", "LocalStorage", "ObjectNotFound", "RangeNotSatisfiable", "S3Storage", "Storage",
    "StorageError", "TooLarge", "check_key", "content_disposition", "get_storage", "make_storage", "new_key",
]


def make_storage(config: Mapping) -> Storage:
    """Build the backend a Flask config mapping asks for."""
    backend = (config.get("STORAGE_BACKEND") or "local").strip().lower()
    if backend == "local":
        root = config.get("STORAGE_LOCAL_DIR")
        if not root:
            raise StorageError("STORAGE_LOCAL_DIR is not set")
        return LocalStorage(root)
    if backend == "s3":
        return S3Storage(
            config.get("S3_BUCKET") or "",
            region=config.get("S3_REGION") or None,
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            presigned_urls=bool(config.get("S3_PRESIGNED_URLS", True)),
        )
    raise StorageError(f"STORAGE_BACKEND must be 'local' or 's3', got {backend!r}")


def get_storage() -> Storage:
    """The storage backend of `flask.current_app`, made on first use and kept in its extensions."""
    from flask import current_app

    app = current_app._get_current_object()
    storage = app.extensions.get("storage")
    if storage is None:
        storage = app.extensions.setdefault("storage", make_storage(app.config))
    return storage
