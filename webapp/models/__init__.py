"""All models, imported here so Alembic and the app see every table."""
from .attempts import MissionAttempt
from .cache import CacheRevision
from .capstones import CapstoneActivity, CapstonePhaseVersion, CapstoneProject
from .catalogue import Mission, Recipe
from .cohorts import Cohort, CohortMember
from .files import StoredFile
from .mail import AccountToken, OutgoingEmail
from .mentorship import MentorshipInteraction, ReviewReply
from .notifications import Notification, NotificationPreference
from .portfolio import PortfolioItem, PortfolioTransition
from .ratelimit import RateLimitCounter
from .snippets import CommentSnippet
from .tokens import ApiToken
from .users import MentorAssignment, User, UserSession

__all__ = ["AccountToken", "ApiToken", "CacheRevision", "CapstoneActivity", "CapstonePhaseVersion", "CapstoneProject",
           "Cohort", "CohortMember", "CommentSnippet", "MentorAssignment", "MentorshipInteraction", "Mission",
           "MissionAttempt", "Notification", "NotificationPreference", "OutgoingEmail", "PortfolioItem",
           "PortfolioTransition", "RateLimitCounter", "Recipe", "ReviewReply", "StoredFile", "User", "UserSession"]
