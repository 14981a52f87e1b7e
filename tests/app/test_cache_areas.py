"""Which cached areas a change makes stale (each model's `cache_areas`, webapp/caching/areas.py), and the HTML
cache's CSRF handling.

A page cached under an area is served until the area's revision changes, so a change that forgets to bump an
area the page shows is a stale page. These tests pin the mapping from each kind of change to its areas."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories
from webapp import caching
from webapp.caching import revisions
from webapp.caching.areas import areas_of
from webapp.extensions import db
from webapp.models import CacheRevision, CapstoneActivity, PortfolioTransition, StoredFile
from webapp.models.base import utcnow


def snapshot() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(CacheRevision.name, CacheRevision.revision)).all())


def changed(before: dict[str, str]) -> set[str]:
    after = snapshot()
    return {name for name, rev in after.items() if before.get(name) != rev}


@pytest.fixture
def world():
    learner = factories.make_user("learner")
    other = factories.make_user("learner")
    mentor = factories.make_user("mentor")
    factories.assign(mentor, learner)
    mission = factories.make_mission()
    cap = factories.make_capstone(learner, mission)
    return {"learner": learner, "other": other, "mentor": mentor, "mission": mission, "cap": cap}


def test_a_phase_draft_makes_only_its_learner_stale(world):
    before = snapshot()
    world["cap"].decision_analysis = "New analysis"
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id)}


def test_a_submission_also_makes_the_review_queue_stale(world):
    before = snapshot()
    world["cap"].submitted_at = utcnow()
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id), "reviews"}


def test_a_login_makes_nothing_stale_but_a_new_name_makes_people_stale(world):
    before = snapshot()
    world["learner"].last_login_at = utcnow()
    db.session.commit()
    assert changed(before) == set()
    world["mentor"].display_name = "Renamed Mentor"
    db.session.commit()
    assert changed(before) == {"people", caching.learner_area(world["mentor"].id)}


def test_a_mission_edit_makes_the_catalogue_stale(world):
    before = snapshot()
    world["mission"].title = "Renamed mission"
    db.session.commit()
    assert changed(before) == {"catalogue"}


def test_history_rows_make_the_capstone_owner_stale(world):
    before = snapshot()
    db.session.add(CapstoneActivity(capstone_id=world["cap"].id, actor_id=world["mentor"].id, action="claimed"))
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id)}


def test_a_review_makes_the_learner_and_the_queue_stale(world):
    before = snapshot()
    factories.make_review(world["mentor"], world["cap"])
    assert changed(before) == {caching.learner_area(world["learner"].id), "reviews"}


def test_a_mentors_draft_autosave_leaves_the_queue_but_its_submission_does_not(world):
    review = factories.make_review(world["mentor"], world["cap"], status="draft")
    before = snapshot()
    review.written_feedback = "Contain first; then say who decided what."
    review.overall_score = 80
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id)}
    before = snapshot()
    review.total_phases = 2                 # the queue shows a draft's phases
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id), "reviews"}
    before = snapshot()
    review.status, review.submitted_at = "submitted", utcnow()
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id), "reviews"}
    before = snapshot()
    review.next_steps_done = [0]            # a submitted review's next steps show among the overdue ones
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id), "reviews"}


def test_an_attempt_played_for_practice_leaves_the_queue_and_a_review_request_does_not(world):
    before = snapshot()
    attempt = factories.make_completed_attempt(world["other"], world["cap"].mission, status="in_progress")
    assert changed(before) == {caching.learner_area(world["other"].id)}
    before = snapshot()
    assert attempt.review_requested_at is None      # a request reads the row before it changes it
    attempt.status, attempt.score, attempt.completed_at = "completed", 90, utcnow()
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["other"].id)}
    before = snapshot()
    attempt.review_requested_at = utcnow()
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["other"].id), "reviews"}
    before = snapshot()
    attempt.review_requested_at = None          # taken back: it leaves the queue
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["other"].id), "reviews"}


def test_a_mentor_assignment_makes_people_the_learner_and_the_queue_stale(world):
    before = snapshot()
    factories.assign(world["mentor"], world["other"])
    assert changed(before) == {"people", "reviews", caching.learner_area(world["other"].id)}


def test_portfolio_items_and_their_history_make_the_owner_stale(world):
    before = snapshot()
    item = factories.make_item(world["learner"])
    assert changed(before) == {caching.learner_area(world["learner"].id)}
    before = snapshot()
    db.session.add(PortfolioTransition(item_id=item.id, actor_id=world["learner"].id, from_status="draft",
                                       to_status="pending_review"))
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id)}


def test_a_mentors_file_on_a_learners_capstone_makes_both_stale(world):
    before = snapshot()
    row = StoredFile(key="k/audio.webm", owner_id=world["mentor"].id, kind="audio", type_key="webm",
                     filename="audio.webm", content_type="audio/webm", size=10, capstone_id=world["cap"].id)
    db.session.add(row)
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["mentor"].id), caching.learner_area(world["learner"].id)}


def test_a_file_given_to_another_owner_makes_both_owners_stale(world):
    row = StoredFile(key="k/doc.pdf", owner_id=world["learner"].id, kind="document", type_key="pdf",
                     filename="doc.pdf", content_type="application/pdf", size=10)
    db.session.add(row)
    db.session.commit()
    before = snapshot()
    row.owner_id = world["other"].id
    db.session.commit()
    assert changed(before) == {caching.learner_area(world["learner"].id), caching.learner_area(world["other"].id)}


def test_token_use_makes_nothing_stale(world):
    token, _ = factories.make_token(world["learner"])
    before = snapshot()
    token.last_used_at = utcnow()
    db.session.commit()
    assert changed(before) == set()


def test_a_model_the_mapping_does_not_know_makes_everything_stale(world):
    class Unknown:
        pass

    assert areas_of(db.session, Unknown(), is_new=True) == {"everything"}


def test_an_area_without_a_row_gets_one_and_keeps_it(app):
    with app.test_request_context():
        first = revisions.current("learner:424242")
        db.session.remove()
    with app.test_request_context():
        assert revisions.current("learner:424242") == first
    assert db.session.scalar(select(CacheRevision.revision).where(CacheRevision.name == "learner:424242")) == first[0]


# ---- cached HTML and CSRF tokens ----------------------------------------------------------------------------

def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_cached_html_never_stores_a_session_token_and_serves_each_session_its_own(app):
    from flask import g
    from flask_wtf.csrf import generate_csrf

    form = app.jinja_env.from_string('<form><input name="csrf_token" value="{{ token() }}"></form>')
    made = []

    def serve() -> tuple[str, str]:
        with app.test_request_context():      # a new request of a new session each time
            g.pop("csrf_token", None)         # the test's app context (and its g) outlives each request
            html = caching.fragment("people", ("test-form",),
                                    lambda: made.append(1) or form.render(token=generate_csrf))
            token = g.csrf_token
            db.session.remove()
            return html, token

    first_html, first_token = serve()
    second_html, second_token = serve()
    assert made == [1]                                    # made once, served twice
    assert _token(first_html) == first_token
    assert _token(second_html) == second_token != first_token
    # What the worker keeps holds neither session's token.
    kept = [v for v in app.extensions["revision_store"].values() if isinstance(v, str) and "<form>" in v]
    assert len(kept) == 1
    assert first_token not in kept[0] and second_token not in kept[0]


def test_every_model_says_which_cached_areas_its_rows_show_on():
    """A model without `cache_areas` makes every cached value stale at each change (safe, but it empties the
    cache): a new table must say where its rows show, or be listed here as knowingly "everything"."""
    knowingly_everything: set[str] = set()
    undeclared = {m.class_.__name__ for m in db.Model.registry.mappers if "cache_areas" not in vars(m.class_)}
    assert undeclared == knowingly_everything


# ---- one bump per transaction --------------------------------------------------------------------------------

def test_an_area_is_bumped_once_per_transaction_and_nothing_is_cached_from_it_until_the_commit(app, world):
    from tests.conftest import count_queries

    learner_area = caching.learner_area(world["learner"].id)
    with app.test_request_context():
        world["cap"].decision_analysis = "First draft"
        db.session.flush()
        with count_queries() as q:
            world["cap"].remediation_plan = "Second draft"
            db.session.flush()
        assert not any("cache_revisions" in s for s in q.statements), q.statements   # already bumped
        made = []
        for _ in range(2):
            caching.value(learner_area, ("uncommitted",), lambda: made.append(1))
        assert made == [1, 1]                          # made each time, kept never
        db.session.commit()
        for _ in range(2):
            caching.value(learner_area, ("committed",), lambda: made.append(2))
        assert made == [1, 1, 2]


def test_a_change_after_a_rolled_back_savepoint_is_bumped_again(world):
    before = snapshot()
    savepoint = db.session.begin_nested()
    world["cap"].decision_analysis = "Undone"
    db.session.flush()
    savepoint.rollback()
    world["cap"].remediation_plan = "Kept"
    db.session.commit()
    assert caching.learner_area(world["learner"].id) in changed(before)


def test_the_sql_form_of_a_learners_area_reads_the_revision_of_the_python_form(app, world):
    """`learner_column` (SQL, brought along by the user and capstone queries) and `learner_area` (Python, what
    values are stored under) name the same row."""
    from sqlalchemy import literal

    from webapp.models import User

    learner_id = world["learner"].id
    with app.test_request_context():
        (expected,) = revisions.current(caching.learner_area(learner_id))
        found = db.session.scalar(select(caching.learner_column(User.id)).where(User.id == learner_id))
        assert found == expected
        assert db.session.scalar(select(caching.learner_column(literal(424243)))) is None   # no row yet
