"""All models, imported here so Alembic and the app see every table."""
from .attempts import MissionAttempt
from .cache import CacheRevision
from .capstones import CapstoneActivity, CapstoneProject
from .catalogue import Mission, Recipe
from .files import StoredFile
from .mentorship import MentorshipInteraction
from .portfolio import PortfolioItem, PortfolioTransition
from .ratelimit import RateLimitCounter
from .snippets import CommentSnippet
from .tokens import ApiToken
from .users import MentorAssignment, User, UserSession

__all__ = ["ApiToken", "CacheRevision", "CapstoneActivity", "CapstoneProject", "CommentSnippet", "MentorAssignment", "MentorshipInteraction", "Mission",
           "MissionAttempt", "PortfolioItem", "PortfolioTransition", "RateLimitCounter", "Recipe", "StoredFile", "User",
           "UserSession"]
