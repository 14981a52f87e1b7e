"""A reply in a review conversation tells the other side (SPEC §12): the learner's question reaches the reviewing
mentor, the mentor's answer the learner; everyone who replied before hears of later replies; never the author."""
from __future__ import annotations

from sqlalchemy import select

from webapp.domain.notifications import reply_recipients
from webapp.extensions import db
from webapp.models import Notification

from ..conftest import log_in
from .test_review_conversation import post, world


def told(kind: str = "review_reply") -> dict[int, list[Notification]]:
    db.session.expire_all()
    out: dict[int, list[Notification]] = {}
    for n in db.session.scalars(select(Notification).where(Notification.kind == kind)):
        out.setdefault(n.user_id, []).append(n)
    return out


def test_the_learners_reply_tells_the_reviewing_mentor_only(client):
    w = world()
    log_in(client, w["learner"])
    assert post(client, w["shared"], "What do you mean by scope earlier?").status_code == 303
    rows = told()
    assert set(rows) == {w["mentor"].id}
    note = rows[w["mentor"].id][0]
    assert (note.subject_type, note.subject_id, note.actor_id) == ("review", w["shared"].id, w["learner"].id)
    assert note.title == "Lena Learner replied in the review of “Night Shift”"


def test_the_mentors_answer_tells_the_learner_and_a_colleague_who_joined_hears_later_replies(client):
    w = world()
    log_in(client, w["learner"])
    post(client, w["shared"], "A question.")
    log_in(client, w["colleague"])
    post(client, w["shared"], "Mia here: look at the scoping guide.")
    rows = told()
    # Mia's reply: the learner and the reviewing mentor hear of it, not Mia.
    assert {uid: len(v) for uid, v in rows.items()} == {w["mentor"].id: 2, w["learner"].id: 1}
    log_in(client, w["mentor"])
    post(client, w["shared"], "Agreed.")
    rows = told()
    assert {uid: len(v) for uid, v in rows.items()} == {w["mentor"].id: 2, w["learner"].id: 2,
                                                        w["colleague"].id: 1}


def test_a_refused_reply_tells_nobody(client):
    w = world()
    log_in(client, w["learner"])
    assert post(client, w["draft"], "On the draft?").status_code == 403
    assert post(client, w["shared"], "   ").status_code == 422
    assert told() == {}


def test_the_notification_opens_the_review_for_the_mentor(client):
    w = world()
    log_in(client, w["learner"])
    post(client, w["shared"], "A question.")
    note = told()[w["mentor"].id][0]
    log_in(client, w["mentor"])
    resp = client.get(f"/notifications/{note.id}/open")
    assert resp.status_code in (302, 303) and resp.headers["Location"].endswith(f"/mentorship/reviews/{w['shared'].id}")


def test_reply_recipients_rule():
    # The learner asks: the reviewing mentor and whoever answered before.
    assert reply_recipients(1, learner_id=1, mentor_id=2, earlier_authors=[1, 3]) == {2, 3}
    # A mentor answers: the learner (and the reviewing mentor if someone else answers).
    assert reply_recipients(3, learner_id=1, mentor_id=2, earlier_authors=[1]) == {1, 2}
    # A review whose mentor deleted their account: the learner's question goes to their mentors.
    assert reply_recipients(1, learner_id=1, mentor_id=None, earlier_authors=[None],
                            learner_mentors=[4, 5]) == {4, 5}
    # ...but not when someone in the thread can answer.
    assert reply_recipients(1, learner_id=1, mentor_id=None, earlier_authors=[3], learner_mentors=[4]) == {3}
