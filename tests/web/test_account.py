"""The account page: profile, password and personal API tokens; who may change what."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import text as sql
from werkzeug.security import check_password_hash

from tests.factories import PASSWORD, make_token, make_user
from webapp.extensions import db
from webapp.models import ApiToken, User

from .helpers import db_state, field_error, flashes, location_path, text

ROLES = ["learner", "mentor", "admin"]
NEW_PASSWORD = "a-brand-new-password"


def shown_token(page: str) -> str | None:
    m = re.search(r'<input id="new-token"[^>]*value="([^"]+)"', page)
    return m.group(1) if m else None


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- permission matrix ------------------------------------------------------------------------------------

ACCOUNT_ROUTES = {
    "profile": lambda u, tok: ("/account/profile", {"display_name": "Renamed", "handle": "renamed-handle",
                                                    "bio": "New bio"}),
    "password": lambda u, tok: ("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD}),
    "create-token": lambda u, tok: ("/account/tokens", {"name": "laptop"}),
    "revoke-token": lambda u, tok: (f"/account/tokens/{tok.id}/revoke", {}),
}


def account_change_happened(route: str, user: User, tok: ApiToken) -> bool:
    user = fresh(user)
    if route == "profile":
        return user.display_name == "Renamed" and user.handle == "renamed-handle" and user.bio == "New bio"
    if route == "password":
        return check_password_hash(user.password_hash, NEW_PASSWORD)
    if route == "create-token":
        return db.session.query(ApiToken).filter_by(user_id=user.id, name="laptop").count() == 1
    if route == "revoke-token":
        return db.session.get(ApiToken, tok.id).revoked_at is not None
    raise AssertionError(route)


@pytest.mark.parametrize("route", list(ACCOUNT_ROUTES))
def test_account_write_anonymous_is_302_to_login_and_changes_nothing(client, route):
    owner = make_user("learner")
    tok, _ = make_token(owner)
    url, data = ACCOUNT_ROUTES[route](owner, tok)
    before = db_state()
    resp = client.post(url, data=data)
    assert resp.status_code == 302
    assert location_path(resp) == "/auth/login"
    assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(ACCOUNT_ROUTES))
def test_account_write_own_account_any_role_succeeds(client, login_as, route, role):
    me = login_as(role)
    tok, _ = make_token(me)
    url, data = ACCOUNT_ROUTES[route](me, tok)
    resp = client.post(url, data=data)
    assert resp.status_code == (201 if route == "create-token" else 303)
    assert account_change_happened(route, me, tok)


@pytest.mark.parametrize("role", ROLES)
def test_revoke_token_of_another_user_is_404_and_changes_nothing(client, login_as, role):
    owner = make_user("learner")
    tok, secret = make_token(owner)
    login_as(role)  # even an admin revokes only their own tokens from the account page
    before = db_state()
    resp = client.post(f"/account/tokens/{tok.id}/revoke")
    assert resp.status_code == 404
    assert "That token does not exist." in text(resp)
    assert db_state() == before
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_account_writes_change_only_the_callers_row(client, login_as):
    other = make_user("learner", display_name="Other Person")
    other_tok, _ = make_token(other)
    me = login_as("learner")
    before_other = [r for r in db_state()["users"] if r[0] == other.id]
    client.post("/account/profile", data={"display_name": "Renamed", "handle": "renamed-handle", "bio": ""})
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD})
    client.post("/account/tokens", data={"name": "laptop"})
    after = db_state()
    assert [r for r in after["users"] if r[0] == other.id] == before_other
    assert [t for t in after["tokens"] if t[1] == other.id] == [(other_tok.id, other.id, "test", None)]
    assert fresh(me).handle == "renamed-handle"


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_logout_post_by_role(client, login_as, role):
    if role != "anonymous":
        login_as(role)
    before = db_state()
    resp = client.post("/auth/logout")
    assert resp.status_code == (302 if role == "anonymous" else 303)
    assert location_path(resp) == "/auth/login"
    assert db_state() == before
    assert client.get("/account").status_code == 302


# --- page -------------------------------------------------------------------------------------------------


def test_account_page_shows_profile_values_and_tokens(client, login_as):
    me = login_as("learner", display_name="Ann Analyst", bio="Blue team.")
    make_token(me)
    resp = client.get("/account")
    assert resp.status_code == 200
    page = text(resp)
    assert me.email in page
    assert 'value="Ann Analyst"' in page
    assert f'value="{me.handle}"' in page
    assert "Blue team." in page
    assert "<td>test</td>" in page
    assert "mt_" in page  # the prefix column
    assert "You have no API tokens." not in page


def test_account_page_without_tokens_shows_empty_state(client, login_as):
    login_as("learner")
    assert "You have no API tokens." in text(client.get("/account"))


# --- profile ----------------------------------------------------------------------------------------------


def test_profile_update_saves_and_flashes(client, login_as):
    me = login_as("learner")
    resp = client.post("/account/profile", data={"display_name": "  Ann B. Analyst ", "handle": "ann-b",
                                                 "bio": "I *love* logs."})
    assert resp.status_code == 303
    assert location_path(resp) == "/account"
    user = fresh(me)
    assert (user.display_name, user.handle, user.bio) == ("Ann B. Analyst", "ann-b", "I *love* logs.")
    page = text(client.get("/account"))
    assert "Profile saved." in flashes(page)
    assert 'value="ann-b"' in page


def test_profile_keep_own_handle_is_allowed(client, login_as):
    me = login_as("learner")
    resp = client.post("/account/profile", data={"display_name": "New Name", "handle": me.handle, "bio": ""})
    assert resp.status_code == 303
    assert fresh(me).display_name == "New Name"


def test_profile_taken_handle_is_422_with_message_beside_handle(client, login_as):
    make_user(handle="taken-handle")
    me = login_as("learner")
    before = db_state()
    resp = client.post("/account/profile", data={"display_name": "New Name", "handle": "taken-handle", "bio": ""})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "handle") == "This handle is taken; choose another."
    assert 'value="New Name"' in page  # what the user typed is kept
    assert db_state() == before
    assert fresh(me).display_name != "New Name"


def test_profile_bad_handle_or_empty_name_is_422_and_unchanged(client, login_as):
    login_as("learner")
    before = db_state()
    resp = client.post("/account/profile", data={"display_name": "", "handle": "Bad Handle!", "bio": ""})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "display_name") == "Enter the name others will see."
    assert "3-40 lowercase letters" in field_error(page, "handle")
    assert db_state() == before


def test_profile_reserved_handle_is_422(client, login_as):
    login_as("learner")
    before = db_state()
    resp = client.post("/account/profile", data={"display_name": "Name", "handle": "admin-panel", "bio": ""})
    assert resp.status_code == 422
    assert "reserved" in field_error(text(resp), "handle")
    assert db_state() == before


# --- password ---------------------------------------------------------------------------------------------


def test_password_change_then_login_with_new_password_only(client, login_as):
    me = login_as("learner")
    resp = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD})
    assert resp.status_code == 303
    assert "Password changed." in flashes(text(client.get("/account")))
    client.post("/auth/logout")
    old = client.post("/auth/login", data={"email": me.email, "password": PASSWORD})
    assert old.status_code == 422
    new = client.post("/auth/login", data={"email": me.email, "password": NEW_PASSWORD})
    assert new.status_code == 303


def test_password_wrong_current_is_422_and_unchanged(client, login_as):
    login_as("learner")
    before = db_state()
    resp = client.post("/account/password", data={"current_password": "not-my-password",
                                                  "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "current_password") == "Not correct."
    assert NEW_PASSWORD not in page
    assert db_state() == before


def test_password_short_or_mismatched_new_is_422_and_unchanged(client, login_as):
    login_as("learner")
    before = db_state()
    resp = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "short",
                                                  "confirm": "other"})
    assert resp.status_code == 422
    page = text(resp)
    assert field_error(page, "new_password") == "Use at least 10 characters."
    assert field_error(page, "confirm") == "The passwords do not match."
    assert db_state() == before


# --- API tokens -------------------------------------------------------------------------------------------


def test_token_create_shows_token_once_and_stores_only_its_hash(client, login_as):
    me = login_as("learner")
    resp = client.post("/account/tokens", data={"name": "laptop"})
    assert resp.status_code == 201
    page = text(resp)
    secret = shown_token(page)
    assert secret and secret.startswith("mt_")
    assert "it is shown only once" in page
    row = db.session.query(ApiToken).filter_by(user_id=me.id).one()
    assert row.name == "laptop"
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # No column of the table holds the token text.
    for raw_row in db.session.execute(sql("SELECT * FROM api_tokens")).all():
        assert all(secret not in str(value) for value in raw_row)
    # Reloading the page does not show it again.
    again = text(client.get("/account"))
    assert shown_token(again) is None
    assert secret not in again
    assert row.prefix in again


def test_token_created_on_page_works_for_the_api(client, login_as):
    me = login_as("learner")
    secret = shown_token(text(client.post("/account/tokens", data={"name": "laptop"})))
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 200
    assert resp.get_json()["email"] == me.email


def test_token_create_without_name_is_422_and_no_token(client, login_as):
    login_as("learner")
    resp = client.post("/account/tokens", data={"name": ""})
    assert resp.status_code == 422
    assert field_error(text(resp), "name") == "Name the token."
    assert db_state()["tokens"] == []


def test_token_revoke_marks_revoked_and_api_refuses_it(client, login_as):
    me = login_as("learner")
    tok, secret = make_token(me)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    resp = client.post(f"/account/tokens/{tok.id}/revoke")
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(ApiToken, tok.id).revoked_at is not None
    page = text(client.get("/account"))
    assert "Token revoked." in " ".join(flashes(page))
    assert "Revoked " in page
    assert f'action="/account/tokens/{tok.id}/revoke"' not in page
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_token_revoke_twice_keeps_first_revocation_time(client, login_as):
    me = login_as("learner")
    tok, _ = make_token(me)
    client.post(f"/account/tokens/{tok.id}/revoke")
    db.session.expire_all()
    first = db.session.get(ApiToken, tok.id).revoked_at
    assert client.post(f"/account/tokens/{tok.id}/revoke").status_code == 303
    db.session.expire_all()
    assert db.session.get(ApiToken, tok.id).revoked_at == first


def test_token_revoke_get_is_405(client, login_as):
    me = login_as("learner")
    tok, _ = make_token(me)
    assert client.get(f"/account/tokens/{tok.id}/revoke").status_code == 405
    db.session.expire_all()
    assert db.session.get(ApiToken, tok.id).revoked_at is None


# --- your recent uploads (/account/media) -------------------------------------------------------------------


def _file_card(page: str, file_id: int) -> str:
    m = re.search(rf'<li class="file-card" id="file-{file_id}">(.*?)</li>', page, re.S)
    assert m, f"no card for file {file_id}"
    return m.group(1)


def _upload(user, name: str):
    import io

    from tests.media_samples import sample
    from webapp.services import files

    return files.store_upload(user, io.BytesIO(sample("pdf")), name, "evidence")


def test_media_page_offers_delete_only_for_uploads_not_part_of_saved_work(client, login_as):
    from tests.factories import make_capstone, make_item, make_mission, make_review
    from webapp.models import StoredFile
    from webapp.services import files

    me = login_as("learner")
    cap = make_capstone(me, make_mission())
    item = make_item(me)
    loose = _upload(me, "loose.pdf")
    in_capstone = _upload(me, "timeline.pdf")
    in_item = _upload(me, "writeup.pdf")
    files.attach([in_capstone.key], owner_id=me.id, field="investigation_artifacts", capstone_id=cap.id)
    files.attach([in_item.key], owner_id=me.id, field="evidence_files", portfolio_item_id=item.id)
    db.session.commit()

    page = text(client.get("/account/media"))
    card = _file_card(page, loose.id)
    assert "loose.pdf" in card and ">Delete</button>" in card
    assert f'action="/files/{loose.key}/delete"' in card and "Part of saved work" not in card
    for row, where, url in ((in_capstone, "a capstone", f"/capstones/{cap.id}"),
                            (in_item, "a portfolio item", f"/portfolio/items/{item.id}")):
        card = _file_card(page, row.id)
        assert row.filename in card
        assert ">Delete</button>" not in card and f"/files/{row.key}/delete" not in card
        assert f'Part of saved work: used in <a href="{url}">{where}</a>' in card
    # What the page offers is what the service allows: the loose upload goes, the attached ones stay.
    assert client.post(f"/files/{loose.key}/delete").status_code in (200, 204, 303)
    assert client.post(f"/files/{in_capstone.key}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(StoredFile, loose.id) is None and db.session.get(StoredFile, in_capstone.id) is not None

    # A mentor's upload that became part of a review is named as such on the mentor's page.
    mentor = make_user("mentor")
    review = make_review(mentor, cap)
    recording = _upload(mentor, "feedback.pdf")
    files.attach([recording.key], owner_id=mentor.id, field="audio", review_id=review.id)
    db.session.commit()
    login_as(mentor)
    card = _file_card(text(client.get("/account/media")), recording.id)
    assert ">Delete</button>" not in card
    assert f'Part of saved work: used in <a href="/mentorship/reviews/{review.id}">a mentor review</a>' in card


def test_profile_text_is_cleaned_and_an_over_long_name_is_refused_not_cut(client, login_as):
    from webapp.extensions import db

    user = login_as("learner")
    resp = client.post("/account/profile", data={"display_name": "  Lee \n Learner  ", "handle": user.handle,
                                                 "bio": "Line one\r\nLine two"})
    assert resp.status_code in (200, 302, 303)
    db.session.refresh(user)
    assert user.display_name == "Lee Learner" and user.bio == "Line one\nLine two"
    resp = client.post("/account/profile", data={"display_name": "L" * 121, "handle": user.handle, "bio": ""})
    assert resp.status_code == 422 and "120 characters" in resp.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Lee Learner"


def test_creating_a_user_refuses_a_name_over_120_characters_or_on_several_lines_it_joins():
    import pytest as _pytest

    from webapp.domain.errors import Invalid
    from webapp.services import accounts

    with _pytest.raises(Invalid) as info:
        accounts.create_user("long@example.com", "N" * 121, "long-name", "a-long-enough-password")
    assert "display_name" in info.value.fields
    user = accounts.create_user("two@example.com", "Two\nLines", "two-lines", "a-long-enough-password")
    assert user.display_name == "Two Lines"
