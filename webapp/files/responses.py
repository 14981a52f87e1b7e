"""How a stored file goes out: streamed with Range support (local) or a presigned redirect (S3)."""
from __future__ import annotations

from flask import redirect, send_file

from ..storage import get_storage

INLINE_TYPES = {"audio", "video", "captions"}
# Even if a browser were talked into rendering a file, it would run no script and reach nothing.
FILE_CSP = {"default-src": "'none'", "media-src": "'self'", "sandbox": ""}


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
