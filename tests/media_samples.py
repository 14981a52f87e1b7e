"""Small real audio and video files made with PyAV (FFmpeg) for the upload tests."""
from __future__ import annotations

import array
import io
import math
import zipfile
from fractions import Fraction
from functools import cache

import av


def _audio(fmt: str, codec: str, seconds: float, rate: int = 48000) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        total, done = int(rate * seconds), 0
        while done < total:
            n = min(960, total - done)
            samples = array.array("h", (int(6000 * math.sin(2 * math.pi * 440 * (done + i) / rate)) for i in range(n)))
            frame = av.AudioFrame(format="s16", layout="mono", samples=n)
            frame.planes[0].update(samples.tobytes())
            frame.sample_rate, frame.pts, frame.time_base = rate, done, Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
            done += n
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def _video(fmt: str, codec: str, seconds: int, fps: int = 10) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(i * 12) % 255]) * plane.buffer_size)
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


@cache
def sample(name: str) -> bytes:
    makers = {
        "webm-audio": lambda: _audio("webm", "libopus", 3),
        "ogg-audio": lambda: _audio("ogg", "libopus", 2),
        "mp3": lambda: _audio("mp3", "libmp3lame", 2),
        "m4a": lambda: _audio("ipod", "aac", 2),
        "wav": lambda: _audio("wav", "pcm_s16le", 2),
        "mp4-video": lambda: _video("mp4", "libx264", 2),
        "webm-video": lambda: _video("webm", "libvpx", 3),
        "pdf": lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "png": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40,
        "jpeg": lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40,
        "text": lambda: "# Findings\n\nThe VPN account had no MFA — ünïcode ok.\n".encode(),
        "vtt": lambda: b"WEBVTT\n\n00:00.000 --> 00:01.500\nHello from the mentor.\n",
        "docx": lambda: _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}),
        "zip": lambda: _zip({"notes.txt": "plain archive"}),
        "html": lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "exe": lambda: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120,
        "broken-media": lambda: b"OggS" + b"\x00" * 200,
    }
    return makers[name]()


def _zip(entries: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buf.getvalue()
