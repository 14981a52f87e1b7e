from __future__ import annotations

import pytest

from tests.factories import assign, make_user
from webapp.storage import LocalStorage


@pytest.fixture
def store(app, tmp_path):
    """A fresh local store for each test, so stored objects can be counted."""
    saved = app.extensions.get("storage")
    app.extensions["storage"] = LocalStorage(tmp_path / "uploads")
    yield app.extensions["storage"]
    if saved is None:
        app.extensions.pop("storage", None)
    else:
        app.extensions["storage"] = saved


@pytest.fixture
def people():
    learner = make_user("learner", display_name="Lea Learner", handle="lea", bio="Blue teamer. **SOC** analyst.")
    everyone = {"owner": learner, "other_learner": make_user("learner"), "assigned_mentor": make_user("mentor"),
                "unassigned_mentor": make_user("mentor"), "admin": make_user("admin")}
    assign(everyone["assigned_mentor"], learner)
    return everyone
