"""E-mail choices per kind of notification on /account, and `email_choice(user, kind)`, what the mail worker
reads: defaults (immediately for the review loop, a digest for the rest), saved choices, deactivated users."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.domain.errors import Invalid
from webapp.domain.notifications import KINDS
from webapp.extensions import db
from webapp.models import NotificationPreference
from webapp.services import notifications as service

from ..conftest import log_in
from ..factories import make_user


def _stored(user) -> dict:
    db.session.expire_all()
    return dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.email).where(
        NotificationPreference.user_id == user.id)).all())


def test_defaults_e_mail_the_review_loop_at_once_and_reminders_in_a_digest():
    user = make_user("learner")
    assert service.email_choice(user, "review_shared") == "immediately"
    assert service.email_choice(user, "capstone_submitted") == "immediately"
    assert service.email_choice(user, "step_due") == "daily"
    assert service.email_choice(user, "claim_lapsing") == "daily"


def test_saved_choices_are_what_email_choice_answers():
    user = make_user("learner")
    service.save_email_choices(user, {"review_shared": "daily", "step_due": "off"})
    assert service.email_choice(user, "review_shared") == "daily"
    assert service.email_choice(user, "step_due") == "off"
    assert service.email_choice(user, "changes_requested") == "immediately"


def test_a_deactivated_user_gets_no_e_mail():
    user = make_user("learner", is_active=False)
    assert service.email_choice(user, "review_shared") == "off"


def test_an_unknown_kind_or_choice_saves_nothing():
    user = make_user("learner")
    with pytest.raises(Invalid):
        service.save_email_choices(user, {"review_shared": "daily", "step_due": "weekly"})
    with pytest.raises(Invalid):
        service.save_email_choices(user, {"no_such_kind": "off"})
    assert _stored(user) == {}


def test_the_account_page_has_a_labelled_select_per_kind_of_the_users_role(client, app):
    mentor = make_user("mentor")
    service.save_email_choices(mentor, {"step_due": "off"})
    log_in(client, mentor)
    page = client.get("/account").get_data(as_text=True)
    assert "<legend>E-mail me when…</legend>" in page
    for kind in KINDS:
        assert f'<label for="email_{kind}">' in page and f'<select id="email_{kind}" name="email_{kind}"' in page
    assert '<option selected value="off">Off (in the app only)</option>' in page
    learner_client = app.test_client()
    log_in(learner_client, make_user("learner"))
    page = learner_client.get("/account").get_data(as_text=True)
    assert '<select id="email_review_shared"' in page and '<select id="email_capstone_submitted"' not in page
    assert '<select id="email_claim_lapsing"' not in page


def test_saving_the_form_stores_the_choices(client):
    user = make_user("learner")
    log_in(client, user)
    data = {f"email_{kind}": "daily" for kind in KINDS} | {"email_review_shared": "off"}
    resp = client.post("/account/notifications", data=data)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/account#notification-email")
    assert _stored(user) == {kind: "daily" for kind in KINDS} | {"review_shared": "off"}
    assert "Notification e-mail choices saved." in client.get("/account").get_data(as_text=True)


def test_a_bad_choice_is_422_keeps_what_was_chosen_and_saves_nothing(client):
    user = make_user("learner")
    log_in(client, user)
    resp = client.post("/account/notifications", data={"email_review_shared": "off", "email_step_due": "hourly"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "“hourly” is not a choice: choose Off (in the app only), Immediately, Daily digest." in page
    assert '<option selected value="off">Off (in the app only)</option>' in page
    assert _stored(user) == {}


def test_each_user_saves_only_their_own(client):
    user, other = make_user("learner"), make_user("learner")
    log_in(client, user)
    client.post("/account/notifications", data={"email_step_due": "off"})
    assert _stored(other) == {} and _stored(user) == {"step_due": "off"}
    anon = client.application.test_client()
    resp = anon.post("/account/notifications", data={"email_step_due": "daily"})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert _stored(user) == {"step_due": "off"}
