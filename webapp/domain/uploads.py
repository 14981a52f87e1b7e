"""What may be uploaded where (SPEC §7): kinds, the types each kind accepts, size limits, display names.

The type of a file is decided from its content (services.media detects it); the name and the
content type the client sends are never trusted. This module holds only the rules.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .capstone_rules import FILE_FIELDS, check_file_field
from .errors import DomainError, Invalid

MB = 1024 * 1024


class Rejected(DomainError):
    """415: the content is not a type this kind of upload accepts."""

    status = 415
    code = "unsupported_media_type"


class TooLargeUpload(DomainError):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class FileType:
    key: str            # e.g. "pdf", "webm-audio"
    label: str          # what people call it
    mime: str           # the content type we serve it with
    extension: str      # the extension for the download name
    media: str | None = None   # "audio" or "video" when a duration must be read


TYPES: dict[str, FileType] = {t.key: t for t in (
    FileType("webm-audio", "WebM audio", "audio/webm", ".webm", "audio"),
    FileType("ogg-audio", "Ogg audio", "audio/ogg", ".ogg", "audio"),
    FileType("mp3", "MP3", "audio/mpeg", ".mp3", "audio"),
    FileType("m4a", "M4A", "audio/mp4", ".m4a", "audio"),
    FileType("wav", "WAV", "audio/wav", ".wav", "audio"),
    FileType("mp4-video", "MP4 video", "video/mp4", ".mp4", "video"),
    FileType("webm-video", "WebM video", "video/webm", ".webm", "video"),
    FileType("pdf", "PDF", "application/pdf", ".pdf"),
    FileType("text", "plain text or Markdown", "text/plain; charset=utf-8", ".txt"),
    FileType("docx", "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    FileType("xlsx", "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    FileType("pptx", "PowerPoint presentation",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    FileType("odt", "OpenDocument text", "application/vnd.oasis.opendocument.text", ".odt"),
    FileType("ods", "OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    FileType("odp", "OpenDocument presentation", "application/vnd.oasis.opendocument.presentation", ".odp"),
    FileType("png", "PNG image", "image/png", ".png"),
    FileType("jpeg", "JPEG image", "image/jpeg", ".jpg"),
    FileType("vtt", "WebVTT captions", "text/vtt; charset=utf-8", ".vtt"),
    FileType("zip", "ZIP archive", "application/zip", ".zip"),
)}

DOCUMENT_TYPES = ("pdf", "text", "docx", "xlsx", "pptx", "odt", "ods", "odp", "png", "jpeg")


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    types: tuple[str, ...]
    max_mb: int

    def accepts(self, type_key: str) -> bool:
        return type_key in self.types

    def allowed_labels(self) -> str:
        return ", ".join(TYPES[t].label for t in self.types)

    def accept_attribute(self) -> str:
        """For <input accept>: a hint to the browser only; the server decides by content."""
        mimes = []
        for t in self.types:
            mime = TYPES[t].mime.split(";")[0]
            if mime not in mimes:
                mimes.append(mime)
        if "text" in self.types:
            mimes += [".md", ".txt"]
        return ",".join(mimes)


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("audio", "audio", ("webm-audio", "ogg-audio", "mp3", "m4a", "wav"), 100),
    Kind("video", "video", ("mp4-video", "webm-video"), 500),
    Kind("document", "document", DOCUMENT_TYPES, 50),
    Kind("evidence", "evidence file", DOCUMENT_TYPES + ("zip",), 100),
    Kind("captions", "captions", ("vtt",), 1),
)}


def get_kind(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise Invalid(f"Unknown upload kind '{key}'. Kinds: {', '.join(KINDS)}.",
                      fields={"kind": f"must be one of {', '.join(KINDS)}"}) from None


def limit_bytes(kind: Kind, max_upload_mb: int) -> int:
    """A kind's own limit, never above the site's MAX_UPLOAD_MB."""
    return min(kind.max_mb, max_upload_mb) * MB


def check_size(kind: Kind, size: int, max_upload_mb: int) -> None:
    if size <= 0:
        raise Invalid("The file is empty.", fields={"file": "The file is empty."})
    limit = limit_bytes(kind, max_upload_mb)
    if size > limit:
        raise TooLargeUpload(f"The {kind.label} is too large: {size / MB:.1f} MB; the limit is {limit // MB} MB.",
                             fields={"file": f"at most {limit // MB} MB"})


def check_type(kind: Kind, type_key: str | None, detail: str | None = None) -> FileType:
    if type_key is None or not kind.accepts(type_key):
        found = f" Detected: {detail}." if detail else ""
        raise Rejected(f"This file is not an accepted {kind.label}.{found} Accepted: {kind.allowed_labels()}.",
                       fields={"file": f"accepted: {kind.allowed_labels()}"})
    return TYPES[type_key]


_UNSAFE = re.compile(r"[^\w.\- ()\[\]+,]+", re.UNICODE)


def display_name(client_name: str | None, file_type: FileType) -> str:
    """A file name for display and download only: no path, no control characters, the right extension."""
    name = unicodedata.normalize("NFKC", client_name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ._") or "file"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[:100].strip(" ._") or "file"
    wanted = file_type.extension
    if file_type.key == "text" and ext.lower() in ("md", "markdown", "txt", "log", "csv"):
        wanted = "." + ext.lower()
    return stem + wanted


# Where an upload was made, kept until it is attached, so that only that place offers it (a file left unsaved on
# one capstone is never offered, ticked, on another capstone or on a portfolio item). A hint, never a permission:
# attaching checks the owner.
PORTFOLIO_CONTEXT = "portfolio"
_CAPSTONE_CONTEXT = re.compile(r"capstone:[0-9]{1,18}:[a-z_]{1,40}")


def capstone_upload_context(capstone_id: int, file_field: str) -> str:
    check_file_field(file_field)
    return f"capstone:{int(capstone_id)}:{file_field}"


def clean_upload_context(value: object) -> str | None:
    """A context sent with an upload, or None when it is not one this module makes."""
    if value == PORTFOLIO_CONTEXT:
        return PORTFOLIO_CONTEXT
    if not isinstance(value, str) or not _CAPSTONE_CONTEXT.fullmatch(value):
        return None
    return value if value.rsplit(":", 1)[1] in FILE_FIELDS else None


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# ---- previews (issue #18 part 4): which stored types the page may show in place, and how ----------------------
# PDF: the browser's viewer, embedded same-origin; PNG/JPEG: an <img>; text: read on the server, capped, and shown
# as escaped preformatted text, or, for a Markdown name, through the sanitising renderer. Everything else (Office
# and OpenDocument files, ZIP archives, media, captions) has no preview: the download link only. Uploads never hold
# HTML or SVG (services.media refuses them), and nothing here would serve them inline if one got through.
INLINE_PREVIEWS = {"pdf": "pdf", "png": "image", "jpeg": "image"}
MARKDOWN_EXTENSIONS = (".md", ".markdown")
TEXT_PREVIEW_BYTES = 256 * 1024


def preview_kind(type_key: str | None, filename: str | None = None) -> str | None:
    """"pdf", "image", "markdown", "text", or None (no preview: download only)."""
    if type_key in INLINE_PREVIEWS:
        return INLINE_PREVIEWS[type_key]
    if type_key == "text":
        return "markdown" if (filename or "").lower().endswith(MARKDOWN_EXTENSIONS) else "text"
    return None


def served_inline(type_key: str | None) -> bool:
    """Whether the preview's inline URL may send the stored bytes themselves (PDF and images only)."""
    return type_key in INLINE_PREVIEWS
