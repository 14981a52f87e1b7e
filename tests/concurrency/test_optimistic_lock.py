"""The one optimistic lock (services.transitions: check_version, commit, Stale) as the capstone and review
services use it: a form older than the row, and a concurrent write that lands between this request's read and
its commit, both answer 409 `stale` in the page's words and keep nothing of the request."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.capstones.helpers import capstone_for, reload
from tests.factories import assign, make_review, make_user
from webapp.domain.errors import NotFound
from webapp.extensions import db
from webapp.models import CapstoneProject, MentorshipInteraction
from webapp.services import capstones as capstone_service
from webapp.services import reviews as review_service
from webapp.services import transitions


def _capstone():
    return capstone_for(make_user("learner"))


def _review():
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    return make_review(mentor, capstone_for(learner))


CASES = [  # (make, model, the text field written, its stale error, the field the version is named under)
    (_capstone, CapstoneProject, "decision_analysis", capstone_service.StaleCapstone, "version"),
    (_review, MentorshipInteraction, "written_feedback", review_service.StaleReview, "version_id"),
]


def _saved_elsewhere(model, row_id: int, field: str, value: str) -> None:
    """Another request's committed write: its own connection, the version moved on."""
    with db.engine.begin() as conn:
        conn.execute(update(model.__table__).where(model.__table__.c.id == row_id)
                     .values({field: value, "version_id": model.__table__.c.version_id + 1}))


@pytest.mark.parametrize("make, model, field, stale, version_field", CASES)
def test_a_form_older_than_the_row_is_stale_naming_the_current_version(make, model, field, stale, version_field):
    obj = make()
    _saved_elsewhere(model, obj.id, field, "theirs")
    db.session.expire_all()
    with pytest.raises(stale) as info:
        transitions.check_version(obj, 1, stale)
    err = info.value
    assert isinstance(err, transitions.Stale) and err.status == 409 and err.code == "stale"
    assert err.fields == {version_field: "the current version is 2"} and "another tab" in err.message
    transitions.check_version(obj, 2, stale)           # the version it has: no refusal
    transitions.check_version(obj, None, stale)        # no version sent: no check


@pytest.mark.parametrize("make, model, field, stale, version_field", CASES)
def test_a_write_that_lands_between_read_and_commit_is_stale_and_keeps_nothing(make, model, field, stale,
                                                                                 version_field):
    obj = make()
    obj_id = obj.id
    assert obj.version_id == 1                        # read by this request
    _saved_elsewhere(model, obj_id, field, "theirs")
    setattr(obj, field, "mine")
    with pytest.raises(stale) as info:
        transitions.commit(obj, stale)
    assert info.value.current_version == 2 and info.value.fields == {version_field: "the current version is 2"}
    assert getattr(obj, field) == "theirs" and obj.version_id == 2     # re-read as the winner left it
    db.session.expire_all()
    assert getattr(db.session.get(model, obj_id), field) == "theirs"


def test_a_write_to_a_row_deleted_meanwhile_is_not_found():
    cap = _capstone()
    assert cap.version_id == 1                        # read by this request
    with db.engine.begin() as conn:
        conn.execute(CapstoneProject.__table__.delete().where(CapstoneProject.__table__.c.id == cap.id))
    cap.decision_analysis = "mine"
    with pytest.raises(NotFound):
        transitions.commit(cap, capstone_service.StaleCapstone)


def test_compare_and_set_refuses_the_same_stale_version():
    cap = _capstone()
    _saved_elsewhere(CapstoneProject, cap.id, "decision_analysis", "theirs")
    db.session.expire_all()
    assert not transitions.compare_and_set(cap, {"decision_analysis": "mine"}, expected_version=1)
    assert reload(cap.id).decision_analysis == "theirs"
