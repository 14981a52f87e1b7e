"""domain.reviews: the keys of a bulk claim and what its answer says. The route: tests/mentorship/
test_bulk_claim.py."""
from __future__ import annotations

import pytest

from webapp.domain import reviews as rules
from webapp.domain.errors import Invalid


def test_parse_claim_keys_reads_kind_and_id_once_each_in_order():
    assert rules.parse_claim_keys(["capstone:12", " attempt:7 ", "capstone:12", ""]) == [
        ("capstone", 12), ("attempt", 7)]


@pytest.mark.parametrize("values,field_message", [
    ([], "select at least one"),
    (["", "  "], "select at least one"),
    (["capstone"], "capstone:<id>"),
    (["portfolio:3"], "capstone:<id>"),
    (["capstone:-1"], "capstone:<id>"),
    (["capstone:0"], "capstone:<id>"),
    (["capstone:²"], "capstone:<id>"),
    (["capstone:99999999999"], "capstone:<id>"),
    ([f"attempt:{i}" for i in range(1, rules.MAX_BULK_CLAIM + 2)], f"at most {rules.MAX_BULK_CLAIM}"),
])
def test_parse_claim_keys_refuses(values, field_message):
    with pytest.raises(Invalid) as err:
        rules.parse_claim_keys(values)
    assert field_message in err.value.fields["items"]


def test_bulk_claim_message_says_how_many_and_why_not():
    assert rules.bulk_claim_message(2, []).startswith("Claimed 2 submissions.")
    text = rules.bulk_claim_message(1, [("Ann's capstone at X", "Another mentor, Bo, claimed this submission first.")])
    assert text.startswith("Claimed 1 of 2 submissions.") and "Ann's capstone at X: Another mentor, Bo" in text
    assert rules.bulk_claim_message(0, [("capstone 9", "it no longer exists")]).startswith("Nothing was claimed")
