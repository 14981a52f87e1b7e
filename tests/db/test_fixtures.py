from tests.conftest import count_queries
from tests.factories import make_mission, make_user
from webapp.models import Mission, User
from webapp.extensions import db


def test_factories_commit_rows_that_the_next_query_sees():
    make_user("mentor")
    make_mission()
    assert db.session.query(User).count() == 1
    assert db.session.query(Mission).count() == 1


def test_rows_from_the_previous_test_are_gone():
    with count_queries() as q:
        assert db.session.query(User).count() == 0
    assert q.count == 1
