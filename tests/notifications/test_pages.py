"""/notifications: the list (newest first, paged, unread told apart in words), marking read, following a
notification to the thing itself, and the navigation's polled unread count. Another user's notification is 404."""
from __future__ import annotations

import re
from datetime import timedelta

from webapp.extensions import db
from webapp.models import Notification
from webapp.models.base import utcnow
from webapp.services import capstones as capstone_service

from ..conftest import count_queries, hx, log_in, transactions_begun
from ..factories import assign, make_mission, make_user
from ..mentorship.helpers import setup_review
from .helpers import add, ready_capstone


def _read_at(n):
    db.session.expire_all()
    return db.session.get(Notification, n.id).read_at


def test_the_list_shows_newest_first_with_unread_marked_in_words(client):
    user = make_user("learner")
    now = utcnow()
    add(user, title="Older and read", created_at=now - timedelta(hours=2), read_at=now)
    add(user, title="Newest and unread", created_at=now)
    add(make_user("learner"), title="Someone else's")
    log_in(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Newest and unread") < page.index("Older and read")
    assert "Someone else's" not in page
    assert page.count('<span class="badge badge-new">Unread</span>') == 1
    assert page.count('<span class="badge">Read</span>') == 1
    assert "1 unread" in page and page.count(">Mark read<") == 1 and "Mark all read" in page


def test_an_empty_list_says_so(client):
    log_in(client, make_user("learner"))
    page = client.get("/notifications").get_data(as_text=True)
    assert "No notifications yet." in page and "Mark all read" not in page
    assert "No unread notifications." in client.get("/notifications?unread=1").get_data(as_text=True)


def test_the_list_is_paged_and_the_unread_filter_keeps_only_unread(client):
    user = make_user("learner")
    now = utcnow()
    for i in range(25):
        add(user, title=f"Event {i:02d}", created_at=now - timedelta(minutes=i), read_at=now if i % 2 else None)
    log_in(client, user)
    first = client.get("/notifications").get_data(as_text=True)
    assert "Event 00" in first and "Event 19" in first and "Event 20" not in first and "Page 1 of 2" in first
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Event 20" in second and "Event 24" in second and "Event 19" not in second
    unread = client.get("/notifications?unread=1").get_data(as_text=True)
    shown = re.findall(r">Event (\d\d)</a>", unread)
    assert shown == [f"{i:02d}" for i in range(0, 25, 2)]


def test_a_page_past_the_end_or_not_a_number_shows_a_real_page(client):
    user = make_user("learner")
    add(user, title="The only one")
    log_in(client, user)
    for page in ("2", "abc", "-3", "1" + "0" * 30):
        resp = client.get(f"/notifications?page={page}")
        assert resp.status_code == 200 and "The only one" in resp.get_data(as_text=True), page


def test_the_list_runs_the_same_queries_for_5_and_20_notifications(client):
    user = make_user("learner")
    actor = make_user("mentor")
    for _ in range(5):
        add(user, actor_id=actor.id)
    log_in(client, user)
    client.get("/notifications")
    with count_queries() as small:
        client.get("/notifications")
    for _ in range(15):
        add(user, actor_id=actor.id)
    with count_queries() as large:
        client.get("/notifications")
    assert large.count == small.count, large.statements


def test_mark_read_marks_only_that_one_and_another_users_is_404(client):
    user, other = make_user("learner"), make_user("learner")
    mine, also_mine, theirs = add(user), add(user), add(other)
    log_in(client, user)
    resp = client.post(f"/notifications/{mine.id}/read", data={"page": "1"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/notifications")
    assert _read_at(mine) is not None and _read_at(also_mine) is None
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    assert _read_at(theirs) is None


def test_mark_read_with_htmx_swaps_the_entry_and_tells_the_badge(client):
    user = make_user("learner")
    n = add(user, title="Review shared")
    log_in(client, user)
    resp = client.post(f"/notifications/{n.id}/read", headers=hx(f"notification-{n.id}"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert f'id="notification-{n.id}"' in html and '<span class="badge">Read</span>' in html and "Mark read" not in html
    assert "notifications-read" in resp.headers["HX-Trigger"]


def test_mark_all_read_marks_only_the_users_own(client):
    user, other = make_user("learner"), make_user("learner")
    mine = [add(user), add(user)]
    theirs = add(other)
    log_in(client, user)
    resp = client.post("/notifications/read-all", follow_redirects=True)
    assert "Marked 2 notifications read." in resp.get_data(as_text=True)
    assert all(_read_at(n) for n in mine) and _read_at(theirs) is None
    again = client.post("/notifications/read-all", follow_redirects=True)
    assert "Nothing was unread." in again.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client):
    n = add(make_user("learner"))
    for url in ("/notifications", f"/notifications/{n.id}/open"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert client.post(f"/notifications/{n.id}/read").status_code == 302
    assert _read_at(n) is None


def test_following_a_submission_takes_the_mentor_to_its_queue_entry_and_marks_it_read(client):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = ready_capstone(learner, make_mission())
    capstone_service.complete_phase(cap, "presentation", learner)
    n = db.session.scalars(db.select(Notification)).one()
    log_in(client, mentor)
    resp = client.get(f"/notifications/{n.id}/open")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/mentorship/queue#queue-capstone-{cap.id}")
    assert _read_at(n) is not None
    queue = client.get("/mentorship/queue").get_data(as_text=True)
    assert f'id="queue-capstone-{cap.id}"' in queue and "Review it" in queue


def test_following_a_shared_review_takes_the_learner_to_it(client):
    learner, mentor, cap, review = setup_review(total_phases=2)
    from webapp.services import reviews as review_service

    review_service.submit(review, mentor)
    n = db.session.scalars(db.select(Notification)).one()
    log_in(client, learner)
    resp = client.get(f"/notifications/{n.id}/open")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/mentorship/reviews/{review.id}")
    assert client.get(resp.headers["Location"]).status_code == 200


def test_following_another_users_notification_is_404_and_leaves_it_unread(client):
    n = add(make_user("learner"))
    log_in(client, make_user("learner"))
    assert client.get(f"/notifications/{n.id}/open").status_code == 404
    assert _read_at(n) is None


def test_a_notification_about_something_deleted_says_so(client):
    user = make_user("learner")
    n = add(user, subject_type="capstone", subject_id=987654)
    log_in(client, user)
    resp = client.get(f"/notifications/{n.id}/open", follow_redirects=True)
    assert "What this notification was about no longer exists." in resp.get_data(as_text=True)


# ---- the unread count in the navigation ---------------------------------------------------------------------------

def test_every_page_carries_the_polled_count_element_and_renders_without_counting(client, app):
    user = make_user("learner")
    add(user)
    log_in(client, user)
    client.get("/missions")
    with count_queries() as q:
        page = client.get("/missions").get_data(as_text=True)
    assert not any("notifications" in s for s in q.statements), q.statements
    poll = app.config["NOTIFICATIONS_POLL_SECONDS"]
    assert 'id="notification-count"' in page and 'hx-get="/notifications/count"' in page
    assert f'hx-trigger="load, every {poll}s, notifications-read from:body"' in page
    assert 'id="notification-news" class="visually-hidden" role="status" aria-live="polite"' in page


def test_the_count_fragment_reads_as_a_sentence(client):
    user = make_user("learner")
    log_in(client, user)
    empty = client.get("/notifications/count", headers=hx("notification-count")).get_data(as_text=True)
    assert 'name="shown" value="0"' in empty and "unread notification" not in empty
    for _ in range(3):
        add(user)
    html = client.get("/notifications/count", headers=hx("notification-count")).get_data(as_text=True)
    assert '<span class="badge badge-new" aria-hidden="true">3</span>' in html
    assert '<span class="visually-hidden">, 3 unread notifications</span>' in html
    assert "hx-swap-oob" not in html                  # the first load announces nothing


def test_the_polled_count_is_one_query_and_opens_no_transaction(client):
    user = make_user("learner")
    for _ in range(2):
        add(user)
    log_in(client, user)
    db.session.close()
    with transactions_begun() as began, count_queries() as q:
        html = client.get("/notifications/count", headers=hx("notification-count")).get_data(as_text=True)
    assert '<span class="badge badge-new" aria-hidden="true">2</span>' in html
    assert began == [] and q.count == 2, q.statements        # the session's user, then the count


def test_an_unchanged_count_answers_204_and_a_changed_one_is_announced(client):
    user = make_user("learner")
    add(user)
    log_in(client, user)
    assert client.get("/notifications/count?shown=1").status_code == 204
    add(user)
    resp = client.get("/notifications/count?shown=1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'name="shown" value="2"' in html
    assert '<span hx-swap-oob="innerHTML:#notification-news">2 unread notifications</span>' in html
    client.post("/notifications/read-all")
    fell = client.get("/notifications/count?shown=2").get_data(as_text=True)
    assert "badge" not in fell and ">No unread notifications</span>" in fell


def test_the_count_for_an_anonymous_visitor_is_empty_not_a_redirect(client):
    resp = client.get("/notifications/count", headers=hx("notification-count"))
    assert resp.status_code == 200 and "badge" not in resp.get_data(as_text=True)


def test_the_count_costs_the_login_and_one_count(client):
    user = make_user("learner")
    add(user)
    log_in(client, user)
    client.get("/notifications/count")
    with count_queries() as q:
        client.get("/notifications/count")
    counting = [s for s in q.statements if "notifications" in s]
    assert len(counting) == 1 and "count(" in counting[0].lower()
