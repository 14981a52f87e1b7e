"""Phase drafts are kept while the learner types (issue #18): the autosave route saves, moves the form's version
on, and a refusal (a bad link, the phase completed or changed in another tab) keeps the text in the page, says why,
and saves nothing."""
from __future__ import annotations

import re

import pytest

from tests.capstones.helpers import FORM, capstone_for, reload, snapshot, world
from tests.conftest import log_in
from webapp.extensions import db
from webapp.models.base import utcnow

HTMX = {"HX-Request": "true"}


def text(resp) -> str:
    return resp.get_data(as_text=True)


def autosave(client, cap, phase="investigation", version=None, **fields):
    data = {**FORM[phase], "version": str(cap.version_id if version is None else version), **fields}
    return client.post(f"/capstones/{cap.id}/phases/{phase}/draft", data=data, headers=HTMX)


@pytest.fixture
def owned(client):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    log_in(client, w["owner"])
    return w, cap


def test_autosave_keeps_the_draft_and_moves_the_version_on(client, owned):
    _, cap = owned
    opened_at = cap.version_id
    resp = autosave(client, cap, **{"investigation_findings-threats": ["Typed a moment ago"]})
    html = text(resp)
    stored = reload(cap.id)
    assert resp.status_code == 200 and "Draft saved at" in html and 'data-saved="true"' in html
    assert stored.investigation_findings["threats"] == ["Typed a moment ago"]
    version = re.search(r'id="phase-version" name="version" value="(\d+)" hx-swap-oob="true"', html).group(1)
    assert int(version) == stored.version_id == opened_at + 1
    # The next save carries that version and is taken (not refused as coming from a stale tab).
    resp = autosave(client, stored, **{"investigation_findings-threats": ["Then more"]})
    assert resp.status_code == 200 and reload(cap.id).investigation_findings["threats"] == ["Then more"]


def test_autosave_of_a_bad_link_saves_nothing_and_names_the_field(client, owned):
    _, cap = owned
    before = snapshot()
    resp = autosave(client, cap, **{"investigation_artifacts-url": ["htt"]})
    html = text(resp)
    assert resp.status_code == 422 and 'data-saved="false"' in html
    assert "Not saved yet: artifacts, row 1: must be an http(s) link" in html and "still here" in html
    assert "hx-swap-oob" not in html and snapshot() == before


def test_autosave_of_a_phase_completed_in_another_tab_is_409_and_changes_nothing(client, owned):
    _, cap = owned
    cap.investigation_completed_at = utcnow()
    db.session.commit()
    before = snapshot()
    resp = autosave(client, reload(cap.id), **{"investigation_findings-threats": ["From the old tab"]})
    assert resp.status_code == 409 and "Not saved:" in text(resp) and "read-only" in text(resp)
    assert snapshot() == before


def test_autosave_from_a_stale_tab_is_409_and_changes_nothing(client, owned):
    _, cap = owned
    opened_at = cap.version_id                                            # both tabs opened this version
    assert autosave(client, cap, version=opened_at).status_code == 200    # the other tab saved first
    before = snapshot()
    resp = autosave(client, cap, version=opened_at, **{"investigation_findings-threats": ["Old tab text"]})
    assert resp.status_code == 409 and "changed somewhere else" in text(resp)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["other_learner", "assigned_mentor", "admin"])
def test_only_the_owner_autosaves(client, who):
    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    log_in(client, w[who])
    before = snapshot()
    assert autosave(client, cap).status_code == 403
    assert snapshot() == before


def test_the_phase_form_autosaves_and_warns_before_leaving(client, owned):
    _, cap = owned
    html = text(client.get(f"/capstones/{cap.id}?phase=investigation"))
    assert f'hx-post="/capstones/{cap.id}/phases/investigation/draft"' in html
    assert "data-unsaved-warning" in html and 'id="phase-save-status"' in html
