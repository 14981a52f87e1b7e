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
SEVERITIES = ("low", "medium", "high", "critical")
ROLES = ("learner", "mentor", "admin")
