"""Uploads (checked by content) and authorised downloads (streamed locally, presigned on S3)."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from .. import htmx
from ..domain.errors import DomainError, Forbidden, Invalid, NotFound
from ..domain.uploads import KINDS, preview_kind, served_inline
from ..services import files as files_service
from ..services.actors import actor_for
from ..security import talisman
from .responses import FILE_CSP, INLINE_CSP, send_inline, send_stored

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/<path:key>")
@talisman(content_security_policy=FILE_CSP)
def download(key: str):
    return send_stored(_readable(key))


@bp.get("/<path:key>/preview")
def preview(key: str):
    """The file shown in the page, for whoever may download it: a PDF embedded (its bytes come from `inline`), an
    image, a text or Markdown file rendered on the server (capped), or, for any other type, a note and the download
    link. With htmx aimed at `#file-preview-<id>` the fragment, else a whole page (the "Preview" link)."""
    row = _readable(key)
    kind = preview_kind(row.type_key, row.filename)
    text = files_service.text_preview(row) if kind in ("text", "markdown") else None
    ctx = {"file": row, "kind": kind, "text": text}
    if htmx.wants(f"file-preview-{row.id}"):
        return render_template("files/_preview.html", **ctx)
    return render_template("files/preview.html", **ctx)


@bp.get("/<path:key>/inline")
@talisman(content_security_policy=INLINE_CSP, frame_options="SAMEORIGIN")
def inline(key: str):
    """The bytes of a PDF or an image, inline and framable by this site only (the preview embeds them); every other
    type is 404 here and stays download-only (`download`, as an attachment)."""
    row = _readable(key)
    if not served_inline(row.type_key):
        raise NotFound("This file has no inline view; download it instead.")
    return send_inline(row)


def _readable(key: str):
    """The file if the current user may read it (services.files.readable, the one rule); an anonymous visitor who
    may not is sent to log in (401 with HX-Redirect for htmx), as every page does."""
    actor = actor_for(current_user)
    try:
        return files_service.readable(actor, key)
    except Forbidden:
        if actor.id is None:
            abort(current_app.login_manager.unauthorized())
        raise


@bp.app_template_global("preview_kind")
def preview_kind_of(file) -> str | None:
    """For templates: how a stored file previews (domain.uploads.preview_kind), or None."""
    return preview_kind(file.type_key, file.filename) if file is not None else None


@bp.post("")
@login_required
def upload():
    kind = request.form.get("kind", "")
    try:
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            raise Invalid("Choose a file to upload.", fields={"file": "Choose a file."})
        parent = None
        if request.form.get("captions_for"):
            parent = files_service.captions_parent(actor_for(current_user), request.form["captions_for"])
            kind = "captions"
        row = files_service.store_upload(current_user, upload_file.stream, upload_file.filename, kind,
                                         owner=parent.owner if parent is not None else None, parent=parent,
                                         uploaded_for=request.form.get("uploaded_for"))
    except RequestEntityTooLarge:
        mb = current_app.config["MAX_UPLOAD_MB"]
        return _refused(413, f"The file is larger than this site accepts ({mb} MB).", kind)
    except DomainError as exc:
        return _refused(exc.status, exc.message, kind)
    if htmx.is_htmx():
        template = "files/_captions.html" if row.parent_id else "files/_file.html"
        ctx = {"file": row, "parent": row.parent_id and files_service.get_file_by_id(row.parent_id)}
        resp = make_response(render_template(template, **ctx), 201)
        return htmx.trigger(resp, "file-uploaded", {"key": row.key})
    flash(f"Uploaded {row.filename}.", "success")
    return redirect(_back(), 303)


@bp.post("/direct")
@login_required
def direct_start():
    """JSON: {kind, filename, size, content_type} -> a presigned POST, or {"direct": false} (upload normally)."""
    data = request.get_json(silent=True) or {}
    try:
        size = int(data.get("size") or 0)
        post = files_service.start_direct_upload(current_user, str(data.get("kind", "")), data.get("filename"),
                                                 size, data.get("content_type"), data.get("uploaded_for"))
    except (TypeError, ValueError):
        return jsonify(error={"code": "invalid", "message": "size must be a whole number of bytes",
                              "fields": {"size": "whole number"}}), 422
    except DomainError as exc:
        return jsonify(error={"code": exc.code, "message": exc.message, "fields": exc.fields}), exc.status
    if post is None:
        return jsonify(direct=False)
    return jsonify(direct=True, confirm_url=url_for("files.direct_confirm"), **post)


@bp.post("/direct/confirm")
@login_required
def direct_confirm():
    token = request.form.get("token") or (request.get_json(silent=True) or {}).get("token", "")
    try:
        row = files_service.finish_direct_upload(current_user, token)
    except DomainError as exc:
        return _refused(exc.status, exc.message, "")
    if htmx.is_htmx():
        resp = make_response(render_template("files/_file.html", file=row), 201)
        return htmx.trigger(resp, "file-uploaded", {"key": row.key})
    flash(f"Uploaded {row.filename}.", "success")
    return redirect(_back(), 303)


def _refused(status: int, message: str, kind: str):
    if htmx.is_htmx():
        return render_template("files/_upload_error.html", message=message, kind=KINDS.get(kind)), status
    flash(message, "error")
    return redirect(_back(), 303)


@bp.post("/<path:key>/delete")
@login_required
def delete(key: str):
    files_service.delete_file(actor_for(current_user), key)
    if htmx.is_htmx():
        return htmx.trigger(make_response("", 200), "file-deleted", {"key": key})
    flash("File deleted.", "success")
    return redirect(_back(), 303)


def _back() -> str:
    ref = request.referrer or ""
    return ref if ref.startswith(request.host_url) else url_for("account.media")
