"""Where an upload was made (domain.uploads): the contexts it records and what a client may send."""
from __future__ import annotations

import pytest

from webapp.domain import uploads
from webapp.domain.errors import Invalid


def test_a_capstone_context_names_the_capstone_and_its_file_field():
    context = uploads.capstone_upload_context(42, "investigation_artifacts")
    assert context == "capstone:42:investigation_artifacts"
    assert uploads.clean_upload_context(context) == context
    with pytest.raises(Invalid):
        uploads.capstone_upload_context(42, "remediation_plan")   # not a field that takes files


def test_the_portfolio_context_is_kept_and_anything_else_is_dropped():
    assert uploads.clean_upload_context(uploads.PORTFOLIO_CONTEXT) == "portfolio"
    for bad in (None, 42, "", "capstone:42:remediation_plan", "capstone:-1:presentation", "capstone:4x:presentation",
                "capstone:42:presentation\n", "portfolio:42", "PORTFOLIO", "capstone:" + "9" * 19 + ":presentation"):
        assert uploads.clean_upload_context(bad) is None, bad
