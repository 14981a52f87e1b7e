"""The fixed keys of the catalogue (SPEC §2)."""

TRACKS = ("defender", "offensive", "grc", "innovation", "leadership")
TRACK_LABELS = {
    "defender": "Defender",
    "offensive": "Offensive",
    "grc": "GRC",
    "innovation": "Innovation",
    "leadership": "Leadership",
}
TIERS = ("beginner", "intermediate", "advanced", "mastery")
TIER_LABELS = {t: t.capitalize() for t in TIERS}
CAPSTONE_TIER = "mastery"   # the tier whose missions carry into a capstone (SPEC §4)


def offers_capstone(tier: str | None) -> bool:
    """Whether a mission of this tier can be carried into a capstone."""
    return tier == CAPSTONE_TIER
SEVERITIES = ("low", "medium", "high", "critical")
ROLES = ("learner", "mentor", "admin")
