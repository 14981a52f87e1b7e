"""Peak memory of the app while it receives a 200 MB video upload.

    .venv/bin/python bench/upload_memory.py [--mb 200] [--backend local]

Starts the app under gunicorn (one sync worker) on 127.0.0.1 with a throwaway SQLite database and
upload folder, logs in through the web form, uploads a real MP4 of the given size through POST /files,
and prints the worker's resident memory when idle (after a warm-up upload) and its peak (VmHWM) after
the big upload. The target: the peak stays under idle + 100 MB. Linux only (reads /proc).
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_video(path: Path, megabytes: int) -> None:
    """An MP4 of noise frames (noise does not compress), about `megabytes` in size."""
    import av

    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.bit_rate = 400_000_000
        stream.options = {"qscale": "1"}
        i = 0
        while True:
            frame = av.VideoFrame(1280, 720, "yuv420p")
            for plane in frame.planes:
                plane.update(os.urandom(plane.buffer_size))
            frame.pts, frame.time_base = i, Fraction(1, 25)
            for packet in stream.encode(frame):
                out.mux(packet)
            i += 1
            if i % 25 == 0 and path.exists() and path.stat().st_size >= megabytes * 1024 * 1024:
                break
        for packet in stream.encode(None):
            out.mux(packet)


class Multipart:
    """A streamed multipart body: fields, then the file read from disk in chunks."""

    def __init__(self, fields: dict[str, str], file_path: Path, filename: str):
        self.boundary = secrets.token_hex(16)
        head = "".join(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                       for k, v in fields.items())
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n")
        self.parts = [head.encode(), file_path, f"\r\n--{self.boundary}--\r\n".encode()]
        self.length = len(self.parts[0]) + file_path.stat().st_size + len(self.parts[2])

    def __iter__(self):
        yield self.parts[0]
        with open(self.parts[1], "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                yield chunk
        yield self.parts[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for {pid}")


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of the upload in MB")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mastery-bench-"))
    server = None
    try:
        video = work / "big.mp4"
        t0 = time.time()
        make_video(video, args.mb)
        size_mb = video.stat().st_size / 1024 / 1024
        print(f"made a {size_mb:.0f} MB MP4 in {time.time() - t0:.1f} s")
        env = {**os.environ, "SECRET_KEY": secrets.token_hex(16), "MASTERY_INSTANCE_PATH": str(work / "instance"),
               "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}", "MAX_UPLOAD_MB": str(args.mb + 50),
               "STORAGE_BACKEND": "local"}
        venv_bin = Path(sys.executable).parent
        flask = [str(venv_bin / "flask"), "--app", "wsgi"]
        subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(flask + ["users", "create", "--email", "bench@example.com", "--name", "Bench",
                                "--handle", "bench", "--role", "mentor", "--password-stdin"],
                       cwd=ROOT, env=env, check=True, capture_output=True, input="bench-password-1\n", text=True)
        port = free_port()
        server = subprocess.Popen([str(venv_bin / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "300",
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        for _ in range(100):
            try:
                page = opener.open(base + "/auth/login").read().decode()
                break
            except OSError:
                time.sleep(0.1)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        opener.open(base + "/auth/login", urllib.parse.urlencode(
            {"email": "bench@example.com", "password": "bench-password-1", "csrf_token": token}).encode())

        def upload(path: Path) -> int:
            body = Multipart({"kind": "video", "csrf_token": token}, path, path.name)
            request = urllib.request.Request(base + "/files", data=iter(body), method="POST", headers={
                "Content-Type": f"multipart/form-data; boundary={body.boundary}",
                "Content-Length": str(body.length), "HX-Request": "true", "HX-Target": "uploads"})
            with opener.open(request) as resp:
                return resp.status

        small = work / "small.mp4"
        make_video(small, 1)
        assert upload(small) == 201, "warm-up upload failed"
        pid = worker_pid(server.pid)
        idle = proc_kb(pid, "VmRSS")
        t0 = time.time()
        status = upload(video)
        seconds = time.time() - t0
        peak = proc_kb(pid, "VmHWM")
        print(f"upload of {size_mb:.0f} MB: HTTP {status} in {seconds:.1f} s ({size_mb / seconds:.0f} MB/s)")
        print(f"worker RSS idle (after warm-up): {idle / 1024:.1f} MB")
        print(f"worker RSS peak (VmHWM):        {peak / 1024:.1f} MB")
        extra = (peak - idle) / 1024
        print(f"extra memory for the upload:    {extra:.1f} MB (target: under 100 MB) -> "
              f"{'OK' if extra < 100 and status == 201 else 'OVER'}")
        return 0 if extra < 100 and status == 201 else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
