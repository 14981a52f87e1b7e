"""scripts/audit_deps.py: which installed releases are audited, what fails the run, and why a release is held back.
No network: the index's project pages are given as data, and fetching is tested against a local server."""
from __future__ import annotations

import importlib.util
import io
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.requirements import Requirement

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_deps.py"
spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
audit = importlib.util.module_from_spec(spec)
sys.modules.setdefault("audit_deps", audit)   # dataclasses look their module up there
spec.loader.exec_module(audit)

ADVISORY = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"], "fixed_in": ["2.0.1"],
            "summary": "Path traversal in the thing", "withdrawn": None}


def page(latest: str, vulnerabilities=(), requires_python: str | None = None) -> dict:
    return {"info": {"version": latest, "requires_python": requires_python}, "vulnerabilities": list(vulnerabilities)}


def run(installed, pages, requirements=None, explained=None, local=(), python="3.11.7"):
    return audit.assess(installed, set(local), pages, requirements or {}, explained or {}, python)


def test_an_advisory_on_an_installed_latest_release_fails_the_audit_and_is_printed():
    report = run({"thing": "2.0.0"}, {"thing": page("2.0.0", [ADVISORY])})
    assert report.exit_code == 1
    assert [(n, v, a["id"]) for n, v, a in report.findings] == [("thing", "2.0.0", "PYSEC-2099-1")]
    out = io.StringIO()
    audit.print_report(report, 1, out)
    text = out.getvalue()
    assert "thing 2.0.0: PYSEC-2099-1 / CVE-2099-0001 / GHSA-aaaa-bbbb-cccc (fixed in 2.0.1)" in text
    assert "Path traversal" in text and text.rstrip().endswith("RESULT: FAIL (unexplained advisories)")


@pytest.mark.parametrize("explained_id", ["PYSEC-2099-1", "CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"])
def test_an_advisory_explained_by_its_id_or_an_alias_passes_with_the_reason_shown(explained_id):
    report = run({"thing": "2.0.0"}, {"thing": page("2.0.0", [ADVISORY])},
                 explained={explained_id: "we never call the affected function"})
    assert report.exit_code == 0 and report.findings == []
    out = io.StringIO()
    audit.print_report(report, 1, out)
    assert "thing 2.0.0: PYSEC-2099-1: we never call the affected function" in out.getvalue()
    assert "RESULT: PASS" in out.getvalue()


def test_withdrawn_advisories_are_not_findings_and_stale_explanations_are_noted():
    withdrawn = dict(ADVISORY, withdrawn="2099-02-01T00:00:00Z")
    report = run({"thing": "2.0.0"}, {"thing": page("2.0.0", [withdrawn])}, explained={"PYSEC-2000-9": "old"})
    assert report.exit_code == 0 and report.findings == [] and report.audited == ["thing"]
    assert report.stale_explanations == ["PYSEC-2000-9"]


def test_an_older_release_is_not_audited_and_says_what_holds_it_back():
    report = run(
        {"dateutil": "2.9.0", "botocore": "1.40.0", "av": "18.1.0", "lonely": "1.0"},
        {"dateutil": page("4.0.0", [ADVISORY]), "botocore": page("1.40.0"),
         "av": page("19.0.2", requires_python=">=3.12"), "lonely": page("1.1")},
        requirements={"botocore": [Requirement("dateutil<3.0.0,>=2.1")], "av": []},
    )
    # The advisory listed for dateutil 4.0.0 says nothing about 2.9.0: not a finding, not a pass either.
    assert report.findings == [] and report.audited == ["botocore"]
    assert report.behind == [
        ("av", "18.1.0", "19.0.2", "the latest needs Python >=3.12"),
        ("dateutil", "2.9.0", "4.0.0", "botocore requires dateutil<3.0.0,>=2.1"),
        ("lonely", "1.0", "1.1", "not upgraded (no installed package excludes the latest)"),
    ]


