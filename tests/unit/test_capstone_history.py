"""One history entry per working stretch on a phase (webapp/domain/capstone_history.py)."""
from datetime import datetime, timedelta
from types import SimpleNamespace

from webapp.domain.capstone_history import DRAFT_STRETCH, draft_items, draft_summary, extends

NOW = datetime(2026, 12, 7, 10, 0)


def entry(action="saved", actor_id=7, phase="decision_making", ago=timedelta(minutes=3),
          summary="Saved a draft of Decision making: Decision analysis."):
    return SimpleNamespace(action=action, actor_id=actor_id, phase=phase, created_at=NOW - ago, summary=summary)


def test_a_draft_save_right_after_one_of_the_same_phase_by_the_same_person_extends_it():
    assert extends(entry(), 7, "decision_making", "Decision making", NOW)


def test_anything_else_starts_a_new_entry():
    def extended(last):
        return extends(last, 7, "decision_making", "Decision making", NOW)

    assert not extended(entry(action="completed"))
    assert not extended(entry(actor_id=8))                                   # another person
    assert not extended(entry(actor_id=None))                                # a person no longer known
    assert not extended(entry(phase="investigation"))                        # another phase
    assert not extended(entry(ago=DRAFT_STRETCH))                            # a pause
    assert not extended(entry(ago=-timedelta(minutes=1)))                    # a clock that went back
    assert not extended(entry(summary="Added the file plan.pdf to Decision making."))   # not a draft entry
    assert not extended(None)                                                # no history yet


def test_the_summary_lists_each_item_once_and_reads_back():
    text = draft_summary("Decision making", ["Decision analysis", "Decisions made", "Decision analysis"])
    assert text == "Saved a draft of Decision making: Decision analysis, Decisions made."
    assert draft_items("Decision making", text) == ["Decision analysis", "Decisions made"]
    assert draft_items("Reporting", text) == []


def test_a_long_summary_is_cut_to_the_column():
    text = draft_summary("Reporting", [f"the file report-{i}.pdf" for i in range(40)])
    assert len(text) == 300 and text.endswith("…")
    assert draft_items("Reporting", text)[0] == "the file report-0.pdf"
