"""Which tier carries a mission into a capstone: one rule (domain.catalogue.offers_capstone), used by the service,
the mission rules, the mastery badge and the templates."""
from __future__ import annotations

from webapp.domain.catalogue import CAPSTONE_TIER, TIERS, offers_capstone


def test_only_the_mastery_tier_offers_a_capstone():
    assert CAPSTONE_TIER in TIERS
    assert [t for t in TIERS if offers_capstone(t)] == ["mastery"]
    assert not offers_capstone(None) and not offers_capstone("")
