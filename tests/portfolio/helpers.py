"""Shared helpers for the portfolio tests: people, uploads and a snapshot of every portfolio row."""
from __future__ import annotations

import io

from sqlalchemy import select

from tests.conftest import hx, log_in
from webapp.extensions import db
from webapp.models import PortfolioItem, PortfolioTransition, StoredFile

WHO = ["anonymous", "owner", "other_learner", "assigned_mentor", "unassigned_mentor", "admin"]


def act_as(client, people, who):
    with client.session_transaction() as sess:
        sess.clear()
    if who != "anonymous":
        log_in(client, people[who])


def upload(client, name="notes.md", data=b"# Findings\n\nAll clear.\n", kind="evidence"):
    """Upload through POST /files as the logged-in user; returns the new key."""
    resp = client.post("/files", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=hx(target="item-new-evidence"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.headers["HX-Trigger"].split('"key": "')[1].split('"')[0]


def state() -> dict:
    """Every portfolio row and stored file, read straight from the database."""
    db.session.expire_all()
    items = db.session.execute(select(
        PortfolioItem.id, PortfolioItem.owner_id, PortfolioItem.title, PortfolioItem.summary,
        PortfolioItem.item_type, PortfolioItem.status, PortfolioItem.visibility, PortfolioItem.share_token,
        PortfolioItem.skill_tags, PortfolioItem.evidence_files, PortfolioItem.reviewed_by_id,
        PortfolioItem.review_note, PortfolioItem.confirmed_findings).order_by(PortfolioItem.id)).all()
    transitions = db.session.execute(select(PortfolioTransition.item_id, PortfolioTransition.from_status,
                                            PortfolioTransition.to_status).order_by(PortfolioTransition.id)).all()
    files = db.session.execute(select(StoredFile.key, StoredFile.portfolio_item_id, StoredFile.attached_at)
                               .order_by(StoredFile.id)).all()
    return {"items": [tuple(r) for r in items], "transitions": [tuple(r) for r in transitions],
            "files": [tuple(r) for r in files]}


def text(resp) -> str:
    return resp.get_data(as_text=True)
