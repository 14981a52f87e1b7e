"""The upload and download tests run once on local files and once on S3 (moto's server on 127.0.0.1)."""
from __future__ import annotations

import pytest

from tests.storage.conftest import REGION, s3_bucket, s3_client, s3_endpoint  # noqa: F401 (fixtures)
from webapp.storage import LocalStorage, S3Storage


def _use(app, store):
    saved = app.extensions.get("storage")
    app.extensions["storage"] = store
    yield store
    if saved is None:
        app.extensions.pop("storage", None)
    else:
        app.extensions["storage"] = saved


@pytest.fixture
def local_backend(app, tmp_path):
    yield from _use(app, LocalStorage(tmp_path / "uploads"))


@pytest.fixture
def s3_backend(app, s3_endpoint, s3_bucket):
    yield from _use(app, S3Storage(s3_bucket, region=REGION, endpoint_url=s3_endpoint))


@pytest.fixture(params=["local", "s3"])
def backend(request):
    """Point the app at a fresh store of each kind in turn, for one test; yields the Storage."""
    return request.getfixturevalue(f"{request.param}_backend")
