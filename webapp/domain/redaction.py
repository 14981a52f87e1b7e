"""Find likely secrets and internal details in text before it is shared (portfolio evidence safety).

Pure: text in, findings out. Each finding has a stable `fingerprint` (the kind and the matched value,
hashed: the same secret gives the same fingerprint wherever it appears, so confirming it once covers
every place), a `kind`, a masked `excerpt` (the match is never shown in full) and where it was found.

The patterns lean towards false positives: the learner confirms each hit ("I have redacted this / it is
safe to share"), so a noisy hit costs a click while a missed credential could cost a breach.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

KIND_LABELS = {
    "private_ip": "Private IP address",
    "internal_host": "Internal host name",
    "aws_access_key": "AWS access key id",
    "private_key": "Private key",
    "password": "Password or secret in an assignment",
    "jwt": "JSON Web Token",
    "github_token": "GitHub token",
    "slack_token": "Slack token",
    "email": "E-mail address",
}

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_NOT_BEFORE = r"(?<![\w.])"
_NOT_AFTER = r"(?![\w-]|\.\d)"

PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # (kind, pattern, group holding the value that is fingerprinted and masked)
    ("private_key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"), 0),
    ("aws_access_key", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])"), 0),
    ("github_token", re.compile(
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"), 0),
    ("slack_token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}"), 0),
    ("jwt", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), 0),
    ("password", re.compile(
        r"(?i)(?<![A-Za-z0-9])(?:password|passwd|passwort|pwd|pass|secret|client[_-]?secret|api[_-]?key|apikey|"
        r"access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|token)"
        r"[\"']?\s*[:=]\s*[\"']?([^\s\"'<>,;]{3,})"), 1),
    ("private_ip", re.compile(
        _NOT_BEFORE + rf"(?:10\.{_OCTET}\.{_OCTET}\.{_OCTET}|172\.(?:1[6-9]|2\d|3[01])\.{_OCTET}\.{_OCTET}|"
        rf"192\.168\.{_OCTET}\.{_OCTET})(?:/\d{{1,2}})?" + _NOT_AFTER), 0),
    ("email", re.compile(
        r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])"), 0),
    ("internal_host", re.compile(
        r"(?i)(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:local|internal|corp|lan|intranet)"
        r"(?![\w-]|\.[a-z0-9])"), 0),
)

CONTEXT = 18          # characters of context either side of a hit in its excerpt
MAX_FINDINGS = 200    # per text: enough to act on, bounded for huge files


@dataclass(frozen=True)
class Finding:
    fingerprint: str
    kind: str
    excerpt: str
    where: str
    line: int

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def location(self) -> str:
        return f"{self.where}, line {self.line}"


def fingerprint(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:20]


def mask(value: str) -> str:
    """Enough to recognise the hit, never the whole value: a few leading characters, then dots."""
    keep = 2 if len(value) <= 8 else 4
    return value[:keep] + "•" * min(8, max(3, len(value) - keep))


def _excerpt(text: str, start: int, end: int, spans: list[tuple[int, int]], kind: str) -> str:
    """The hit with a little context from its line; every hit inside the window is masked, not only this one."""
    lo = max(text.rfind("\n", 0, start) + 1, start - CONTEXT)
    nl = text.find("\n", end)
    hi = min(nl if nl >= 0 else len(text), end + CONTEXT)
    out, pos = [], lo
    for s, e in sorted(spans):
        if e <= pos or s >= hi:
            continue
        if s < pos or e > hi:          # a hit cut by the window's edge: show none of it
            out.append(text[pos:max(s, pos)] + "•••")
            pos = min(e, hi)
            continue
        out.append(text[pos:s])
        # The armour line of a private key names no secret; showing it says what was found.
        out.append(text[s:e] if kind == "private_key" and (s, e) == (start, end) else mask(text[s:e]))
        pos = e
    out.append(text[pos:hi])
    body = "".join(out).replace("\t", " ")
    return ("…" if lo > 0 and text[lo - 1] != "\n" else "") + body.strip() + (
        "…" if hi < len(text) and text[hi] != "\n" else "")


def scan(text: str | None, where: str) -> list[Finding]:
    """Every likely secret or internal detail in `text`, in order of appearance, one per (kind, value, line)."""
    if not text:
        return []
    hits: list[tuple[int, int, str, str]] = []
    for kind, pattern, group in PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span(group)
            # A value already reported by a more specific pattern (a key inside "token=…") is not reported twice.
            if any(s <= start and end <= e for s, e, _, _ in hits):
                continue
            hits.append((start, end, kind, m.group(group)))
    hits.sort(key=lambda h: (h[0], h[1]))
    spans = [(s, e) for s, e, _, _ in hits]
    seen: set[tuple[str, int]] = set()
    out: list[Finding] = []
    for start, end, kind, value in hits:
        line = text.count("\n", 0, start) + 1
        fp = fingerprint(kind, value)
        if (fp, line) in seen:
            continue
        seen.add((fp, line))
        out.append(Finding(fp, kind, _excerpt(text, start, end, spans, kind), where, line))
        if len(out) >= MAX_FINDINGS:
            break
    return out


def unconfirmed(findings: list[Finding], confirmed: list[str] | set[str]) -> list[Finding]:
    confirmed = set(confirmed or ())
    return [f for f in findings if f.fingerprint not in confirmed]
