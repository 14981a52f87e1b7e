"""The permission matrix's table: one row per (rule, method) of the app's URL map (except `static`).

Each row names a policy (who may do it) and a minimal valid-looking body. The actors are:
anon, owner (the learner who owns every object the URL names), other (another learner), mentor (assigned to
the owner; also the mentor of the owner's review), stranger (a mentor not assigned to the owner), admin, and
(issue 15 findings 1 and 7):
scoped (a mentor assigned to the owner for another track than the work's: the GRC track, the work is Defender),
holder (a mentor not assigned to the owner who holds a live claim on the submitted capstone the reviews are of),
blocked (the assigned mentor while the holder's claim on that capstone is live),
self_admin (the owner, made an admin: acting on their own work).

`xfail` maps actor -> reason for cells where the app's behaviour looks wrong; those cells are marked
xfail(strict=True) so the bug is recorded, not encoded.
"""
from __future__ import annotations

ACTORS = ("anon", "owner", "other", "mentor", "stranger", "admin", "scoped", "holder", "blocked", "self_admin")

# policy -> the actors that may do it (everyone else is refused)
POLICIES = {
    "public": set(ACTORS),
    "auth": set(ACTORS) - {"anon"},
    "learner": {"owner", "other"},
    "owner": {"owner", "self_admin"},
    "owner_admin": {"owner", "admin", "self_admin"},
    # read the owner's work: the owner, their mentors for its track, admins
    "owner_mentor": {"owner", "mentor", "admin", "blocked", "self_admin"},
    # read a review of the claimed capstone: as owner_mentor, and the claim holder
    "review_read": {"owner", "mentor", "admin", "blocked", "self_admin", "holder"},
    # act on the owner's unclaimed work (the attempt's time multiplier, a portfolio item): their mentors for its
    # track and admins, never the owner themselves
    "mentor": {"mentor", "admin", "blocked"},
    # act on the claimed capstone's reviews: the claim holder, the assigned mentor unless another's claim is live,
    # admins; never the owner
    "review": {"mentor", "admin", "holder"},
    # claim: any mentor but the owner (blocked: 409, the capstone is held)
    "claim": {"mentor", "stranger", "admin", "scoped", "holder", "blocked"},
    "staff": {"mentor", "stranger", "admin", "scoped", "holder", "blocked", "self_admin"},
    "admin": {"admin", "self_admin"},
    # a mentor's own comment-bank snippet (the world's belongs to `mentor`): nobody else, not even an admin, sees
    # it (404 for other mentors and admins, 403 for learners)
    "snippet": {"mentor", "blocked"},
}


def row(policy, body=None, xfail=None, allow=None):
    """allow: actor -> set of codes overriding the policy for that actor (documented where used)."""
    return {"policy": policy, "body": body, "xfail": xfail or {}, "allow": allow or {}}


PHASE_FORM = {"investigation_findings-threats": ["Ransomware operator"],
              "investigation_findings-timeline": ["02:14 alert"]}
REVIEW_FORM = {"written_feedback": "Clear timeline; scope earlier."}

