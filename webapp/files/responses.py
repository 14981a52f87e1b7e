"""How a stored file goes out: streamed with Range support (local) or a presigned redirect (S3)."""
from __future__ import annotations

from contextlib import closing

from flask import Response, redirect, send_file, stream_with_context

from ..storage import get_storage
from ..storage.base import content_disposition, iter_chunks

INLINE_TYPES = {"audio", "video", "captions"}
# Even if a browser were talked into rendering a file, it would run no script and reach nothing.
FILE_CSP = {"default-src": "'none'", "media-src": "'self'", "sandbox": ""}
# A previewed PDF or image (files.inline): the same sandbox, no script, style or connection of its own, but framable
# by this site (the preview's <iframe>). Chromium's PDF viewer renders under it (tests/browser/test_inline_preview.py).
# Only types checked by content as PDF, PNG or JPEG ever get this policy (domain.uploads.served_inline).
INLINE_CSP = {"default-src": "'none'", "frame-ancestors": "'self'", "sandbox": ""}


def send_stored(row):
    """Stream a stored file (local) or redirect to a short-lived presigned URL (S3)."""
    inline = row.kind in INLINE_TYPES or row.type_key in ("png", "jpeg")
    storage = get_storage()
    url = storage.download_url(row.key, filename=row.filename, content_type=row.content_type,
                               as_attachment=not inline)
    if url:
        resp = redirect(url, 302)
    else:
        resp = send_file(storage.local_path(row.key), mimetype=row.content_type, as_attachment=not inline,
                         download_name=row.filename, conditional=True, etag=row.key.rsplit("/", 1)[-1],
                         max_age=0)
        resp.headers["Accept-Ranges"] = "bytes"
        # Exactly the stored type: werkzeug would add a second "; charset=utf-8" to "text/plain; charset=utf-8".
        resp.headers["Content-Type"] = row.content_type
    resp.headers["Cache-Control"] = "private, max-age=300"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def send_inline(row):
    """A PDF or image for the preview: inline, with its stored type and nosniff, from this site even on S3 (a
    presigned URL would be another origin, which neither the page's CSP nor the bucket's headers let us frame)."""
    storage = get_storage()
    local_path = getattr(storage, "local_path", None)
    if local_path is not None:
        resp = send_file(local_path(row.key), mimetype=row.content_type, as_attachment=False,
                         download_name=row.filename, conditional=True, etag=row.key.rsplit("/", 1)[-1], max_age=0)
        resp.headers["Accept-Ranges"] = "bytes"
    else:
        stream = storage.open(row.key)      # opened here, so a missing object is an error before any byte

        def body():
            with closing(stream):
                yield from iter_chunks(stream)

        resp = Response(stream_with_context(body()), mimetype=row.content_type, direct_passthrough=True)
        if row.size:
            resp.content_length = row.size
    resp.headers["Content-Type"] = row.content_type
    resp.headers["Content-Disposition"] = content_disposition(row.filename, as_attachment=False)
    resp.headers["Cache-Control"] = "private, max-age=300"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
