"""Audit the installed packages against published advisories: pip-audit where its data is reachable, else the
package index's project pages.

    .venv/bin/python scripts/audit_deps.py [--explained scripts/audit_explained.txt] [--only pip-audit|index]

First pip-audit runs (it is in the test extra): the complete check, which asks for each installed release's
advisories on a per-release page of the index or at OSV. When it audited every installed distribution (but
this project), its findings decide the run. Where only the index's project pages can be reached (as on this
project's CI machines), pip-audit finds nothing to audit and says so package by package; then this script reads
the project page of every installed distribution instead, and says that the fallback ran and why. That page's
`vulnerabilities` are the advisories of the project's latest release, so:

- an installed release that *is* the latest is audited exactly: each advisory that is not withdrawn is a
  finding, and fails the run unless its id is explained in `scripts/audit_explained.txt`;
- an older installed release cannot be audited from that page. It is listed with the latest version and why it
  is held back: the latest needs a newer Python, or an installed package's requirement excludes it;
- the project itself (installed from its folder) and distributions the index does not know are listed apart.

Exit codes: 0 no unexplained advisory; 1 an unexplained advisory; 2 the index could not be read (a run that
could not look is never a pass).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import platform
import subprocess  # nosec B404 (runs pip-audit from this venv, fixed arguments)
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

EXPLAINED = Path(__file__).with_name("audit_explained.txt")


class IndexUnreachable(Exception):
    pass


@dataclass
class Report:
    audited: list[str] = field(default_factory=list)
    findings: list[tuple[str, str, dict]] = field(default_factory=list)       # (name, version, advisory)
    explained: list[tuple[str, str, dict, str]] = field(default_factory=list)  # ... and the explanation
    behind: list[tuple[str, str, str, str]] = field(default_factory=list)      # (name, version, latest, why)
    unknown: list[tuple[str, str]] = field(default_factory=list)               # not on the index
    local: list[tuple[str, str]] = field(default_factory=list)                 # installed from a folder
    stale_explanations: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


def read_explained(path: Path) -> dict[str, str]:
    """`ADVISORY-ID  reason` per line; `#` starts a comment. An id without a reason is refused: the point of the
    file is the reason."""
    explained: dict[str, str] = {}
    if not path.exists():
        return explained
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        advisory, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: {advisory} has no reason; write why it does not apply or is accepted")
        explained[advisory] = reason.strip()
    return explained


def advisory_ids(advisory: dict) -> list[str]:
    return [advisory.get("id", "")] + list(advisory.get("aliases") or [])


def held_back_because(name: str, latest: str, page: dict, requirements: dict[str, list[Requirement]],
                      python: str) -> str:
    """Why the installed release is not the latest: a newer Python needed, or who excludes it."""
    needs = (page.get("info") or {}).get("requires_python")
    if needs:
        try:
            if not SpecifierSet(needs).contains(python, prereleases=True):
                return f"the latest needs Python {needs}"
        except InvalidSpecifier:
            pass
    try:
        latest_version = Version(latest)
    except InvalidVersion:
        return "the latest version is not a valid version number"
    blockers = [f"{owner} requires {req}" for owner, reqs in sorted(requirements.items()) for req in reqs
                if canonicalize_name(req.name) == name and req.specifier
                and not req.specifier.contains(latest_version, prereleases=True)]
    return "; ".join(blockers) or "not upgraded (no installed package excludes the latest)"


def assess(installed: dict[str, str], local: set[str], pages: dict[str, dict | None],
           requirements: dict[str, list[Requirement]], explained: dict[str, str], python: str) -> Report:
    """Pure decision: installed {name: version}, the project page of each (None when the index does not know
    it), the installed packages' requirements and the explained advisory ids."""
    report = Report()
    seen_ids: set[str] = set()
    for name in sorted(installed):
        version = installed[name]
        if name in local:
            report.local.append((name, version))
            continue
        page = pages.get(name)
        if page is None:
            report.unknown.append((name, version))
            continue
        latest = str((page.get("info") or {}).get("version", ""))
        try:
            at_latest = Version(version) >= Version(latest)
        except InvalidVersion:
            at_latest = version == latest
        if not at_latest:
            report.behind.append((name, version, latest,
                                  held_back_because(name, latest, page, requirements, python)))
            continue
        report.audited.append(name)
        for advisory in page.get("vulnerabilities") or []:
            if advisory.get("withdrawn"):
                continue
            ids = advisory_ids(advisory)
            seen_ids.update(ids)
            reason = next((explained[i] for i in ids if i in explained), None)
            if reason is None:
                report.findings.append((name, version, advisory))
            else:
                report.explained.append((name, version, advisory, reason))
    report.stale_explanations = sorted(set(explained) - seen_ids)
    return report


