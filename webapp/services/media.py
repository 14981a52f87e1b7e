"""Content detection and media durations.

The type of an upload is read from its bytes: signatures for documents and images (with `puremagic`
naming anything we refuse), the ZIP directory for Office and OpenDocument files, and PyAV (FFmpeg)
for audio and video, which also gives the duration. PyAV is only ever asked to open a file with the
one demuxer its signature names, so FFmpeg's playlist or concat demuxers never see uploaded bytes.
"""
from __future__ import annotations

import codecs
import logging
import math
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import av
import puremagic

from ..domain.uploads import FileType, Kind, Rejected, check_type

log = logging.getLogger(__name__)
HEAD = 64 * 1024
HTML_MARKERS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body", b"<head", b"<meta")
OOXML = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
ODF = {"application/vnd.oasis.opendocument.text": "odt",
       "application/vnd.oasis.opendocument.spreadsheet": "ods",
       "application/vnd.oasis.opendocument.presentation": "odp"}
# signature -> the one FFmpeg demuxer allowed to open it
MEDIA_DEMUXERS = {"ogg": "ogg", "wav": "wav", "ebml": "matroska", "mp3": "mp3", "ftyp": "mp4"}
AUDIO_TYPE = {"ogg": "ogg-audio", "wav": "wav", "ebml": "webm-audio", "mp3": "mp3", "ftyp": "m4a"}
VIDEO_TYPE = {"ebml": "webm-video", "ftyp": "mp4-video"}

try:  # FFmpeg's own chatter about odd files is not our log's business
    av.logging.set_level(av.logging.PANIC)
except AttributeError:  # pragma: no cover - older PyAV
    pass


@dataclass(frozen=True)
class Detected:
    file_type: FileType
    duration_seconds: int | None = None


def _media_signature(head: bytes) -> str | None:
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "ebml"
    if head[4:8] == b"ftyp":
        return "ftyp"
    if head.startswith(b"ID3") or (len(head) > 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _zip_type(stream: BinaryIO) -> str | None:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names:
                for prefix, key in OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return key
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 200:
                    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                    if mimetype in ODF:
                        return ODF[mimetype]
            return "zip"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, zlib.error, RuntimeError,
            NotImplementedError):
        # A damaged, encrypted or exotically compressed archive is not one of the types we accept.
        return None


def _is_text(stream: BinaryIO, head: bytes) -> tuple[bool, str | None]:
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in lowered[:4096] for marker in HTML_MARKERS):
        return False, "an HTML or XML document"
    stream.seek(0)
    dec = codecs.getincrementaldecoder("utf-8")()
    while chunk := stream.read(256 * 1024):
        if b"\x00" in chunk:
            return False, None
        try:
            dec.decode(chunk)
        except UnicodeDecodeError:
            return False, None
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, None
    return True, None


def _describe(head: bytes) -> str | None:
    if head.startswith(b"MZ"):
        return "a Windows program"
    if head.startswith(b"\x7fELF"):
        return "a Linux program"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = matches[0]
    return f"{best.extension.lstrip('.').upper()} file" if best.extension else None


def media_duration(stream: BinaryIO, demuxer: str) -> tuple[set[str], float]:
    """The stream types and the duration in seconds, read by demuxing (no decoding)."""
    stream.seek(0)
    with av.open(stream, mode="r", format=demuxer) as container:
        kinds = {s.type for s in container.streams if s.type in ("audio", "video")}
        if container.duration is not None and container.duration > 0:
            return kinds, container.duration / av.time_base
        end = 0.0
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None:
                continue
            finish = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            end = max(end, finish)
        return kinds, end


def detect(stream: BinaryIO, kind: Kind) -> Detected:
    """What the file is, judged by content, checked against what `kind` accepts (raises Rejected)."""
    stream.seek(0)
    head = stream.read(HEAD)
    stream.seek(0)
    type_key: str | None = None
    detail: str | None = None
    duration: int | None = None
    signature = _media_signature(head)
    if head.startswith(b"%PDF-"):
        type_key = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        type_key = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        type_key = "jpeg"
    elif head.startswith(b"PK\x03\x04"):
        type_key = _zip_type(stream)
    elif signature is not None:
        try:
            kinds, seconds = media_duration(stream, MEDIA_DEMUXERS[signature])
        except (av.error.FFmpegError, ValueError, OSError, EOFError) as exc:
            log.info("media probe failed: %s", exc)
            kinds, seconds = set(), 0.0
        if "video" in kinds:
            type_key = VIDEO_TYPE.get(signature)
            detail = None if type_key else "a video in a container we do not accept"
        elif "audio" in kinds:
            type_key = AUDIO_TYPE[signature]
        else:
            detail = "a damaged or unreadable audio/video file"
        if type_key is not None:
            if not math.isfinite(seconds) or seconds <= 0:
                raise Rejected(f"The duration of this {kind.label} cannot be read, so it is not accepted as "
                               f"audio or video. Accepted: {kind.allowed_labels()}.",
                               fields={"file": "unreadable duration"})
            duration = max(1, round(seconds))
    elif head.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        type_key = "vtt"
    else:
        is_text, detail = _is_text(stream, head)
        if is_text:
            type_key = "text"
    if type_key is None and detail is None:
        detail = _describe(head)
    stream.seek(0)
    file_type = check_type(kind, type_key, detail or (None if type_key is None else _label(type_key)))
    return Detected(file_type, duration if file_type.media else None)


def _label(type_key: str) -> str:
    from ..domain.uploads import TYPES

    return TYPES[type_key].label
