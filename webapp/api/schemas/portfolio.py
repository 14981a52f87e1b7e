"""Portfolio items and the public portfolio (SPEC §6, §8)."""
from __future__ import annotations

from flask import g, url_for
from marshmallow import Schema, fields, missing, post_dump, validate

from ...domain.portfolio import DECISIONS, ITEM_TYPES, STATUSES, VISIBILITIES
from ...services import portfolio as service
from .base import BINARY, Derived, Items, MissionRefSchema, PageArgs, PersonSchema, Text, an_id, page_schema


class EvidenceFileSchema(Schema):
    """Dumps an entry of an item's evidence_files."""

    key = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    url = Derived.String(value=lambda e: url_for("files.download", key=e["key"], _external=True), required=True,
                         metadata={"description": "download URL (authorised: public evidence for anyone, the rest "
                                                  "for the owner, mentors, admins)"})


class PortfolioTransitionSchema(Schema):
    """Dumps a PortfolioTransition."""

    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(required=True)
    actor = fields.Pluck(PersonSchema, "handle", allow_none=True, required=True,
                         metadata={"description": "handle of who did it"})
    note = Text(required=True)
    created_at = fields.DateTime(required=True)


def _share_url(item):
    """Only the owner's view of an unlisted item carries its secret link."""
    if item.owner_id == g.api_user.id and item.visibility == "unlisted" and item.share_token:
        return url_for("portfolio.shared", token=item.share_token, _external=True)
    return missing


class PortfolioItemSchema(Schema):
    """Dumps a PortfolioItem as its owner, their mentors and admins see it, with its history."""

    id = fields.Integer(required=True)
    owner = fields.Pluck(PersonSchema, "handle", required=True, metadata={"description": "the owner's handle"})
    title = fields.String(required=True)
    summary = Text(required=True, metadata={"description": "Markdown"})
    item_type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    skill_tags = Items(fields.String(), required=True)
    evidence_files = Items(fields.Nested(EvidenceFileSchema), required=True)
    mission = fields.Pluck(MissionRefSchema, "slug", allow_none=True, required=True,
                           metadata={"description": "linked mission's slug"})
    capstone = fields.Integer(attribute="capstone_id", allow_none=True, required=True,
                              metadata={"description": "linked capstone's id"})
    reviewed_by = fields.Pluck(PersonSchema, "display_name", allow_none=True, required=True,
                               metadata={"description": "reviewer's display name"})
    reviewed_at = fields.DateTime(allow_none=True, required=True)
    review_note = Text(required=True)
    public_note = Text(required=True, metadata={
        "description": "what the approving mentor wrote for the public page (Markdown; empty: nothing shown)"})
    submitted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    url = Derived.String(value=lambda i: url_for("portfolio.detail", item_id=i.id, _external=True), required=True,
                         metadata={"description": "the item's page"})
    share_url = Derived.String(value=_share_url, metadata={
        "description": "the secret link; only in the owner's view of an unlisted item"})
    history = Derived.List(fields.Nested(PortfolioTransitionSchema), value=service.history,
                           metadata={"description": "every status change (single-item responses)"})


class PortfolioListItemSchema(PortfolioItemSchema):
    """An item in a list: without its history."""

    class Meta:
        exclude = ("history",)


class PublicItemSchema(PortfolioItemSchema):
    """An approved public item as a visitor sees it: public evidence only, no review note or submission date."""

    class Meta:
        exclude = ("history", "share_url")

    evidence_files = Derived.List(fields.Nested(EvidenceFileSchema), value=service.public_evidence, required=True)
    review_note = Derived.String(value=lambda i: "", required=True)
    public_note = Text(required=True, metadata={
        "description": "the mentor's verdict written for publication (Markdown; empty: none)"})
    submitted_at = Derived.DateTime(value=lambda i: None, allow_none=True)
    url = Derived.String(value=lambda i: url_for("portfolio.public", handle=i.owner.handle, _external=True)
                         + f"#item-{i.id}", required=True, metadata={"description": "the item on the public page"})


class PortfolioFilterArgs(PageArgs):
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    owner = fields.String(validate=validate.Length(max=40), metadata={
        "description": "a learner's handle (mentors and admins); default: the caller"})


class PortfolioItemUpdate(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=[validate.Length(max=20000)])
    item_type = fields.String(validate=validate.OneOf(ITEM_TYPES))
    skill_tags = fields.List(fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=20))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    mission = fields.String(allow_none=True, metadata={"description": "slug of a mission you attempted"})
    capstone = an_id(allow_none=True, metadata={"description": "id of one of your capstones"})


class PortfolioItemCreate(PortfolioItemUpdate):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    item_type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))


class PortfolioSubmitBody(Schema):
    confirm = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list, metadata={
        "description": "fingerprints of findings you have redacted or confirm as safe to share"})


class PortfolioReviewBody(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    note = fields.String(load_default="", validate=validate.Length(max=5000),
                         metadata={"description": "required when requesting changes; read only by the learner and "
                                                  "their mentors"})
    public_note = fields.String(load_default="", validate=validate.Length(max=5000), metadata={
        "description": "optional, with `approve`: shown on the public page as the mentor's verdict"})


class PublicCapstoneSchema(Schema):
    """Dumps an approved CapstoneProject."""

    mission = fields.Pluck(MissionRefSchema, "slug", required=True)
    title = fields.String(attribute="mission.title", required=True)
    track = fields.String(attribute="mission.track", required=True)
    tier = fields.String(attribute="mission.tier", required=True)
    score = fields.Float(attribute="mentor_final_score", allow_none=True, metadata={
        "description": "only when the learner shows their scores"})
    approved_at = fields.DateTime(attribute="mentor_reviewed_at", allow_none=True, required=True)


class PublicLinkSchema(Schema):
    label = fields.String(required=True, metadata={"description": "Website, GitHub, LinkedIn or E-mail"})
    href = fields.String(required=True, metadata={"description": "an https URL, or mailto: for the e-mail"})


class PublicPortfolioSchema(Schema):
    """Dumps services.portfolio.public_profile()."""

    handle = fields.String(attribute="user.handle", required=True)
    display_name = fields.String(attribute="user.display_name", required=True)
    bio = Text(attribute="user.bio", required=True, metadata={"description": "Markdown"})
    url = Derived.String(value=lambda p: url_for("portfolio.public", handle=p["user"].handle, _external=True),
                         required=True)
    tracks_mastered = fields.List(fields.String(), attribute="tracks", required=True, metadata={
        "description": "tracks with a mentor-approved capstone on a mastery mission"})
    skills = fields.List(fields.String(), required=True, metadata={
        "description": "skills backed by approved public items"})
    capstones = fields.List(fields.Nested(PublicCapstoneSchema), required=True)
    items = fields.List(fields.Nested(PublicItemSchema), required=True,
                        metadata={"description": "approved public items only"})
    links = Derived.List(fields.Nested(PublicLinkSchema), value=lambda p: service.public_links(p["user"]),
                         required=True, metadata={"description": "the learner's website, GitHub, LinkedIn, e-mail"})

    @post_dump(pass_original=True)
    def _scores_opt_in(self, data, profile, **kwargs):
        """Scores are the learner's to show: without their consent no capstone carries one."""
        if not profile["user"].show_scores:
            for cap in data.get("capstones") or []:
                cap.pop("score", None)
        return data


PortfolioItemPage = page_schema(PortfolioListItemSchema, "PortfolioItemPage")


class EvidenceUploadForm(Schema):
    """The multipart/form-data part of an evidence upload (documentation only)."""

    file = fields.Raw(required=True, metadata=BINARY)
