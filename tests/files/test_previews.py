"""Issue #18 part 4: evidence and uploads preview inline, for exactly the people who may download them.

`/files/<key>/preview` is the preview (a page, or the fragment `#file-preview-<id>` for htmx): a PDF embedded in a
same-origin frame of `/files/<key>/inline`, an image as <img alt=filename>, text and Markdown rendered on the server
(Markdown through the sanitising renderer), capped, with bad UTF-8 shown as U+FFFD; any other type only the download
link. `/files/<key>/inline` sends PDF and image bytes inline with nosniff, framable by this site only; every other
type is 404 there. Both run on local files and on S3 (moto).
"""
from __future__ import annotations

import io

import pytest

from tests.capstones.helpers import capstone_for
from tests.conftest import hx, log_in
from tests.factories import assign, make_mission, make_token, make_user
from tests.media_samples import sample
from webapp.domain.uploads import TEXT_PREVIEW_BYTES
from webapp.extensions import db
from webapp.models import StoredFile

MD = ("# Findings\n\n" + "Padding line so the payload sits past the upload check's first 4 KiB.\n" * 80
      + "\nWatch <script>alert('md')</script> and <img src=x onerror=\"alert(1)\"> here.\n\n"
      + "[click me](javascript:alert(2)) and **bold words**.\n")


