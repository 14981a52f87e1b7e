"""How a stored file goes out: a presigned redirect (S3 with S3_PRESIGNED_URLS on), `send_file` (local files), or
streamed by the app from the store in 1 MiB pieces, with Range support (S3 with S3_PRESIGNED_URLS off, and every
inline preview on S3)."""
from __future__ import annotations

from flask import Response, redirect, request, send_file
from werkzeug.datastructures import Range
from werkzeug.http import is_resource_modified
from werkzeug.wsgi import FileWrapper

from ..storage import get_storage
from ..storage.base import CHUNK_SIZE, content_disposition

INLINE_TYPES = {"audio", "video", "captions"}
# Even if a browser were talked into rendering a file, it would run no script and reach nothing.
FILE_CSP = {"default-src": "'none'", "media-src": "'self'", "sandbox": ""}
# A previewed PDF or image (files.inline): the same sandbox, no script, style or connection of its own, but framable
# by this site (the preview's <iframe>). Chromium's PDF viewer renders under it (tests/browser/test_inline_preview.py).
# Only types checked by content as PDF, PNG or JPEG ever get this policy (domain.uploads.served_inline).
INLINE_CSP = {"default-src": "'none'", "frame-ancestors": "'self'", "sandbox": ""}

CACHE_CONTROL = "private, max-age=300"


def send_stored(row):
    """Redirect to a short-lived presigned URL (S3), else send the file from this site (local or streamed)."""
    inline = row.kind in INLINE_TYPES or row.type_key in ("png", "jpeg")
    storage = get_storage()
    url = storage.download_url(row.key, filename=row.filename, content_type=row.content_type,
                               as_attachment=not inline)
    if url:
        resp = redirect(url, 302)
        resp.headers["Cache-Control"] = CACHE_CONTROL
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp
    return _send(storage, row, as_attachment=not inline)


def send_inline(row):
    """A PDF or image for the preview: inline, with its stored type and nosniff, from this site even on S3 (a
    presigned URL would be another origin, which neither the page's CSP nor the bucket's headers let us frame)."""
    return _send(get_storage(), row, as_attachment=False)


def _send(storage, row, *, as_attachment: bool):
    """The file from this site: `send_file` when the backend has files on this machine, else streamed."""
    local_path = getattr(storage, "local_path", None)
    if local_path is not None:
        resp = send_file(local_path(row.key), mimetype=row.content_type, as_attachment=as_attachment,
                         download_name=row.filename, conditional=True, etag=_etag(row), max_age=0)
    else:
        resp = _stream(storage, row)
    resp.headers["Accept-Ranges"] = "bytes"
    if resp.status_code != 416:     # a refused range keeps its plain-text message
        # Exactly the stored type: werkzeug would add a second "; charset=utf-8" to "text/plain; charset=utf-8".
        resp.headers["Content-Type"] = row.content_type
        resp.headers["Content-Disposition"] = content_disposition(row.filename, as_attachment=as_attachment)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _etag(row) -> str:
    """Keys are write-once and random, so the key's last segment is a strong validator of the bytes."""
    return row.key.rsplit("/", 1)[-1]


def _stream(storage, row) -> Response:
    """The app streams the object itself: 304 when the browser's copy is current, 206 with `Content-Range` for one
    satisfiable `Range: bytes=…` (read with `open_range`, so seeking in audio or video fetches only what is played),
    416 with `Content-Range: bytes */size` for an unsatisfiable one, else 200 with the whole object. The object is
    opened before the response is made, so a missing one is a 404 before any byte is sent. The size is the one
    recorded when the object was stored (keys are write-once)."""
    etag, size = _etag(row), int(row.size)
    if not is_resource_modified(request.environ, etag=etag):
        resp = Response(status=304)
        resp.set_etag(etag)
        return resp
    span = _span(size, etag)
    if span is False:
        resp = Response("The requested range is outside the file.\n", 416, mimetype="text/plain")
        resp.headers["Content-Range"] = f"bytes */{size}"
        return resp
    if span is None:
        stream, status, length = storage.open(row.key), 200, size
    else:
        start, stop = span
        stream, status, length = storage.open_range(row.key, start, stop - 1), 206, stop - start
    # FileWrapper reads 1 MiB at a time and closes the stream when the server is done (or the client left).
    resp = Response(FileWrapper(stream, CHUNK_SIZE), status, direct_passthrough=True)
    resp.content_length = length
    if span is not None:
        resp.headers["Content-Range"] = f"bytes {span[0]}-{span[1] - 1}/{size}"
    resp.set_etag(etag)
    return resp


def _span(size: int, etag: str) -> tuple[int, int] | None | bool:
    """The request's byte range as (start, stop) with stop exclusive; None to send the whole file (no Range, one
    that is not bytes or names several ranges, or an If-Range that no longer matches); False when unsatisfiable.
    A suffix range longer than the file means the whole file (RFC 9110 §14.1.3)."""
    rng: Range | None = request.range
    if rng is None or rng.units != "bytes" or len(rng.ranges) != 1:
        return None
    if_range = request.if_range
    if (if_range.etag or if_range.date) and if_range.etag != etag:   # a date never matches: no Last-Modified
        return None
    start, stop = rng.ranges[0]
    if start < 0 and stop is None:
        start = max(size + start, 0)
    stop = size if stop is None else min(stop, size)
    if start >= size or start >= stop:
        return False
    return start, stop