PIP_AUDIT_TIMEOUT = 600   # seconds for the whole pip-audit run


def assess_pip_audit(document: dict, local: set[str], explained: dict[str, str]) -> tuple[Report | None, str]:
    """Pure decision on pip-audit's JSON (`-f json`): a Report when pip-audit audited every installed
    distribution but this project, else None and why not (then the index-page audit runs)."""
    report = Report()
    dependencies = document.get("dependencies") or []
    skipped = [d for d in dependencies if d.get("skip_reason") and canonicalize_name(d.get("name", "")) not in local]
    if not dependencies:
        return None, "pip-audit listed no installed distributions"
    if skipped:
        first = skipped[0]["skip_reason"]
        return None, (f"pip-audit could not audit {len(skipped)} of {len(dependencies)} distributions "
                      f"(its advisory data is out of reach; first: {first})")
    seen_ids: set[str] = set()
    for dep in dependencies:
        name = canonicalize_name(dep.get("name", ""))
        if name in local:
            report.local.append((name, dep.get("version", "")))
            continue
        report.audited.append(name)
        for vuln in dep.get("vulns") or []:
            advisory = {"id": vuln.get("id", ""), "aliases": vuln.get("aliases") or [],
                        "fixed_in": vuln.get("fix_versions") or [], "summary": vuln.get("description") or ""}
            ids = advisory_ids(advisory)
            seen_ids.update(ids)
            reason = next((explained[i] for i in ids if i in explained), None)
            if reason is None:
                report.findings.append((name, dep.get("version", ""), advisory))
            else:
                report.explained.append((name, dep.get("version", ""), advisory, reason))
    report.stale_explanations = sorted(set(explained) - seen_ids)
    return report, "pip-audit audited every installed distribution"


def run_pip_audit() -> tuple[dict | None, str]:
    """pip-audit's JSON for this environment, or None and why it could not run."""
    command = [sys.executable, "-m", "pip_audit", "--local", "--format", "json", "--progress-spinner", "off",
               "--timeout", "30"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_AUDIT_TIMEOUT, check=False)  # nosec B603
    except subprocess.TimeoutExpired:
        return None, f"pip-audit did not finish in {PIP_AUDIT_TIMEOUT} s"
    if "No module named pip_audit" in done.stderr:
        return None, "pip-audit is not installed (pip install -e '.[test]' brings it)"
    try:
        return json.loads(done.stdout), ""
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"pip-audit failed (exit {done.returncode}): {last[:200]}"


def installed_distributions() -> tuple[dict[str, str], set[str], dict[str, list[Requirement]]]:
    installed: dict[str, str] = {}
    local: set[str] = set()
    requirements: dict[str, list[Requirement]] = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"] or "")
        direct = dist.read_text("direct_url.json")
        if direct and json.loads(direct).get("url", "").startswith("file:"):
            local.add(name)   # also when a build's metadata folder in the work tree is found first
        if not name or name in installed:
            continue
        installed[name] = dist.version
        reqs = []
        for text in dist.requires or []:
            try:
                reqs.append(Requirement(text))
            except InvalidRequirement:
                continue
        requirements[name] = reqs
    return installed, local, requirements