def api_upload(client, cap, owner, name: str, data: bytes, field: str = "investigation_artifacts") -> StoredFile:
    _, token = make_token(owner)
    resp = client.post(f"/api/v1/capstones/{cap.id}/files", headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data", data={"field": field, "file": (io.BytesIO(data), name)})
    assert resp.status_code == 201, resp.get_json()
    return db.session.scalar(db.select(StoredFile).where(StoredFile.key == resp.get_json()["key"]))


def world():
    learner, mentor = make_user("learner"), make_user("mentor")
    assign(mentor, learner)
    cap = capstone_for(learner, make_mission())
    return learner, mentor, cap


def get(client, url: str, **kwargs):
    resp = client.get(url, **kwargs)
    return resp, resp.get_data()


# ---- who may preview -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["owner", "mentor", "admin"])
def test_preview_and_inline_pdf_for_owner_assigned_mentor_and_admin(client, backend, who):
    learner, mentor, cap = world()
    pdf = api_upload(client, cap, learner, "incident-report.pdf", sample("pdf"))
    log_in(client, {"owner": learner, "mentor": mentor, "admin": make_user("admin")}[who])
    resp, _ = get(client, f"/files/{pdf.key}/preview")
    assert resp.status_code == 200 and "<html" in resp.text
    assert f'<iframe class="file-preview-frame" src="/files/{pdf.key}/inline"' in resp.text
    assert 'title="incident-report.pdf (PDF preview)"' in resp.text
    assert f'<a href="/files/{pdf.key}">Download incident-report.pdf</a>' in resp.text     # the fallback
    resp, body = get(client, f"/files/{pdf.key}/inline")
    assert resp.status_code == 200 and body == sample("pdf")


@pytest.mark.parametrize("who", ["other", "stranger", "scoped"])
@pytest.mark.parametrize("path", ["preview", "inline"])
def test_preview_refused_to_other_learner_and_unassigned_mentors_with_no_content(client, backend, who, path):
    learner, mentor, cap = world()
    pdf = api_upload(client, cap, learner, "incident-report.pdf", sample("pdf"))
    note = api_upload(client, cap, learner, "notes.md", b"# Secret plan\n\nRotate the VPN keys.\n")
    if who == "scoped":
        viewer = make_user("mentor")
        assign(viewer, learner, track="grc")         # the learner's mentor, but for another track than this work's
    else:
        viewer = make_user("learner" if who == "other" else "mentor")
    log_in(client, viewer)
    for row, secret in ((pdf, b"%PDF"), (note, b"Secret plan")):
        resp, body = get(client, f"/files/{row.key}/{path}")
        assert resp.status_code == 403, (row.filename, resp.status_code)
        assert secret not in body and b"Rotate the VPN" not in body and row.filename.encode() not in body
        assert "inline" not in resp.headers.get("Content-Disposition", "")


@pytest.mark.parametrize("path", ["preview", "inline"])
def test_preview_anonymous_is_sent_to_log_in_with_no_content(client, backend, path):
    learner, _, cap = world()
    note = api_upload(client, cap, learner, "notes.md", b"# Secret plan\n\nRotate the VPN keys.\n")
    resp, body = get(client, f"/files/{note.key}/{path}")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert b"Secret plan" not in body and b"notes.md" not in body
    resp, body = get(client, f"/files/{note.key}/{path}", headers=hx(target=f"file-preview-{note.id}"))
    assert resp.status_code == 401 and "/auth/login" in resp.headers["HX-Redirect"] and b"Secret" not in body


def test_preview_of_a_missing_or_released_file_is_404(client, backend):
    learner, _, cap = world()
    log_in(client, learner)
    assert client.get("/files/files/evidence/2026/01/nothing-here/preview").status_code == 404
    assert client.get("/files/files/evidence/2026/01/nothing-here/inline").status_code == 404


# ---- what a preview shows --------------------------------------------------------------------------------------

def test_pdf_inline_is_inline_pdf_with_nosniff_framable_by_this_site_only(client, backend):
    learner, _, cap = world()
    pdf = api_upload(client, cap, learner, "incident-report.pdf", sample("pdf"))
    log_in(client, learner)
    resp, body = get(client, f"/files/{pdf.key}/inline")
    assert resp.status_code == 200 and body == sample("pdf")          # streamed from this site, even on S3
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith('inline; filename="incident-report.pdf"')
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "default-src 'none'" in csp and "sandbox" in csp
    assert "script-src" not in csp
    # The download keeps its own headers: still an attachment, still sandboxed, never framed.
    download = client.get(f"/files/{pdf.key}")
    if download.status_code == 200:
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in download.headers["Content-Security-Policy"]
        assert download.headers["X-Frame-Options"] == "DENY"
    else:
        assert download.status_code == 302 and "attachment" in download.headers["Location"]


@pytest.mark.parametrize("sample_name, name", [("png", "network-diagram.png"), ("jpeg", "whiteboard.jpg")])
def test_image_preview_is_an_img_with_the_filename_as_alt(client, backend, sample_name, name):
    learner, _, cap = world()
    img = api_upload(client, cap, learner, name, sample(sample_name))
    log_in(client, learner)
    resp = client.get(f"/files/{img.key}/preview", headers=hx(target=f"file-preview-{img.id}"))
    assert resp.status_code == 200 and "<html" not in resp.text
    assert f'<img class="file-preview-image" src="/files/{img.key}/inline" alt="{name}">' in resp.text
    inline = client.get(f"/files/{img.key}/inline")
    assert inline.status_code == 200 and inline.get_data() == sample(sample_name)
    assert inline.headers["Content-Type"] == img.content_type and inline.headers["X-Content-Type-Options"] == "nosniff"


def test_markdown_preview_is_rendered_and_script_is_inert(client, backend):
    learner, mentor, cap = world()
    md = api_upload(client, cap, learner, "findings.md", MD.encode())
    log_in(client, mentor)
    resp = client.get(f"/files/{md.key}/preview", headers=hx(target=f"file-preview-{md.id}"))
    assert resp.status_code == 200
    html = resp.text
    assert "<h1>Findings</h1>" in html and "<strong>bold words</strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html        # shown as text, never run


def test_text_preview_is_escaped_preformatted_text(client, backend):
    learner, mentor, cap = world()
    txt = api_upload(client, cap, learner, "shell.log", b"line 1\n" + b"x" * 5000 + b"\n<script>alert(3)</script>\n")
    log_in(client, mentor)
    html = client.get(f"/files/{txt.key}/preview", headers=hx(target=f"file-preview-{txt.id}")).text
    assert '<pre class="file-preview-text">line 1\n' in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html and "<script>alert(3)" not in html


def test_text_with_invalid_utf8_previews_with_replacement_characters(client, backend):
    learner, mentor, cap = world()
    txt = api_upload(client, cap, learner, "notes.txt", b"placeholder text\n")
    # The object changed behind the app's back (or was stored before the check): not UTF-8, with a NUL.
    bad = b"caf\xe9 \xff\xfe ok\x00end\n"
    backend.save(txt.key, io.BytesIO(bad), content_type="text/plain; charset=utf-8", max_bytes=1024)
    log_in(client, mentor)
    for md_name in ("notes.txt", "notes.md"):
        txt.filename = md_name
        db.session.commit()
        resp = client.get(f"/files/{txt.key}/preview")
        assert resp.status_code == 200, resp.text[:300]
        assert "caf\ufffd \ufffd\ufffd ok\ufffdend" in resp.text


def test_text_preview_is_capped_and_says_so(client, backend):
    learner, mentor, cap = world()
    # A two-byte character straddles the cap: it is left out, not shown as a replacement character.
    data = b"a" * (TEXT_PREVIEW_BYTES - 1) + "é".encode() + b"TAIL-NOT-SHOWN" * 100
    txt = api_upload(client, cap, learner, "big.txt", data)
    log_in(client, mentor)
    html = client.get(f"/files/{txt.key}/preview").text
    assert "TAIL-NOT-SHOWN" not in html and "\ufffd" not in html and "a" * 1000 in html
    assert "The preview shows the first 256 KB of 257 KB." in " ".join(html.split())
    assert f'<a href="/files/{txt.key}">Download big.txt</a> for the whole file.' in html


@pytest.mark.parametrize("sample_name, name", [("docx", "plan.docx"), ("zip", "logs.zip")])
def test_other_types_get_no_inline_preview_only_the_download_link(client, backend, sample_name, name):
    learner, mentor, cap = world()
    row = api_upload(client, cap, learner, name, sample(sample_name))
    log_in(client, mentor)
    html = client.get(f"/files/{row.key}/preview", headers=hx(target=f"file-preview-{row.id}")).text
    assert "There is no preview for this type of file" in html
    assert f'<a href="/files/{row.key}">Download {name}</a>' in html
    assert "<iframe" not in html and "<img" not in html and "<pre" not in html
    resp, body = get(client, f"/files/{row.key}/inline")
    assert resp.status_code == 404 and body != sample(sample_name)


# ---- page and fragment -----------------------------------------------------------------------------------------

def test_preview_url_answers_a_page_or_the_fragment_for_its_target(client, local_backend):
    learner, _, cap = world()
    md = api_upload(client, cap, learner, "findings.md", b"# Findings\n\nAll **good**.\n")
    log_in(client, learner)
    page = client.get(f"/files/{md.key}/preview")
    assert page.status_code == 200 and "<html" in page.text and "<h1>findings.md</h1>" in page.text
    frag = client.get(f"/files/{md.key}/preview", headers=hx(target=f"file-preview-{md.id}"))
    assert frag.status_code == 200 and "<html" not in frag.text
    assert frag.text.strip().startswith(f'<div id="file-preview-{md.id}" class="file-preview file-preview-markdown">')
    assert "<strong>good</strong>" in frag.text and "HX-Request" in frag.headers["Vary"]
    # Aimed at another element: the whole page, never a fragment swapped into the wrong place.
    other = client.get(f"/files/{md.key}/preview", headers=hx(target="flashes"))
    assert "<html" in other.text


def test_capstone_page_chips_offer_preview_only_for_previewable_types(client, local_backend):
    learner, _, cap = world()
    pdf = api_upload(client, cap, learner, "incident-report.pdf", sample("pdf"))
    docx = api_upload(client, cap, learner, "plan.docx", sample("docx"))
    log_in(client, learner)
    html = client.get(f"/capstones/{cap.id}?phase=investigation").text
    assert f'href="/files/{pdf.key}/preview">Preview<span class="visually-hidden"> incident-report.pdf</span>' in html
    assert f"/files/{docx.key}/preview" not in html and "plan.docx" in html