def test_a_newer_python_meets_the_requirement_so_the_reason_is_the_upgrade():
    report = run({"av": "18.1.0"}, {"av": page("19.0.2", requires_python=">=3.12")}, python="3.12.1")
    assert report.behind[0][3] == "not upgraded (no installed package excludes the latest)"


def test_the_project_itself_and_unknown_packages_are_listed_apart():
    report = run({"mastery-tracks": "0.1.0", "private-thing": "1.0"}, {"private-thing": None},
                 local={"mastery-tracks"})
    assert report.local == [("mastery-tracks", "0.1.0")] and report.unknown == [("private-thing", "1.0")]
    assert report.audited == [] and report.exit_code == 0


def test_explained_file_needs_a_reason_per_id(tmp_path):
    good = tmp_path / "ok.txt"
    good.write_text("# comment\n\nPYSEC-2099-1  only reachable through a feature we do not use  # note\n")
    assert audit.read_explained(good) == {"PYSEC-2099-1": "only reachable through a feature we do not use"}
    bad = tmp_path / "bad.txt"
    bad.write_text("PYSEC-2099-1\n")
    with pytest.raises(SystemExit, match="bad.txt:1: PYSEC-2099-1 has no reason"):
        audit.read_explained(bad)
    assert audit.read_explained(tmp_path / "missing.txt") == {}


def test_the_committed_explanations_file_reads():
    assert isinstance(audit.read_explained(audit.EXPLAINED), dict)


