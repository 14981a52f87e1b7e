from .views import bp
from . import snippets  # noqa: E402,F401  (the comment bank's views, on the same blueprint)

__all__ = ["bp"]
