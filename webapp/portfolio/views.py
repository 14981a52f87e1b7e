"""Portfolio (SPEC §6). Serves /p/<handle> and /s/<token> too; for now, evidence reached through a share link."""
from __future__ import annotations

from flask import Blueprint

from ..files.responses import FILE_CSP, send_stored
from ..security import talisman
from ..services import files as files_service

bp = Blueprint("portfolio", __name__)


@bp.get("/s/<token>/files/<path:key>")
@talisman(content_security_policy=FILE_CSP)
def shared_file(token: str, key: str):
    """Evidence of an approved item, for anyone holding the item's (current) secret link."""
    row = files_service.shared_evidence(token, key)
    return send_stored(row)
