"""Objects in an S3 bucket (AWS or any S3-compatible endpoint through `endpoint_url`).

Credentials come from boto3's usual chain (environment, shared files, instance or task role). Requests
are signed with Signature Version 4; with a custom endpoint, path-style addressing is used, which
MinIO, Ceph, Garage and moto all accept.

`save()` streams through `upload_fileobj` (multipart past 8 MiB), reading the caller's stream in 1 MiB
pieces and counting; past `max_bytes` the wrapper raises, s3transfer aborts the multipart upload, and
`save()` deletes the key and aborts any upload still open for it, so nothing is left behind.
Downloads use short-lived presigned GET URLs that set Content-Disposition and Content-Type, and large browser
uploads a presigned POST. With `presigned_urls=False` (S3_PRESIGNED_URLS=false: a store browsers cannot reach)
there are neither: `download_url` and `presigned_post` answer None, as the local backend does, so the app streams
downloads and takes uploads itself, and `origins()` is empty, so no page's CSP names the store.
"""
from __future__ import annotations

from typing import BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .base import (
    CHUNK_SIZE,
    ObjectNotFound,
    RangeNotSatisfiable,
    StorageError,
    TooLarge,
    check_key,
    check_prefix,
    content_disposition,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}
_TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=4,
)


class _LimitedReader:
    """Hands s3transfer what it asks for, reading the source in pieces of at most 1 MiB and raising
    TooLarge as soon as more than `max_bytes` have come in. Deliberately not seekable, so s3transfer
    never tries to rewind or measure the source."""

    def __init__(self, source: BinaryIO, max_bytes: int):
        self._source = source
        self._max = max_bytes
        self.count = 0
        self.too_large = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, amount: int | None = -1) -> bytes:
        parts: list[bytes] = []
        wanted = None if amount is None or amount < 0 else amount
        got = 0
        while wanted is None or got < wanted:
            ask = CHUNK_SIZE if wanted is None else min(CHUNK_SIZE, wanted - got)
            chunk = self._source.read(ask)
            if not chunk:
                break
            self.count += len(chunk)
            if self.count > self._max:
                self.too_large = True
                raise TooLarge(self._max)
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Storage:
    def __init__(self, bucket: str, region: str | None = None, endpoint_url: str | None = None, client=None,
                 presigned_urls: bool = True):
        if not bucket:
            raise StorageError("S3Storage needs a bucket name (S3_BUCKET)")
        self.bucket = bucket
        self.presigned_urls = bool(presigned_urls)
        if client is None:
            s3_options = {"addressing_style": "path"} if endpoint_url else {}
            client = boto3.session.Session().client(
                "s3",
                region_name=region or None,
                endpoint_url=endpoint_url or None,
                config=Config(signature_version="s3v4", s3=s3_options, retries={"mode": "standard"}),
            )
        self.client = client

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r})"

    def origins(self) -> tuple[str, ...]:
        """The web origins browsers reach for presigned downloads and uploads (for the CSP); none when browsers
        never talk to the store (presigned URLs off)."""
        if not self.presigned_urls:
            return ()
        if getattr(self, "_origins", None) is None:
            from urllib.parse import urlsplit

            urls = (self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "k"},
                                                       ExpiresIn=60),
                    self.client.generate_presigned_post(self.bucket, "k", ExpiresIn=60)["url"])
            found: list[str] = []
            for url in urls:
                parts = urlsplit(url)
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in found:
                    found.append(origin)
            self._origins = tuple(found)
        return self._origins

    # -- writing ---------------------------------------------------------------------------------------------
    def save(self, key: str, stream: BinaryIO, *, content_type: str, max_bytes: int) -> int:
        check_key(key)
        reader = _LimitedReader(stream, max_bytes)
        try:
            self.client.upload_fileobj(
                reader, self.bucket, key,
                ExtraArgs={"ContentType": content_type or "application/octet-stream"},
                Config=_TRANSFER,
            )
        except BaseException as exc:
            self._remove_partial(key)
            if reader.too_large:
                raise TooLarge(max_bytes) from None
            if isinstance(exc, (ClientError, BotoCoreError)):
                raise StorageError(f"upload of {key} failed: {exc}") from exc
            raise
        return reader.count

    def _remove_partial(self, key: str) -> None:
        """After a failed upload: delete the key and abort any multipart upload still open for it."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
            pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=key)
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Key"] == key:
                        self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"])
        except (ClientError, BotoCoreError):
            # The original failure matters more; a lifecycle rule on the bucket cleans up what is left.
            pass

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise StorageError(f"delete of {key} failed: {exc}") from exc

    # -- reading ---------------------------------------------------------------------------------------------
    def _get(self, key: str, **kwargs):
        check_key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key, **kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code in _MISSING:
                raise ObjectNotFound(key) from None
            if code in ("InvalidRange", "416"):
                raise RangeNotSatisfiable() from None
            raise StorageError(f"read of {key} failed: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        return self._get(key)["Body"]

    def open_range(self, key: str, start: int, end: int | None) -> BinaryIO:
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"bad byte range {start}-{end}")
        return self._get(key, Range=f"bytes={start}-{'' if end is None else end}")["Body"]

    def _head(self, key: str) -> dict | None:
        check_key(key)
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise StorageError(f"head of {key} failed: {exc}") from exc

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise ObjectNotFound(key)
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def keys(self, prefix: str = "") -> list[str]:
        check_prefix(prefix)
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(found)

    # -- direct browser access -------------------------------------------------------------------------------
    def download_url(self, key: str, *, filename: str, content_type: str, as_attachment: bool,
                     expires: int = 300) -> str | None:
        check_key(key)
        if not self.presigned_urls:
            return None
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename, as_attachment=as_attachment),
                "ResponseContentType": content_type or "application/octet-stream",
            },
            ExpiresIn=int(expires),
        )

    def presigned_post(self, key: str, *, content_type: str, max_bytes: int, expires: int = 600) -> dict | None:
        check_key(key)
        if not self.presigned_urls:
            return None
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, int(max_bytes)]],
            ExpiresIn=int(expires),
        )
        return {"url": post["url"], "fields": post["fields"]}

    # -- readiness -------------------------------------------------------------------------------------------
    def unavailable(self) -> str | None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            return f"bucket {self.bucket}: {_code(exc)}"
        except BotoCoreError as exc:
            return f"bucket {self.bucket}: {type(exc).__name__}: {str(exc)[:200]}"
        return None
