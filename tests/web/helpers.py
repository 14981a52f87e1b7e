"""Small readers for web responses, shared by the web tests."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ApiToken, MentorAssignment, User


def location(resp) -> str:
    """The path (and query) a redirect points to, whether the Location header is absolute or relative."""
    parts = urlsplit(resp.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def location_path(resp) -> str:
    return path_of(resp.headers["Location"])


def path_of(url: str) -> str:
    return urlsplit(url).path


def next_param(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("next")
    return values[0] if values else None


def field_error(page: str, field_id: str) -> str | None:
    """The error text rendered beside a form field (the `<p class="error" id="<field>-error">`), or None."""
    m = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    return html.unescape(m.group(1)).strip() if m else None


def flashes(page: str) -> list[str]:
    return [html.unescape(m).strip() for m in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.S)]


def text(resp) -> str:
    return resp.get_data(as_text=True)


def db_state() -> dict:
    """Every row a user-facing write in auth, admin and account can touch, read straight from the database."""
    db.session.expire_all()
    users = db.session.execute(select(User.id, User.email, User.handle, User.display_name, User.bio, User.role,
                                      User.is_active, User.password_hash).order_by(User.id)).all()
    links = db.session.execute(select(MentorAssignment.id, MentorAssignment.mentor_id, MentorAssignment.learner_id,
                                      MentorAssignment.track).order_by(MentorAssignment.id)).all()
    tokens = db.session.execute(select(ApiToken.id, ApiToken.user_id, ApiToken.name, ApiToken.revoked_at)
                                .order_by(ApiToken.id)).all()
    return {"users": [tuple(r) for r in users], "assignments": [tuple(r) for r in links],
            "tokens": [tuple(r) for r in tokens]}
