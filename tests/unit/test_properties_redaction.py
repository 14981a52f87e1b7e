"""Invariants (hypothesis) of the evidence scanner (domain.redaction).

A secret planted anywhere in ordinary text is always reported by its exact value, and no excerpt ever shows
it in full (the excerpt is what the learner sees, so it must not leak what it warns about). The scan never
fails on any text, reports each (kind, value, line) once, in order, and is local to lines: text added after
a line break never changes what was found before it. Confirming every finding leaves nothing to confirm.
"""
from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from webapp.domain.redaction import KIND_LABELS, MAX_FINDINGS, fingerprint, scan, unconfirmed

SETTINGS = settings(max_examples=100, deadline=None)

# Ordinary prose and punctuation. No digits and no capitals, so it can never spell a planted secret by itself,
# but enough of "@ . = : -" to make its own e-mail addresses, host names and "password = …" assignments.
filler = st.text(st.sampled_from(string.ascii_lowercase[:8] + "  \n\t@.=:-_/\"'"), max_size=40)
upper_digits = string.ascii_uppercase + string.digits
alnum = string.ascii_letters + string.digits


def with_digit(s: str) -> str:
    return s + "7"


SECRETS = st.one_of(
    st.text(st.sampled_from(upper_digits), min_size=16, max_size=16).map(lambda s: "AKIA" + s),
    st.text(st.sampled_from(alnum), min_size=35, max_size=40).map(lambda s: "ghp_" + with_digit(s)),
    st.text(st.sampled_from(alnum + "-"), min_size=9, max_size=20).map(lambda s: "xoxb-" + with_digit(s)),
    st.tuples(*[st.text(st.sampled_from(alnum + "_-"), min_size=5, max_size=12)] * 3).map(
        lambda p: f"eyJ{with_digit(p[0])}.eyJ{p[1]}.{p[2]}"),
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(lambda t: "10.%d.%d.%d" % t),
    st.tuples(st.integers(16, 31), st.integers(0, 255), st.integers(0, 255)).map(lambda t: "172.%d.%d.%d" % t),
    st.tuples(st.integers(0, 255), st.integers(0, 255)).map(lambda t: "192.168.%d.%d" % t),
    st.tuples(st.text(st.sampled_from(string.ascii_lowercase + "."), min_size=1, max_size=8).filter(
        lambda s: s[0] != "." and s[-1] != "." and ".." not in s), st.sampled_from(["example.org", "corp.io"])).map(
        lambda t: f"{with_digit(t[0])}@{t[1]}"),
)
PASSWORDS = st.tuples(st.sampled_from(["password", "PWD", "api_key", "client-secret", "token", "Secret"]),
                      st.sampled_from(["=", ": ", " = ", '="']),
                      # "Q…9": no other planted secret shows such a value in the few characters its mask keeps
                      st.text(st.sampled_from(alnum + "!#$%&*+./?@^_~-"), min_size=2, max_size=20).map(
                          lambda s: f"Q{s}9"))


@st.composite
def texts_with_secrets(draw):
    """(text, planted values): secrets and assignments set apart by whitespace in random prose."""
    parts, planted = [draw(filler)], []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.booleans()):
            value = draw(SECRETS)
            parts.append(f" {value} ")
        else:
            key, sep, value = draw(PASSWORDS)
            closing = '"' if sep.endswith('"') else ""
            parts.append(f" {key}{sep}{value}{closing} ")
        planted.append(value)
        parts.append(draw(filler))
    return "".join(parts), planted


def value_fingerprints(value: str) -> set[str]:
    return {fingerprint(kind, value) for kind in KIND_LABELS}


@SETTINGS
@given(texts_with_secrets())
@example(("creds: AKIAIOSFODNN7EXAMPLE password=hunter22 end", ["AKIAIOSFODNN7EXAMPLE", "hunter22"]))
def test_a_planted_secret_is_always_found_and_never_shown_in_full(case):
    text, planted = case
    findings = scan(text, "notes.md")
    found = {f.fingerprint for f in findings}
    for value in planted:
        assert found & value_fingerprints(value), f"{value!r} not reported in {text!r}"
        for f in findings:
            assert value not in f.excerpt, f"the excerpt {f.excerpt!r} of a {f.kind} shows {value!r}"


@SETTINGS
@given(st.one_of(st.text(max_size=80), texts_with_secrets().map(lambda c: c[0])))
def test_scan_never_fails_and_reports_each_kind_value_and_line_once_in_order(text):
    findings = scan(text, "evidence.txt")
    assert len(findings) <= MAX_FINDINGS
    lines = [f.line for f in findings]
    assert lines == sorted(lines) and all(1 <= n <= text.count("\n") + 1 for n in lines)
    keys = [(f.fingerprint, f.line) for f in findings]
    assert len(set(keys)) == len(keys)
    assert all(f.kind in KIND_LABELS and f.where == "evidence.txt" and "\n" not in f.excerpt for f in findings)
    assert unconfirmed(findings, [f.fingerprint for f in findings]) == []
    assert unconfirmed(findings, []) == findings


@SETTINGS
@given(texts_with_secrets(), texts_with_secrets())
def test_text_added_after_a_line_break_never_changes_the_findings_before_it(first, more):
    text = first[0]
    before = scan(text, "notes.md")
    after = scan(text + "\n" + more[0], "notes.md")
    assert after[:len(before)] == before
    assert all(f.line > text.count("\n") + 1 for f in after[len(before):])
