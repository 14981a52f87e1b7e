"""How a review names its mentor once the mentor's account is deleted (domain.reviews.mentor_name)."""
from __future__ import annotations

from webapp.domain.reviews import FORMER_MENTOR, mentor_name


def test_a_mentor_with_an_account_is_named():
    assert mentor_name("Morgan Mentor") == "Morgan Mentor"


def test_a_deleted_mentor_is_a_former_mentor():
    assert FORMER_MENTOR == "former mentor"
    assert mentor_name(None) == "former mentor"
    assert mentor_name("") == "former mentor"
