"""Issue #18 part 4 in headless chromium: a mentor opens the review workspace, opens the preview under the
Investigation phase and sees the learner's uploaded PDF embedded in the page (its own viewer, same origin); a
Markdown design document renders in place. The screenshots are in test-artifacts/ (inline-preview-*.png)."""
from __future__ import annotations

import io

from tests.browser.conftest import log_in, shot, wait_settled, wait_until
from tests.factories import assign, make_mission, make_review, make_user
from tests.mentorship.helpers import submitted_capstone
from webapp.extensions import db
from webapp.services import files as files_service

REPORT_LINE = "Incident report: FS-01 isolated at 02:20"


def one_page_pdf(text: str) -> bytes:
    """A small valid PDF (one A5 page, one line of Helvetica), with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 40 500 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def attach(cap, learner, field: str, kind: str, name: str, data: bytes, cells: dict):
    row = files_service.store_upload(learner, io.BytesIO(data), name, kind)
    files_service.attach([row.key], owner_id=learner.id, field=field, capstone_id=cap.id)
    setattr(cap, field, [*(getattr(cap, field) or []), {"url": f"/files/{row.key}", **cells}])
    db.session.commit()
    return row


def test_mentor_sees_the_uploaded_pdf_embedded_in_the_review_workspace(page):
    learner = make_user("learner", email="preview-learner@example.com")
    mentor = make_user("mentor", email="preview-mentor@example.com")
    assign(mentor, learner)
    cap = submitted_capstone(learner, make_mission(title="Ransomware at Northwind"))
    pdf = attach(cap, learner, "investigation_artifacts", "evidence", "incident-report.pdf", one_page_pdf(REPORT_LINE),
                 {"type": "report", "description": "The incident report"})
    md = attach(cap, learner, "design_documents", "document", "segmentation.md",
                b"# Segmentation\n\nMove the **file servers** to their own VLAN.\n",
                {"title": "Segmentation plan"})
    review = make_review(mentor, cap, total_phases=1)

    log_in(page, mentor.email)
    page.goto(f"/mentorship/reviews/{review.id}")
    work = page.locator("#review-work")
    # The chip names the file (never "Uploaded file") and offers a preview.
    assert work.get_by_role("link", name="incident-report.pdf", exact=True).count() == 1
    assert work.get_by_role("link", name="Preview incident-report.pdf", exact=True).count() == 1
    assert "Uploaded file" not in work.inner_text()

    inline_responses = []
    page.on("response", lambda r: inline_responses.append(r) if r.url.endswith(f"/files/{pdf.key}/inline") else None)
    assert page.locator(f"#file-preview-{pdf.id} iframe").count() == 0          # nothing loaded while closed
    work.locator("summary", has_text="Preview incident-report.pdf").click()
    frame = page.locator(f"#file-preview-{pdf.id} iframe.file-preview-frame")
    frame.wait_for()
    wait_settled(page)
    wait_until(page, f"document.querySelector('#file-preview-{pdf.id} iframe').getBoundingClientRect().height > 300")
    # The PDF came inline from this site, and the browser kept it in the frame (no download, no blocked frame).
    deadline = 50
    while not inline_responses and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert inline_responses and inline_responses[-1].status == 200
    headers = inline_responses[-1].headers
    assert headers["content-type"] == "application/pdf" and headers["x-content-type-options"] == "nosniff"
    assert headers["content-disposition"].startswith("inline")
    children = []
    for _ in range(50):                     # the frame commits its URL a moment after the response arrives
        children = [f for f in page.frames if f.url.endswith(f"/files/{pdf.key}/inline")]
        if children:
            break
        page.wait_for_timeout(100)
    assert children and children[0].parent_frame == page.main_frame
    page.wait_for_timeout(1500)             # let the PDF viewer paint before the screenshot
    frame.scroll_into_view_if_needed()
    path = shot(page, "inline-preview-pdf")
    page.locator(f"#file-preview-{pdf.id}").screenshot(path=str(path.with_name("inline-preview-pdf-frame.png")))
    blocked = [m for m in page.console_messages if "Content Security Policy" in m or "refused" in m.lower()]
    assert not blocked, blocked

    # The Markdown design document renders in place.
    page.locator("details.work-phase", has_text="Design & remediation").locator("summary").first.click()
    work.locator("summary", has_text="Preview segmentation.md").click()
    rendered = page.locator(f"#file-preview-{md.id} .prose")
    rendered.wait_for()
    assert rendered.locator("strong", has_text="file servers").count() == 1
    assert rendered.locator("h1", has_text="Segmentation").count() == 1
    rendered.scroll_into_view_if_needed()
    path = shot(page, "inline-preview-markdown")      # the work column scrolls by itself: shoot the preview too
    page.locator(f"#file-preview-{md.id}").screenshot(path=str(path.with_name("inline-preview-markdown-frame.png")))
    assert not [m for m in page.console_messages if m.startswith("pageerror")]
