"""Reads before the request's transaction (webapp/caching/quickread.py): one statement each, never blind to the
request's own changes, and model instances adopted into the session as if it had loaded them."""
from __future__ import annotations

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import count_queries, log_in
from webapp.caching import quickread
from webapp.extensions import db
from webapp.models import User


def _fresh_session() -> None:
    """As a request starts: no transaction open (the tests share one session with their requests)."""
    db.session.rollback()


def _name_query(user_id: int):
    return select(User.display_name).where(User.id == user_id)


def test_a_read_before_the_transaction_is_one_statement_and_opens_no_transaction(app):
    user = factories.make_user("learner", display_name="Ada")
    user_id = user.id
    _fresh_session()
    with count_queries() as q:
        row = quickread.first(_name_query(user_id))
    assert row.display_name == "Ada"
    assert q.count == 1, q.statements
    assert not db.session.info.get(quickread.CONNECTED)
    assert quickread.scalars(select(User.id).where(User.id == user_id)) == [user_id]
    assert quickread.first(_name_query(user_id + 1000)) is None


def test_reads_see_the_requests_own_changes_whether_flushed_or_not(app):
    user = factories.make_user("learner", display_name="Before")
    _fresh_session()
    user.display_name = "Changed, not flushed"
    assert quickread.first(_name_query(user.id)).display_name == "Changed, not flushed"
    user.display_name = "Changed and flushed"
    db.session.flush()
    assert db.session.info.get(quickread.CONNECTED)
    assert quickread.first(_name_query(user.id)).display_name == "Changed and flushed"
    db.session.rollback()
    # Nothing was committed: a read outside the transaction sees the stored name again.
    assert not db.session.info.get(quickread.CONNECTED)
    assert quickread.first(_name_query(user.id)).display_name == "Before"


def test_a_new_row_waiting_to_flush_is_seen(app):
    _fresh_session()
    db.session.add(User(email="new@example.com", display_name="New", handle="new-one", role="learner",
                        password_hash="x"))
    assert quickread.scalars(select(User.handle).where(User.email == "new@example.com")) == ["new-one"]
    db.session.rollback()


def test_an_adopted_instance_is_persistent_and_clean_and_saves_changes(app):
    user = factories.make_user("learner", display_name="Grace")
    user_id = user.id
    db.session.expunge_all()
    row = quickread.first(select(*quickread.columns(User)).where(User.id == user_id))
    with count_queries() as q:
        adopted = quickread.adopt(User, row)
        assert (adopted.id, adopted.display_name, adopted.role) == (user_id, "Grace", "learner")
    assert q.count == 0, q.statements
    state = inspect(adopted)
    assert state.persistent and not db.session.dirty
    adopted.display_name = "Grace H."
    db.session.commit()
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT display_name FROM users WHERE id = :id"), {"id": user_id}).scalar()
    assert stored == "Grace H."


def test_adopting_a_row_the_session_holds_returns_that_instance_with_its_expired_columns_filled(app):
    user = factories.make_user("learner", display_name="Linus")   # committed: every column expired
    row = quickread.first(select(*quickread.columns(User)).where(User.id == inspect(user).identity[0]))
    with count_queries() as q:
        assert quickread.adopt(User, row) is user
        assert user.display_name == "Linus"
    assert q.count == 0, q.statements


def test_a_page_served_from_the_cache_opens_no_transaction(app):
    learner = factories.make_user("learner")
    factories.make_mission(title="Phishing triage")
    client = app.test_client()
    log_in(client, learner)
    assert "Phishing triage" in client.get("/missions").get_data(as_text=True)
    begun = []

    def count_begin(session, transaction, connection):
        begun.append(connection)

    _fresh_session()
    event.listen(Session, "after_begin", count_begin)
    try:
        with count_queries() as q:
            page = client.get("/missions")
    finally:
        event.remove(Session, "after_begin", count_begin)
    assert page.status_code == 200 and "Phishing triage" in page.get_data(as_text=True)
    assert q.count == 1, q.statements
    assert begun == []
