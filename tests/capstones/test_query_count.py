"""The workspace page's SQL query count does not grow with findings, artifacts, files or history entries."""
from __future__ import annotations

import pytest

from tests.capstones.helpers import capstone_for, world
from tests.conftest import count_queries
from webapp.extensions import db
from webapp.models import CapstoneActivity, StoredFile


def _grow(cap, owner, n):
    cap.investigation_findings = {k: [f"{k} {i}" for i in range(n)] for k in
                                  ("threats", "vulnerabilities", "timeline", "evidence")}
    cap.investigation_artifacts = [{"type": "link", "url": f"https://e.example/{i}", "description": f"a{i}"}
                                   for i in range(n)]
    for i in range(n):
        db.session.add(CapstoneActivity(capstone_id=cap.id, actor_id=owner.id, action="saved",
                                        phase="investigation", summary=f"entry {i}"))
        db.session.add(StoredFile(key=f"files/evidence/k{cap.id}-{i}", owner_id=owner.id, uploaded_by_id=owner.id,
                                  kind="evidence", type_key="pdf", filename=f"f{i}.pdf",
                                  content_type="application/pdf", size=10, capstone_id=cap.id,
                                  field="investigation_artifacts", attached_at=db.func.now()))
        db.session.add(StoredFile(key=f"files/evidence/p{cap.id}-{i}", owner_id=owner.id, uploaded_by_id=owner.id,
                                  kind="evidence", type_key="pdf", filename=f"p{i}.pdf",
                                  content_type="application/pdf", size=10))
    db.session.commit()


def _count(client, cap_id, headers=None):
    db.session.expire_all()
    with count_queries() as q:
        resp = client.get(f"/capstones/{cap_id}", headers=headers or {})
    assert resp.status_code == 200
    return q.count


@pytest.mark.parametrize("viewer", ["owner", "assigned_mentor"])
def test_workspace_query_count_does_not_grow_with_rows_files_or_history(client, login_as, viewer):
    w = world()
    small = capstone_for(w["owner"], w["mission"])
    big = capstone_for(w["owner"])
    _grow(small, w["owner"], 1)
    _grow(big, w["owner"], 40)
    login_as(w[viewer])
    assert _count(client, small.id) == _count(client, big.id)


def test_capstone_list_query_count_does_not_grow_with_capstones(client, login_as):
    w = world()
    login_as(w["owner"])
    capstone_for(w["owner"], w["mission"])
    db.session.expire_all()
    with count_queries() as q1:
        client.get("/capstones")
    for _ in range(5):
        capstone_for(w["owner"])
    db.session.expire_all()
    with count_queries() as q2:
        client.get("/capstones")
    assert q1.count == q2.count


def test_files_and_pending_uploads_come_in_one_query_with_the_same_answer_as_each_alone(client, login_as):
    """The workspace reads the capstone's files and the owner's unsaved uploads on the phase together; the answer is
    what files_of() and pending_uploads() give one by one, whatever else is stored."""
    from webapp.services import capstones as service

    w = world()
    cap = capstone_for(w["owner"], w["mission"])
    other_cap = capstone_for(w["owner"])
    _grow(cap, w["owner"], 3)

    def upload(owner, name, field="design_documents", on=cap, stored=True, **extra):
        row = StoredFile(key=f"files/document/{name}", owner_id=owner.id, uploaded_by_id=owner.id, kind="document",
                         type_key="pdf", filename=f"{name}.pdf", content_type="application/pdf", size=10,
                         uploaded_for=f"capstone:{on.id}:{field}", stored_at=db.func.now() if stored else None,
                         **extra)
        db.session.add(row)
        return row

    for i in range(12):
        upload(w["owner"], f"waiting-{i}")                                  # more than the ten offered
    upload(w["owner"], "other-field", field="presentation")
    upload(w["owner"], "other-capstone", on=other_cap)
    upload(w["owner"], "still-uploading", stored=False)
    upload(w["other_learner"], "someone-else")
    db.session.commit()
    owner = w["owner"]
    expected = (service.files_of(cap), service.pending_uploads(owner, cap, "design_documents"))
    assert len(expected[0]) == 3 and len(expected[1]) == 10
    assert [f.filename for f in expected[1]][:2] == ["waiting-11.pdf", "waiting-10.pdf"]
    with count_queries() as q:
        together = service.files_and_pending(owner, cap, "design_documents")
    assert together == expected and q.count == 1
    assert service.files_and_pending(owner, cap, None) == (expected[0], [])
