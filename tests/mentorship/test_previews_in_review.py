"""Issue #18 part 4: where a mentor judges a capstone, its uploaded files show by name with a preview in the page.

The review workspace's capstone phases list each uploaded file as a chip (its name, type and size, never "Uploaded
file"), with a Preview link for the types that preview; under the phase, each previewable file gets a closed
<details> whose opening loads the preview fragment with htmx. The page's query count does not grow with files.
"""
from __future__ import annotations

import io

from tests.conftest import count_queries, hx, log_in
from tests.factories import assign, make_mission, make_review, make_user
from tests.media_samples import sample
from webapp.extensions import db
from webapp.models.base import utcnow
from webapp.services import files as files_service

from .helpers import submitted_capstone

FILES = (("investigation_artifacts", "evidence", "incident-report.pdf", "pdf"),
         ("investigation_artifacts", "evidence", "logs.zip", "zip"),
         ("design_documents", "document", "segmentation.md", "md"),
         ("design_documents", "document", "budget.docx", "docx"))
MD = b"# Segmentation\n\nMove the **file servers** to their own VLAN.\n"


def with_files(cap, learner, files=FILES):
    """Attach uploads to the capstone's rows as saving the phase form would (the rows link to /files/<key>)."""
    rows: dict[str, list] = {"investigation_artifacts": [], "design_documents": []}
    stored = {}
    for field, kind, name, sample_name in files:
        data = MD if sample_name == "md" else sample(sample_name)
        row = files_service.store_upload(learner, io.BytesIO(data), name, kind)
        files_service.attach([row.key], owner_id=learner.id, field=field, capstone_id=cap.id)
        cells = {"url": f"/files/{row.key}", "description": name}
        cells.update({"type": "report"} if field == "investigation_artifacts" else {"title": name})
        rows[field].append(cells)
        stored[name] = row
    cap.investigation_artifacts, cap.design_documents = rows["investigation_artifacts"], rows["design_documents"]
    db.session.commit()
    return stored


def workspace(with_uploads=True):
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = submitted_capstone(learner, make_mission())
    stored = with_files(cap, learner) if with_uploads else {}
    review = make_review(mentor, cap, total_phases=1)
    return learner, mentor, cap, review, stored


def test_review_workspace_shows_capstone_files_by_name_with_previews(client):
    learner, mentor, cap, review, stored = workspace()
    log_in(client, mentor)
    resp = client.get(f"/mentorship/reviews/{review.id}")
    assert resp.status_code == 200
    html = resp.text
    work = html[html.index('id="review-work"'):html.index('class="review-side"')]
    assert "Uploaded file" not in work
    for name, row in stored.items():
        assert f'<a href="/files/{row.key}">{name}</a>' in work            # the chip: name, download link
    pdf, md, zipped, docx = (stored[n] for n in ("incident-report.pdf", "segmentation.md", "logs.zip", "budget.docx"))
    for row in (pdf, md):
        assert f'href="/files/{row.key}/preview">Preview<span class="visually-hidden"> {row.filename}</span>' in work
        assert f"<summary>Preview {row.filename}</summary>" in work
        assert (f'<div id="file-preview-{row.id}" class="file-preview"\n       hx-get="/files/{row.key}/preview" '
                'hx-trigger="toggle once from:closest details"') in work
    for row in (zipped, docx):                 # no preview for archives and Office files: the download link only
        assert f"/files/{row.key}/preview" not in work and f"Preview {row.filename}" not in work
    # Each preview sits under its own phase.
    investigation = work[:work.index("Decision making")]
    assert f"Preview {pdf.filename}" in investigation and f"Preview {md.filename}" not in investigation


def test_opening_a_preview_in_the_workspace_loads_the_fragment(client):
    learner, mentor, cap, review, stored = workspace()
    log_in(client, mentor)
    pdf, md = stored["incident-report.pdf"], stored["segmentation.md"]
    frag = client.get(f"/files/{pdf.key}/preview", headers=hx(target=f"file-preview-{pdf.id}"))
    assert frag.status_code == 200 and "<html" not in frag.text
    assert f'<iframe class="file-preview-frame" src="/files/{pdf.key}/inline"' in frag.text
    frag = client.get(f"/files/{md.key}/preview", headers=hx(target=f"file-preview-{md.id}"))
    assert "<strong>file servers</strong>" in frag.text


def test_an_unassigned_mentor_gets_no_preview_of_the_capstone_files(client):
    learner, mentor, cap, review, stored = workspace()
    log_in(client, make_user("mentor"))
    assert client.get(f"/mentorship/reviews/{review.id}").status_code in (403, 404)
    for row in stored.values():
        resp = client.get(f"/files/{row.key}/preview", headers=hx(target=f"file-preview-{row.id}"))
        assert resp.status_code == 403 and row.filename not in resp.text and "Segmentation" not in resp.text


def test_a_file_the_capstone_no_longer_links_is_not_shown(client):
    learner, mentor, cap, review, stored = workspace()
    cap.design_documents = []          # the rows were taken out; the sweep has not run yet
    db.session.commit()
    log_in(client, mentor)
    html = client.get(f"/mentorship/reviews/{review.id}").text
    assert "Preview segmentation.md" not in html and "Preview incident-report.pdf" in html


def test_review_workspace_query_count_is_the_same_with_or_without_files(client):
    def queries(with_uploads: bool) -> int:
        learner, mentor, cap, review, _ = workspace(with_uploads)
        log_in(client, mentor)
        with count_queries() as q:
            resp = client.get(f"/mentorship/reviews/{review.id}")
        assert resp.status_code == 200 and ("Preview incident-report.pdf" in resp.text) == with_uploads
        return q.count

    assert queries(False) == queries(True)


def test_learner_reads_own_capstone_chips_with_preview_links_but_no_mentor_workspace(client):
    learner, mentor, cap, review, stored = workspace()
    review.status, review.submitted_at = "submitted", utcnow()
    db.session.commit()
    log_in(client, learner)
    html = client.get(f"/capstones/{cap.id}?phase=investigation").text
    pdf = stored["incident-report.pdf"]
    assert f'href="/files/{pdf.key}/preview">Preview' in html
    assert client.get(f"/files/{pdf.key}/inline").get_data() == sample("pdf")
