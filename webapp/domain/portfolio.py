"""Portfolio item keys and visibility rules (SPEC §6)."""
from __future__ import annotations

ITEM_TYPES = ("project", "writeup", "lab_report", "certification", "mission_report", "strategy_document",
              "script_tool", "grc_framework", "leadership_brief", "capstone_result")
ITEM_TYPE_LABELS = {t: t.replace("_", " ").capitalize() for t in ITEM_TYPES} | {
    "grc_framework": "GRC framework", "script_tool": "Script or tool", "capstone_result": "Capstone result"}
STATUSES = ("draft", "submitted", "approved", "changes_requested")
VISIBILITIES = ("private", "unlisted", "public")


def publicly_listed(status: str, visibility: str) -> bool:
    """Shown on /p/<handle>: approved and public, nothing else."""
    return status == "approved" and visibility == "public"


def reachable_by_link(status: str, visibility: str) -> bool:
    """Shown through /s/<token>: approved and unlisted or public."""
    return status == "approved" and visibility in ("unlisted", "public")