def default_index_json_url() -> str:
    """The index pip installs from by default, so the host stays pip's to name (its JSON pages sit under it)."""
    from pip._internal.models.index import PyPI

    return PyPI.pypi_url


def fetch_page(base: str, name: str, attempts: int = 3) -> dict | None:
    url = f"{base.rstrip('/')}/{name}/json"
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:   # nosec B310 (an https index URL)
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            last = error
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
            last = error
        time.sleep(1 + attempt * 2)
    raise IndexUnreachable(f"{url}: {last}")


def print_report(report: Report, total: int, out=None, source: str = "index") -> None:
    w = (out or sys.stdout).write
    if source == "pip-audit":
        w(f"audit of {total} installed distributions by pip-audit (the advisories of each installed release)\n")
    else:
        w(f"audit of {total} installed distributions against the index's advisories (each project's latest "
          "release)\n")
    w(f"  audited (installed release is the latest)   {len(report.audited)}\n")
    w(f"  unexplained advisories                      {len(report.findings)}\n")
    for name, version, advisory in report.findings:
        fixed = ", ".join(advisory.get("fixed_in") or []) or "no fixed release"
        w(f"    {name} {version}: {' / '.join(i for i in advisory_ids(advisory) if i)} (fixed in {fixed}) "
          f"{(advisory.get('summary') or advisory.get('details') or '').strip()[:160]}\n")
    w(f"  explained advisories                        {len(report.explained)}\n")
    for name, version, advisory, reason in report.explained:
        w(f"    {name} {version}: {advisory.get('id')}: {reason}\n")
    w(f"  not audited: older than the latest release  {len(report.behind)}  (the index publishes advisories only for "
      f"the latest here; pip-audit checks these where its advisory data can be reached)\n")
    for name, version, latest, why in report.behind:
        w(f"    {name} {version} (latest {latest}): {why}\n")
    if report.unknown:
        w(f"  not on the index                            {len(report.unknown)}: "
          f"{', '.join(f'{n} {v}' for n, v in report.unknown)}\n")
    if report.local:
        w(f"  this project, installed from its folder     {', '.join(f'{n} {v}' for n, v in report.local)}\n")
    for advisory in report.stale_explanations:
        w(f"  note: {advisory} is explained but no longer reported (remove its line)\n")
    w("RESULT: " + ("FAIL (unexplained advisories)" if report.findings else "PASS") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--explained", type=Path, default=EXPLAINED, help="advisory ids with the reason each is accepted")
    parser.add_argument("--index-json-url", default=None, help="the index's JSON base (default: pip's default index)")
    parser.add_argument("--only", choices=("pip-audit", "index"), default=None,
                        help="run only this audit (pip-audit: exit 2 when it cannot audit everything)")
    args = parser.parse_args(argv)
    explained = read_explained(args.explained)
    installed, local, requirements = installed_distributions()
    if args.only != "index":
        document, why = run_pip_audit()
        report = None
        if document is not None:
            report, why = assess_pip_audit(document, local, explained)
        if report is not None:
            print(f"audit: pip-audit ran ({why})")
            print_report(report, len(installed), source="pip-audit")
            return report.exit_code
        if args.only == "pip-audit":
            print(f"audit: {why}", file=sys.stderr)
            return 2
        print(f"audit: {why}; the index-page audit runs instead")
    else:
        print("audit: the index-page audit runs (--only index)")
    base = args.index_json_url or default_index_json_url()
    names = sorted(set(installed) - local)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            pages = dict(zip(names, pool.map(lambda n: fetch_page(base, n), names)))
    except IndexUnreachable as error:
        print(f"audit: could not read the index's advisories: {error}", file=sys.stderr)
        return 2
    report = assess(installed, local, pages, requirements, explained, platform.python_version())
    print_report(report, len(installed))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
