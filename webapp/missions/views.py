from __future__ import annotations

import re
from typing import NamedTuple

from flask import Blueprint, current_app, get_template_attribute, render_template, request
from flask_login import current_user
from markupsafe import Markup

from .. import caching, htmx
from ..caching import quickread
from ..domain import policies, visibility
from ..domain.mission_rules import hidden_subtask_ids
from ..extensions import db
from ..services import catalogue as catalogue_service
from ..services.actors import actor_for
from . import queries
from .forms import MissionFilterForm

bp = Blueprint("missions", __name__, url_prefix="/missions")


@bp.get("")
def index():
    """Public: a visitor browses the published catalogue (no progress badges, no progress filter)."""
    visitor = not current_user.is_authenticated
    if request.args:
        form = MissionFilterForm(request.args)
        valid = form.validate()
        filters = {k: form.data[k] for k in FILTERS} if valid else {}
    else:
        # The plain list, the page most often opened: its form is built only when the page is made.
        form, valid, filters = None, True, dict.fromkeys(FILTERS)
    if visitor:
        filters["status"] = None        # a visitor has no progress: the filter is not offered
    unpublished = policies.can_see_unpublished_missions(actor_for(current_user))
    # The list shows the viewer's standing at each mission: made per viewer once they have attempts (their own
    # cache area), shared by every viewer who has none (everything "not started"), and by every visitor (no
    # standing at all; `visitor` is in the key, so a visitor's page and a learner's never meet).
    own = not visitor and caching.knows_learner(current_user.id)

    def list_html(form):
        def catalogue(slots: bool, standings: dict):
            missions = db.session.scalars(queries.catalogue(
                **{k: filters.get(k) for k in ("track", "tier", "q")}, include_unpublished=unpublished)).all()
            rows = [(m, standings.get(m.id, queries.NOT_STARTED)) for m in missions]
            if filters.get("status"):
                rows = [(m, st) for m, st in rows if st.status == filters["status"]]
            return render_template("missions/_list.html", form=form, rows=rows, slots=slots,
                                   filtered=any(filters.values()) if filters else False)

        standings = queries.viewer_standings(db.session, current_user.id) if own else {}
        if filters.get("status") or filters.get("q") or form.errors:
            return catalogue(False, standings)      # which missions are listed depends on more than the catalogue
        # The list itself is the same for every viewer: made once per catalogue revision, with a slot for the
        # viewer's standing at each mission, filled here (a viewer's own page is made again after each change of
        # their data, and this keeps that to one query and a few replacements).
        shared = caching.fragment("catalogue", ("missions-list-shared", filters.get("track"), filters.get("tier"),
                                                unpublished), lambda: catalogue(True, {}))
        return with_standings(shared, standings)

    def page_html(form):
        return render_template("missions/_index_body.html", form=form, visitor=visitor,
                               list_html=Markup(list_html(form)))  # nosec B704

    fragment = htmx.wants("mission-list")

    def make():
        return (list_html if fragment else page_html)(form or MissionFilterForm(request.args))
    if valid and not filters.get("q"):
        # The content depends only on the catalogue, these filters and (once they have attempts) the viewer's own
        # data: made once per revision of those.
        key = ("missions-list" if fragment else "missions-page", filters.get("track"), filters.get("tier"),
               filters.get("status"), unpublished, visitor, current_user.id if own else None,
               # a visitor's page offers "create an account" only while registration is open
               visitor and bool(current_app.config.get("ALLOW_REGISTRATION", True)))
        areas = ("catalogue", caching.learner_area(current_user.id)) if own else "catalogue"
        html = caching.fragment(areas, key, make)
    else:
        html = Markup(make())  # nosec B704
    status = 200 if valid else 422
    if fragment:
        return html, status
    return render_template("missions/index.html", body=html), status


FILTERS = ("track", "tier", "q", "status")
_SLOT = re.compile(r"<!--standing:(\d+)-->")


def with_standings(shared: str, standings: dict) -> Markup:
    """The shared catalogue list with each slot replaced by the viewer's standing badge (none when not started)."""
    badge = get_template_attribute("missions/_standing.html", "standing_badge")
    return Markup(_SLOT.sub(lambda found: str(badge(standings[int(found.group(1))]))  # nosec B704
                            if int(found.group(1)) in standings else "", shared))


class MissionPage(NamedTuple):
    """What the mission page keeps per catalogue revision: the content before and after the viewer's own
    buttons, and what those buttons need."""

    id: int
    slug: str
    track: str
    tier: str
    title: str
    head: Markup
    tail: Markup


ACTIONS_MARKER = "<!-- mission-actions -->"


@bp.get("/<slug>")
def detail(slug: str):
    """Public: a visitor sees what domain.visibility.mission_page allows and a "Sign in to start" button."""
    view = visibility.mission_view(actor_for(current_user))

    def make() -> MissionPage:
        mission = catalogue_service.get_mission(slug, include_unpublished=view.unpublished)
        content = mission.content()
        body = render_template(
            "missions/_detail_body.html",
            mission=visibility.mission_page(content, view, hidden_subtask_ids(content)),
            vocabulary=catalogue_service.nice_vocabulary(), actions_marker=Markup(ACTIONS_MARKER),  # nosec B704
        )
        head, _, tail = body.partition(ACTIONS_MARKER)
        return MissionPage(mission.id, mission.slug, mission.track, mission.tier, mission.title,
                           Markup(head), Markup(tail))  # nosec B704

    def make_actions() -> str:
        standing = quickread.first(queries.viewer_standing(), {"user_id": current_user.id, "mission_id": page.id})
        return render_template("missions/_actions.html", mission=page,
                               attempt=standing if standing.id is not None else None,
                               capstone_id=standing.capstone_id,
                               completed_attempt_id=standing.completed_attempt_id)

    # The content depends only on the catalogue and on what this view may see (the view is in the key: a
    # visitor's page and a learner's are never served to each other): made once per catalogue revision. The
    # viewer's own buttons (their attempt, their capstone) depend on their own data too: made once per revision
    # of it, when its revision came with the user (a user with no data of their own yet has none). A visitor's
    # buttons read nothing.
    page = caching.fragment("catalogue", ("mission-page", slug, view), make)
    if view.visitor:
        actions = Markup(render_template("missions/_actions.html", mission=page))  # nosec B704
    elif caching.knows_learner(current_user.id):
        actions = caching.fragment(("catalogue", caching.learner_area(current_user.id)),
                                   ("mission-actions", page.id, current_user.id), make_actions)
    else:
        actions = Markup(make_actions())  # nosec B704
    return render_template("missions/detail.html", page=page, actions=actions)
