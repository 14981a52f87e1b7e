"""All models, imported here so Alembic and the app see every table."""
from .attempts import MissionAttempt
from .cache import CacheRevision
from .capstones import CapstoneActivity, CapstonePhaseVersion, CapstoneProject
from .catalogue import Mission, Recipe
from .cohorts import Cohort, CohortMember
from .files import StoredFile
from .portfolio import PortfolioItem, PortfolioTransition
from .ratelimit import RateLimitCounter
from .tokens import ApiToken
from .users import MentorAssignment, User, UserSession

__all__ = ["ApiToken", "CacheRevision", "CapstoneActivity", "CapstonePhaseVersion", "CapstoneProject", "Cohort",
           "CohortMember", "MentorAssignment", "Mission", "MissionAttempt", "PortfolioItem", "PortfolioTransition",
           "RateLimitCounter", "Recipe", "StoredFile", "User", "UserSession"]
