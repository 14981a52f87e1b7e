"""The upload and download tests run once on local files and once on S3 (moto's server on 127.0.0.1)."""
from __future__ import annotations

import pytest

from tests.storage.conftest import REGION, s3_bucket, s3_client, s3_endpoint  # noqa: F401 (fixtures)
from webapp.storage import LocalStorage, S3Storage


@pytest.fixture(params=["local", "s3"])
def backend(request, app, tmp_path):
    """Point the app at a fresh store of the given kind for one test; yields the Storage."""
    if request.param == "local":
        store = LocalStorage(tmp_path / "uploads")
    else:
        bucket = request.getfixturevalue("s3_bucket")
        store = S3Storage(bucket, region=REGION, endpoint_url=request.getfixturevalue("s3_endpoint"))
    saved = app.extensions.get("storage")
    app.extensions["storage"] = store
    yield store
    if saved is None:
        app.extensions.pop("storage", None)
    else:
        app.extensions["storage"] = saved
