"""Portfolio workflow races (issue #15, finding 6): two requests that change an item's status at the same time.
Exactly one wins; the other gets 409 naming the item's status now; one history row per real transition; the item
ends as the winner was told."""
from __future__ import annotations

from sqlalchemy import select

from tests.concurrency.conftest import browser, play, race
from tests.factories import assign, make_item, make_token, make_user
from webapp.extensions import db
from webapp.models import PortfolioItem, PortfolioTransition
from webapp.models.base import utcnow


def _item(owner, n: int, **fields) -> int:
    return make_item(owner, title=f"Incident write-up {n}", summary="What happened.", **fields).id


def _after(item_id: int) -> tuple[PortfolioItem, list[tuple]]:
    db.session.expire_all()
    item = db.session.get(PortfolioItem, item_id)
    moves = db.session.execute(select(PortfolioTransition.from_status, PortfolioTransition.to_status,
                                      PortfolioTransition.actor_id)
                               .where(PortfolioTransition.item_id == item_id)
                               .order_by(PortfolioTransition.id)).all()
    return item, [tuple(m) for m in moves]


def _told(b, resp) -> str:
    """The page a browser lands on after a 303 (with the flashed message)."""
    return b.get(resp.headers["Location"]).text


def test_two_mentors_reviewing_one_item_at_once_one_decides_the_other_gets_409(served, rounds):
    owner, mentor, admin = make_user("learner"), make_user("mentor"), make_user("admin")
    assign(mentor, owner)
    approver, changer = browser(served, mentor), browser(served, admin)
    def one_round(n):
        item_id = _item(owner, n, status="submitted", submitted_at=utcnow())
        approve, change = race(
            lambda: approver.post(f"/portfolio/items/{item_id}/review", data={"decision": "approve"}),
            lambda: changer.post(f"/portfolio/items/{item_id}/review",
                                 data={"decision": "request_changes", "note": "Redact the host names."}))
        item, moves = _after(item_id)
        statuses = sorted([approve.status_code, change.status_code])
        assert statuses == [303, 409], (n, approve.status_code, change.status_code)
        if approve.status_code == 303:
            assert "Approved: the learner can now show it." in _told(approver, approve)
            assert "This item was already reviewed: it is now Approved." in change.text
            assert (item.status, item.reviewed_by_id) == ("approved", mentor.id)
            assert moves == [("submitted", "approved", mentor.id)]
        else:
            assert "Changes requested: the learner sees your note." in _told(changer, change)
            assert "This item was already reviewed: it is now Changes requested." in approve.text
            assert (item.status, item.reviewed_by_id, item.review_note) == (
                "changes_requested", admin.id, "Redact the host names.")
            assert moves == [("submitted", "changes_requested", admin.id)]

    play(rounds, one_round)


def test_two_api_reviews_at_once_the_loser_gets_409_with_the_current_status_in_fields(served, rounds):
    import requests

    owner, mentor, admin = make_user("learner"), make_user("mentor"), make_user("admin")
    assign(mentor, owner)
    headers = {who: {"Authorization": f"Bearer {make_token(user)[1]}"} for who, user in (("mentor", mentor),
                                                                                          ("admin", admin))}

    def review(who, item_id, body):
        return requests.post(f"{served}/api/v1/portfolio-items/{item_id}/review", json=body, headers=headers[who],
                             timeout=30)

    def one_round(n):
        item_id = _item(owner, n, status="submitted", submitted_at=utcnow())
        a, b = race(lambda: review("mentor", item_id, {"decision": "approve"}),
                    lambda: review("admin", item_id, {"decision": "request_changes", "note": "More detail."}))
        assert sorted([a.status_code, b.status_code]) == [200, 409], (n, a.text, b.text)
        winner, loser = (a, b) if a.status_code == 200 else (b, a)
        item, moves = _after(item_id)
        assert winner.json()["status"] == item.status
        error = loser.json()["error"]
        assert error["code"] == "conflict" and error["fields"]["status"] == item.status
        assert error["message"].startswith("This item was already reviewed: it is now ")
        assert len(moves) == 1 and moves[0][:2] == ("submitted", item.status)

    play(rounds, one_round)


def test_submitting_one_item_from_two_tabs_at_once_submits_it_once(served, rounds):
    owner = make_user("learner")
    tab1, tab2 = browser(served, owner), browser(served, owner)
    def one_round(n):
        item_id = _item(owner, n, status="draft")
        a, b = race(lambda: tab1.post(f"/portfolio/items/{item_id}/submit"),
                    lambda: tab2.post(f"/portfolio/items/{item_id}/submit"))
        assert sorted([a.status_code, b.status_code]) == [303, 409], (n, a.status_code, b.status_code)
        loser = a if a.status_code == 409 else b
        assert "This item was already submitted: it is now Submitted." in loser.text
        item, moves = _after(item_id)
        assert item.status == "submitted"
        assert moves == [("draft", "submitted", owner.id)]

    play(rounds, one_round)


def test_an_edit_racing_an_approval_never_leaves_unreviewed_content_approved(served, rounds):
    owner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, owner)
    author, reviewer = browser(served, owner), browser(served, mentor)
    def one_round(n):
        item_id = _item(owner, n, status="submitted", submitted_at=utcnow())
        edit, approve = race(
            lambda: author.post(f"/portfolio/items/{item_id}", data={
                "title": f"Rewritten {n}", "summary": "New, unreviewed text.", "item_type": "writeup",
                "skill_tags": ""}),
            lambda: reviewer.post(f"/portfolio/items/{item_id}/review", data={"decision": "approve"}))
        item, moves = _after(item_id)
        # Never approved with text the mentor did not see, whoever comes first.
        assert not (item.status == "approved" and item.title != f"Incident write-up {n}"), n
        if (edit.status_code, approve.status_code) == (303, 303):
            # No race after all: the approval was over before the edit read the item (approved, then edited).
            assert (item.status, item.title) == ("draft", f"Rewritten {n}")
            assert moves == [("submitted", "approved", mentor.id), ("approved", "draft", owner.id)]
            return
        assert sorted([edit.status_code, approve.status_code]) == [303, 409], (n, edit.status_code,
                                                                                approve.status_code)
        if approve.status_code == 303:
            # The mentor approved what they saw; the learner's edit was refused, nothing of it saved.
            assert (item.status, item.title, item.summary) == ("approved", f"Incident write-up {n}", "What happened.")
            assert "it is now Approved" in edit.text and "not saved" in edit.text
            assert moves == [("submitted", "approved", mentor.id)]
        else:
            assert (item.status, item.title) == ("draft", f"Rewritten {n}")
            assert "back to draft" in _told(author, edit)
            assert "it is now Draft" in approve.text
            assert moves == [("submitted", "draft", owner.id)]

    play(rounds, one_round)
