"""What every template gets app-wide holds no data loader: the view loads what a page shows (through a service)
and passes it in, so a template never runs a query and a page's query count is the view's."""
from __future__ import annotations

from sqlalchemy import event

from webapp.extensions import db

# Callables a template may reach everywhere: the CSRF token helpers and one domain predicate (no query).
ALLOWED = {"csrf_token", "csrf_meta_tag", "needs_scope_acknowledgement"}


def test_the_app_wide_template_context_offers_no_data_loader(app):
    with app.test_request_context("/"):
        ctx: dict = {}
        app.update_template_context(ctx)
        callables = {name for name, value in ctx.items() if callable(value)}
        assert callables <= ALLOWED, callables - ALLOWED
        assert not {"reviews_for_capstone", "reviews_for_attempt"} & set(ctx)


def test_rendering_the_reviews_partials_runs_no_query(app):
    from flask import render_template

    from webapp.services.queue import LearnerReviews

    panel = LearnerReviews(reviews=[], media={}, recipes={}, bars={}, typical_hours=None, is_learner=True,
                           today="2026-12-07", status={"key": "open", "label": "No review requested", "since": None})
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context("/"):
            for name in ("_capstone_reviews", "_attempt_reviews"):
                html = render_template(f"mentorship/{name}.html", reviews_panel=panel)
                assert "No review requested" in html and "No review phase has been shared yet." in html
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