TABLE: dict[tuple[str, str], dict] = {
    # dashboard / account (self-scoped)
    ("/", "GET"): row("public"),          # a visitor's first look; the dashboard once logged in
    ("/account", "GET"): row("auth"),
    ("/account/media", "GET"): row("auth"),
    # your data: the export is one's own; deleting needs the password, so a wrong one is a refused form (422)
    ("/account/export", "GET"): row("auth"),
    ("/account/delete", "GET"): row("auth"),
    ("/account/delete", "POST"): row("auth", {"password": "wrong", "confirm_handle": "nobody"}),
    ("/account/password", "POST"): row("auth", {"current_password": "wrong", "new_password": "x" * 12,
                                                "confirm": "x" * 12}),
    ("/account/profile", "POST"): row("auth", {"display_name": "New Name"}),
    ("/account/notifications", "POST"): row("auth", {"email_step_due": "off"}),
    ("/account/tokens", "POST"): row("auth", {"name": "ci"}),
    ("/account/tokens/<int:token_id>/revoke", "POST"): row("owner"),
    # notifications (each user's own: another's notification is 404; the count answers anyone, empty when anonymous)
    ("/notifications", "GET"): row("auth"),
    ("/notifications/count", "GET"): row("public"),
    ("/notifications/<int:notification_id>/open", "GET"): row("owner"),
    ("/notifications/<int:notification_id>/read", "POST"): row("owner"),
    ("/notifications/read-all", "POST"): row("auth"),
    ("/api/v1/notifications", "GET"): row("auth"),
    ("/api/v1/notifications/read", "POST"): row("auth", {"all": True}),
    # admin
    ("/admin", "GET"): row("admin"),
    ("/admin/assignments", "POST"): row("admin", {"mentor": "{stranger_email}", "learner": "{owner_email}"}),
    ("/admin/assignments/<int:assignment_id>/remove", "POST"): row("admin"),
    # cohorts (the world's cohort holds the owner and their mentor)
    ("/admin/cohorts", "GET"): row("admin"),
    ("/admin/cohorts", "POST"): row("admin", {"name": "Matrix cohort", "track": "defender"}),
    ("/admin/cohorts/<int:cohort_id>", "GET"): row("admin"),
    ("/admin/cohorts/<int:cohort_id>", "POST"): row("admin", {"name": "Renamed cohort", "track": ""}),
    ("/admin/cohorts/<int:cohort_id>/assign-mentors", "POST"): row("admin"),
    ("/admin/cohorts/<int:cohort_id>/delete", "POST"): row("admin"),
    ("/admin/cohorts/<int:cohort_id>/members", "POST"): row("admin", {"who": "{stranger_email}"}),
    ("/admin/cohorts/<int:cohort_id>/members/<int:user_id>/remove", "POST"): row("admin"),
    ("/admin/invitations", "POST"): row("admin", {"email": "matrix-invitee@example.com", "role": "learner"}),
    ("/admin/invitations/<int:invitation_id>/<any(resend, revoke):action>", "POST"): row("admin"),
    ("/admin/users", "POST"): row("admin", {"email": "matrix-new@example.com", "display_name": "New",
                                            "handle": "matrix-new", "role": "learner", "password": "x" * 12}),
    ("/admin/users/<int:user_id>/reset-link", "POST"): row("admin"),
    ("/admin/users/<int:user_id>/<any(activate, deactivate):action>", "POST"): row("admin"),
    ("/admin/users/<int:user_id>/role", "POST"): row("admin", {"role": "mentor"}),
    # API: attempts
    ("/api/v1/attempts", "GET"): row("auth"),
    ("/api/v1/attempts", "POST"): row("auth", {"mission": "{mission_slug}"}),
    ("/api/v1/attempts/<int:attempt_id>", "GET"): row("owner_mentor"),
    ("/api/v1/attempts/<int:attempt_id>/abandon", "POST"): row("owner", {}),
    ("/api/v1/attempts/<int:attempt_id>/subtasks/<int:subtask_id>", "POST"): row("owner", {
        "response": "My analysis.", "decisions": {"isolate": "yes"}}),
    # API: capstones
    ("/api/v1/capstones", "GET"): row("auth"),
    ("/api/v1/capstones", "POST"): row("auth", {"mission": "{mission_slug}"}),
    ("/api/v1/capstones/<int:capstone_id>", "GET"): row("owner_mentor"),
    ("/api/v1/capstones/<int:capstone_id>", "PATCH"): row("owner", {"investigation_findings": {
        "threats": ["Ransomware operator"], "timeline": ["02:14 alert"]}}),
    ("/api/v1/capstones/<int:capstone_id>", "DELETE"): row("owner"),
    ("/api/v1/capstones/<int:capstone_id>/files", "POST"): row("owner", "FILE"),
    ("/api/v1/capstones/<int:capstone_id>/phases/<phase:key>/complete", "POST"): row("owner", {}),
    ("/api/v1/me", "GET"): row("auth"),
    # API: reviews
    ("/api/v1/mentorship-interactions", "GET"): row("auth"),
    ("/api/v1/mentorship-interactions", "POST"): row("review", {"capstone": "{capstone_id}", "review_phase": 2}),
    ("/api/v1/mentorship-interactions/<int:review_id>", "GET"): row("review_read"),
    ("/api/v1/mentorship-interactions/<int:review_id>", "PATCH"): row("review", {"written_feedback": "More detail."}),
    ("/api/v1/mentorship-interactions/<int:review_id>/media", "POST"): row("review", "FILE"),
    ("/api/v1/mentorship-interactions/<int:review_id>/submit", "POST"): row("review", {}),
    # the conversation under the (submitted) review: whoever may read it takes part
    ("/api/v1/mentorship-interactions/<int:review_id>/replies", "GET"): row("review_read"),
    ("/api/v1/mentorship-interactions/<int:review_id>/replies", "POST"): row("review_read",
                                                                             {"body": "Why scope first?"}),
    # API: the comment bank (the world's snippet belongs to `mentor`)
    ("/api/v1/comment-snippets", "GET"): row("staff"),
    ("/api/v1/comment-snippets", "POST"): row("staff", {"title": "Scope first", "body": "Scope it.", "track": None}),
    ("/api/v1/comment-snippets/<int:snippet_id>", "GET"): row("snippet"),
    ("/api/v1/comment-snippets/<int:snippet_id>", "PATCH"): row("snippet", {"title": "Renamed"}),
    ("/api/v1/comment-snippets/<int:snippet_id>", "DELETE"): row("snippet"),
    # API: missions
    ("/api/v1/missions", "GET"): row("auth"),
    ("/api/v1/missions/<slug>", "GET"): row("auth"),
    ("/api/v1/openapi.json", "GET"): row("public"),
    # API: portfolio
    ("/api/v1/portfolio-items", "GET"): row("auth"),
    ("/api/v1/portfolio-items", "POST"): row("auth", {"title": "New item", "item_type": "writeup"}),
    ("/api/v1/portfolio-items/<int:item_id>", "GET"): row("owner_mentor"),
    ("/api/v1/portfolio-items/<int:item_id>", "PATCH"): row("owner", {"title": "Renamed"}),
    ("/api/v1/portfolio-items/<int:item_id>", "DELETE"): row("owner_admin"),
    ("/api/v1/portfolio-items/<int:item_id>/evidence", "POST"): row("owner", "FILE"),
    ("/api/v1/portfolio-items/<int:item_id>/review", "POST"): row("mentor", {"decision": "approve"}),
    ("/api/v1/portfolio-items/<int:item_id>/submit", "POST"): row("owner", {}),
    ("/api/v1/users/<handle>/portfolio", "GET"): row("public"),
    # attempts
    ("/attempts", "POST"): row("auth", {"mission": "{mission_slug}"}),
    ("/attempts/<int:attempt_id>", "GET"): row("owner_mentor"),
    ("/attempts/<int:attempt_id>/abandon", "POST"): row("owner"),
    ("/attempts/<int:attempt_id>/review", "POST"): row("owner"),
    ("/attempts/<int:attempt_id>/scope", "POST"): row("owner", {"acknowledge": "y"}),
    ("/attempts/<int:attempt_id>/subtasks/<int:subtask_id>", "POST"): row("owner", {"response": "My analysis.",
                                                                                   "decision-isolate": "yes"}),
    ("/attempts/<int:attempt_id>/subtasks/<int:subtask_id>/draft", "POST"): row("owner", {"response": "Half done."}),
    ("/attempts/<int:attempt_id>/subtasks/<int:subtask_id>/key-points", "POST"): row("owner", {"covered": "0"}),
    ("/attempts/<int:attempt_id>/time-multiplier", "POST"): row("mentor", {"time_multiplier": "1.5"}),
    # auth
    ("/auth/login", "GET"): row("public"),
    ("/auth/login", "POST"): row("public", {"email": "nobody@example.com", "password": "wrong-password"}),
    ("/auth/logout", "POST"): row("auth"),
    # The reset and invitation links carry their own authority (a token); the world's token is not one (400).
    ("/auth/invite/<token>", "GET"): row("public"),
    ("/auth/invite/<token>", "POST"): row("public", {"display_name": "New", "handle": "newbie",
                                                     "password": "x" * 12, "confirm": "x" * 12}),
    ("/auth/reset", "GET"): row("public"),
    ("/auth/reset", "POST"): row("public", {"email": "nobody@example.com"}),
    ("/auth/reset/<token>", "GET"): row("public"),
    ("/auth/reset/<token>", "POST"): row("public", {"password": "x" * 12, "confirm": "x" * 12}),
    ("/auth/register", "GET"): row("public"),
    ("/auth/register", "POST"): row("public", {"email": "new@example.com", "handle": "newbie",
                                               "display_name": "New", "password": "x", "confirm": "y"}),
    # capstones
    ("/capstones", "GET"): row("auth"),
    ("/capstones", "POST"): row("auth", {"mission": "{mission_slug}"}),
    ("/capstones/<int:capstone_id>", "GET"): row("owner_mentor"),
    ("/capstones/<int:capstone_id>/delete", "POST"): row("owner"),
    ("/capstones/<int:capstone_id>/phases/<phase:phase>", "GET"): row("owner_mentor"),
    ("/capstones/<int:capstone_id>/phases/<phase:phase>", "POST"): row("owner", PHASE_FORM),
    ("/capstones/<int:capstone_id>/phases/<phase:phase>/draft", "POST"): row("owner", PHASE_FORM),
    # the phase history: the world keeps one reviewed version of the in-progress capstone's first phase
    ("/capstones/<int:capstone_id>/phases/<phase:phase>/history", "GET"): row("owner_mentor"),
    ("/capstones/<int:capstone_id>/preview", "POST"): row("owner_mentor", {"field": "decision_analysis",
                                                                         "decision_analysis": "**bold**"}),
    ("/capstones/<int:capstone_id>/rows/<field>", "GET"): row("owner_mentor"),
    # files
    ("/files", "POST"): row("auth", "FILE"),
    # An upload not yet part of saved work has no track: every mentor assigned to the owner reads it.
    ("/files/<path:key>", "GET"): row("owner_mentor", allow={"scoped": {200}}),
    ("/files/<path:key>/delete", "POST"): row("owner_admin"),
    # The preview and its inline bytes: exactly the download's readers (services.files.readable).
    ("/files/<path:key>/preview", "GET"): row("owner_mentor", allow={"scoped": {200}}),
    ("/files/<path:key>/inline", "GET"): row("owner_mentor", allow={"scoped": {200}}),
    ("/files/direct", "POST"): row("auth", {"kind": "document", "filename": "r.pdf", "size": "100"}),
    ("/files/direct/confirm", "POST"): row("auth", {"token": "not-a-real-token"}),
    # mentorship
    ("/mentorship/", "GET"): row("auth"),
    ("/mentorship/badge", "GET"): row("public"),
    ("/mentorship/queue", "GET"): row("staff"),
    # A learner's page: admins and mentors assigned to the learner for some track (scoped: they see only their
    # track's work there; self_admin: an admin, who may open any learner's page); never a claim holder as such.
    ("/mentorship/learners/<handle>", "GET"): row("mentor", allow={"scoped": {200}, "self_admin": {200}}),
    # The gradebook: every mentor and admin has one (a mentor's lists their own learners only).
    ("/mentorship/gradebook", "GET"): row("staff"),
    ("/mentorship/queue/<any(capstone, attempt):kind>/<int:subject_id>/claim", "POST"): row("claim"),
    ("/mentorship/queue/<any(capstone, attempt):kind>/<int:subject_id>/reassign", "POST"): row(
        "admin", {"mentor": "{stranger_email}"}),
    ("/mentorship/recipes", "GET"): row("staff"),
    # Claiming several: any mentor or admin may post; each item the actor may not claim is reported, not claimed.
    ("/mentorship/queue/claim", "POST"): row("staff", {"items": "{claim_item}"}),
    # The comment bank: every mentor and admin has their own.
    ("/mentorship/snippets", "GET"): row("staff"),
    ("/mentorship/snippets", "POST"): row("staff", {"title": "Scope first", "track": "", "body": "Scope it."}),
    ("/mentorship/snippets/new", "GET"): row("staff"),
    ("/mentorship/snippets/search", "GET"): row("staff"),
    ("/mentorship/snippets/<int:snippet_id>", "POST"): row("snippet", {"title": "Scope", "track": "grc",
                                                                       "body": "Scope it."}),
    ("/mentorship/snippets/<int:snippet_id>/edit", "GET"): row("snippet"),
    ("/mentorship/snippets/<int:snippet_id>/delete", "GET"): row("snippet"),
    ("/mentorship/snippets/<int:snippet_id>/delete", "POST"): row("snippet"),
    ("/mentorship/reviews", "GET"): row("auth"),
    ("/mentorship/reviews", "POST"): row("review", {"kind": "capstone", "subject_id": "{capstone_id}"}),
    ("/mentorship/reviews/<int:review_id>", "GET"): row("review_read"),
    ("/mentorship/reviews/<int:review_id>", "POST"): row("review", REVIEW_FORM),
    ("/mentorship/reviews/<int:review_id>/acknowledge", "POST"): row("owner"),
    ("/mentorship/reviews/<int:review_id>/media", "POST"): row("review", "FILE"),
    ("/mentorship/reviews/<int:review_id>/replies", "POST"): row("review_read", {"body": "Why scope first?"}),
    ("/mentorship/reviews/<int:review_id>/media/<any(audio, video):kind>/remove", "POST"): row("review"),
    ("/mentorship/reviews/<int:review_id>/step-row", "GET"): row("review"),
    ("/mentorship/reviews/<int:review_id>/steps/<int:index>/toggle", "POST"): row("owner"),
    ("/mentorship/reviews/<int:review_id>/submit", "POST"): row("review"),
    ("/mentorship/reviews/<int:review_id>/total", "POST"): row("review", REVIEW_FORM),
    # probes for load balancers and container healthchecks (tests/app/test_health.py)
    ("/healthz", "GET"): row("public"),
    ("/readyz", "GET"): row("public"),
    # missions
    ("/missions", "GET"): row("public"),                 # the public catalogue
    ("/missions/<slug>", "GET"): row("public"),
    # portfolio
    ("/p/<handle>", "GET"): row("public"),
    ("/portfolio", "GET"): row("auth"),
    ("/portfolio/items", "POST"): row("auth", {"title": "New item", "item_type": "writeup", "summary": "x"}),
    ("/portfolio/items/<int:item_id>", "GET"): row("owner_mentor"),
    ("/portfolio/items/<int:item_id>", "POST"): row("owner", {"title": "Renamed", "item_type": "writeup"}),
    ("/portfolio/items/<int:item_id>/delete", "POST"): row("owner_admin"),
    ("/portfolio/items/<int:item_id>/evidence/remove", "POST"): row("owner", {"key": "{file_key}"}),
    ("/portfolio/items/<int:item_id>/review", "POST"): row("mentor", {"decision": "approve"}),
    ("/portfolio/items/<int:item_id>/rotate", "POST"): row("owner"),
    ("/portfolio/items/<int:item_id>/submit", "POST"): row("owner"),
    ("/portfolio/items/<int:item_id>/visibility", "POST"): row("owner", {"visibility": "private"}),
    ("/portfolio/items/new", "GET"): row("auth"),
    ("/portfolio/preview", "POST"): row("auth", {"summary": "**bold**"}),
    ("/portfolio/reviews", "GET"): row("staff"),
    ("/s/<token>", "GET"): row("public"),
    ("/s/<token>/files/<path:key>", "GET"): row("public"),
}
