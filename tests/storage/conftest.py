"""Storage fixtures: every test taking `storage` runs once on LocalStorage (tmp_path) and once on S3Storage
against a real S3-compatible HTTP server (moto's server mode on 127.0.0.1, started once per session).
No in-process patching: botocore sends real HTTP requests, signed with the dummy credentials set below."""
from __future__ import annotations

import os
import uuid

import boto3
import pytest
from botocore.config import Config

from webapp.storage import LocalStorage, S3Storage

REGION = "us-east-1"
MiB = 1024 * 1024


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server for this session, with dummy AWS credentials in the environment.
    The environment is restored and the server stopped when the session ends."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_SESSION_TOKEN", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            mp.delenv(name, raising=False)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: the OS picks one
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    """A plain boto3 client on the test server, for checking what the bucket really holds."""
    return boto3.client("s3", region_name=REGION, endpoint_url=s3_endpoint,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


@pytest.fixture
def s3_bucket(s3_client):
    """A fresh, empty bucket for one test, emptied and removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:20]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3_client.delete_object(Bucket=name, Key=item["Key"])
    for upload in s3_client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        s3_client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    s3_client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_storage(s3_endpoint, s3_bucket) -> S3Storage:
    return S3Storage(s3_bucket, region=REGION, endpoint_url=s3_endpoint)


@pytest.fixture
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


@pytest.fixture(params=["local", "s3"])
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


@pytest.fixture
def leftovers(request):
    """leftovers(storage) -> everything the backend really holds, read past the Storage interface:
    every file under the local root (temporary files included), or every object and open multipart
    upload in the bucket (list_objects_v2 and list_multipart_uploads)."""

    def _leftovers(storage) -> list[str]:
        if isinstance(storage, LocalStorage):
            found = []
            for folder, _dirs, files in os.walk(storage.root):
                found.extend(os.path.relpath(os.path.join(folder, name), storage.root) for name in files)
            return sorted(found)
        client = request.getfixturevalue("s3_client")
        objects = client.list_objects_v2(Bucket=storage.bucket).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", [])
        return sorted([o["Key"] for o in objects] + [f"multipart:{u['Key']}" for u in uploads])

    return _leftovers
