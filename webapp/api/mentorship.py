"""Mentorship-interaction endpoints of SPEC §8."""
from .core import Routes

routes = Routes("mentorship")
