"""Scores read the way people write them, on every page that shows one: whole numbers (the API keeps two decimals)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_capstone, make_mission
from tests.web.helpers import text


@pytest.mark.parametrize("value, shown", [(None, ""), (85, "85"), (85.0, "85"), (Decimal("85.00"), "85"),
                                          (Decimal("70.37"), "70"), (70.5, "71"), (Decimal("86.67"), "87"),
                                          (Decimal("0.10"), "0"), (Decimal("99.50"), "100"), (100, "100")])
def test_score_filter_shows_whole_numbers_halves_up(app, value, shown):
    assert app.jinja_env.filters["score"](value) == shown


def test_a_final_score_with_no_cents_shows_without_them(client, login_as):
    learner = login_as("learner")
    cap = make_capstone(learner, make_mission(), done=("investigation", "decision_making", "design_remediation",
                                                       "reporting", "presentation"),
                        mentor_approved=True, mentor_final_score=Decimal("85.00"))
    assert "Final score: <strong>85</strong>" in text(client.get(f"/capstones/{cap.id}"))


@pytest.mark.parametrize("event_type, title", [("sms_swap", "SMS swap"), ("ceo_pressure", "CEO pressure"),
                                               ("second_wave", "Second wave"), ("soc_alert", "SOC alert"),
                                               ("vendor_pressure_from_msp", "Vendor pressure from MSP"), ("", "")])
def test_event_titles_keep_acronyms_in_capitals(app, event_type, title):
    assert app.jinja_env.filters["event_title"](event_type) == title
