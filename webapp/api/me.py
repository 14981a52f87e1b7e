"""The caller's account (SPEC §8)."""
from flask import g

from .core import Blueprint
from .schemas.account import UserSchema

bp = Blueprint("account", __name__)


@bp.get("/me")
@bp.authenticated()
@bp.response(200, UserSchema)
def get_me():
    """The caller

    The account the token belongs to."""
    return g.api_user