@pytest.fixture
def index_server():
    """A local stand-in for the index's JSON pages: /thing/json answers, anything else 404, /broken/json 500."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/thing/json":
                body = json.dumps(page("2.0.0", [ADVISORY])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(500 if self.path == "/broken/json" else 404)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_fetch_reads_a_page_treats_404_as_unknown_and_fails_loudly_when_the_index_errs(index_server, monkeypatch):
    monkeypatch.setattr(audit.time, "sleep", lambda seconds: None)
    assert audit.fetch_page(index_server, "thing")["vulnerabilities"][0]["id"] == "PYSEC-2099-1"
    assert audit.fetch_page(index_server, "nothing") is None
    with pytest.raises(audit.IndexUnreachable, match="broken/json"):
        audit.fetch_page(index_server, "broken")


def _index_only(monkeypatch) -> None:
    """pip-audit out of reach, as on a machine without its advisory data: main() falls back to the index pages
    (the real pip-audit would spend seconds finding out)."""
    monkeypatch.setattr(audit, "run_pip_audit", lambda: (None, "pip-audit failed (exit 1): no network"))


def test_main_exits_2_when_the_index_cannot_be_read(index_server, monkeypatch, capsys):
    _index_only(monkeypatch)
    monkeypatch.setattr(audit.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(audit, "installed_distributions",
                        lambda: ({"broken": "1.0"}, set(), {"broken": []}))
    assert audit.main(["--index-json-url", index_server]) == 2
    assert "could not read the index's advisories" in capsys.readouterr().err


def test_main_fails_on_an_installed_release_with_an_advisory(index_server, monkeypatch, capsys, tmp_path):
    _index_only(monkeypatch)
    monkeypatch.setattr(audit, "installed_distributions",
                        lambda: ({"thing": "2.0.0", "nothing": "0.1"}, set(), {}))
    empty = tmp_path / "explained.txt"
    empty.write_text("")
    assert audit.main(["--index-json-url", index_server, "--explained", str(empty)]) == 1
    out = capsys.readouterr().out
    assert "unexplained advisories                      1" in out and "not on the index" in out
    empty.write_text("GHSA-aaaa-bbbb-cccc  accepted for this test\n")
    assert audit.main(["--index-json-url", index_server, "--explained", str(empty)]) == 0


def test_installed_distributions_marks_this_project_as_local():
    installed, local, requirements = audit.installed_distributions()
    assert "mastery-tracks" in local and "flask" in installed and "flask" not in local
    assert any(r.name.lower() == "werkzeug" for r in requirements["flask"])


# ---- pip-audit first, the index pages as the fallback ---------------------------------------------------------

def pip_audit_doc(*deps) -> dict:
    return {"dependencies": list(deps), "fixes": []}


VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["2.0.1"], "description": "Traversal"}


def test_pip_audit_that_audited_everything_decides_the_run_and_an_unexplained_vuln_fails_it():
    doc = pip_audit_doc({"name": "thing", "version": "2.0.0", "vulns": [VULN]},
                        {"name": "other", "version": "1.0", "vulns": []},
                        {"name": "mastery-tracks", "skip_reason": "Dependency not found on PyPI"})
    report, why = audit.assess_pip_audit(doc, {"mastery-tracks"}, {})
    assert report is not None and "every installed distribution" in why
    assert report.exit_code == 1
    assert [(n, v, a["id"]) for n, v, a in report.findings] == [("thing", "2.0.0", "PYSEC-2099-1")]
    assert sorted(report.audited) == ["other", "thing"]
    out = io.StringIO()
    audit.print_report(report, 3, out, source="pip-audit")
    assert "by pip-audit" in out.getvalue() and "PYSEC-2099-1" in out.getvalue()
    assert "FAIL" in out.getvalue()


def test_pip_audit_vuln_explained_by_an_alias_passes_and_is_listed():
    doc = pip_audit_doc({"name": "thing", "version": "2.0.0", "vulns": [VULN]})
    report, _ = audit.assess_pip_audit(doc, set(), {"CVE-2099-0001": "we never call the affected function"})
    assert report.exit_code == 0
    assert [(n, a["id"], r) for n, _, a, r in report.explained] == [
        ("thing", "PYSEC-2099-1", "we never call the affected function")]


def test_pip_audit_that_skipped_a_dependency_is_not_a_pass_and_names_why():
    doc = pip_audit_doc({"name": "thing", "version": "2.0.0", "vulns": []},
                        {"name": "alembic", "skip_reason": "Dependency not found on PyPI and could not be audited"})
    report, why = audit.assess_pip_audit(doc, set(), {})
    assert report is None
    assert "could not audit 1 of 2 distributions" in why and "could not be audited" in why


def test_main_falls_back_to_the_index_pages_and_says_so(monkeypatch, capsys):
    _index_only(monkeypatch)
    monkeypatch.setattr(audit, "installed_distributions", lambda: ({"thing": "2.0.0"}, set(), {}))
    monkeypatch.setattr(audit, "fetch_page", lambda base, name: page("2.0.0"))
    assert audit.main(["--index-json-url", "http://127.0.0.1:9/pypi"]) == 0
    out = capsys.readouterr().out
    assert "pip-audit failed (exit 1): no network; the index-page audit runs instead" in out
    assert "against the index's advisories" in out and "RESULT: PASS" in out


def test_main_uses_pip_audit_when_it_audited_everything(monkeypatch, capsys):
    monkeypatch.setattr(audit, "run_pip_audit", lambda: (pip_audit_doc(
        {"name": "thing", "version": "2.0.0", "vulns": [VULN]}), ""))
    monkeypatch.setattr(audit, "installed_distributions", lambda: ({"thing": "2.0.0"}, set(), {}))

    def no_index(base, name):
        raise AssertionError("the index must not be read when pip-audit decided")

    monkeypatch.setattr(audit, "fetch_page", no_index)
    assert audit.main([]) == 1
    out = capsys.readouterr().out
    assert out.startswith("audit: pip-audit ran") and "RESULT: FAIL" in out


def test_only_pip_audit_that_cannot_audit_everything_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(audit, "run_pip_audit", lambda: (None, "pip-audit is not installed"))
    monkeypatch.setattr(audit, "installed_distributions", lambda: ({"thing": "2.0.0"}, set(), {}))
    assert audit.main(["--only", "pip-audit"]) == 2
    assert "pip-audit is not installed" in capsys.readouterr().err
