from flask import g

from .core import Routes, ok
from .schemas import UserSchema

routes = Routes("account")


def user_json(user) -> dict:
    return UserSchema().dump(user)


@routes.get("/me", summary="The caller", response=UserSchema)
def get_me():
    """The account the token belongs to."""
    return ok(user_json(g.api_user))
