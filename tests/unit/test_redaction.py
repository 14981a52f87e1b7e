"""The evidence scanner: plain text in, findings out (no app, no database)."""
from __future__ import annotations

import pytest

from webapp.domain.redaction import KIND_LABELS, fingerprint, mask, scan, unconfirmed

AWS = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
SLACK = "xoxb-" + "1234567890-abcdefghij"
JWT = ("eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")


@pytest.mark.parametrize("text, kind, value", [
    ("scanned 10.0.0.12 first", "private_ip", "10.0.0.12"),
    ("gateway 172.16.4.1,", "private_ip", "172.16.4.1"),
    ("edge 172.31.255.254.", "private_ip", "172.31.255.254"),
    ("the 192.168.1.0/24 range", "private_ip", "192.168.1.0/24"),
    ("ssh to db01.corp now", "internal_host", "db01.corp"),
    ("files on fs.internal.", "internal_host", "fs.internal"),
    ("printer.local", "internal_host", "printer.local"),
    ("see wiki.intranet today", "internal_host", "wiki.intranet"),
    ("backup to nas.lan", "internal_host", "nas.lan"),
    (f"key {AWS} leaked", "aws_access_key", AWS),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "private_key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private_key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("-----BEGIN PRIVATE KEY-----", "private_key", "-----BEGIN PRIVATE KEY-----"),
    ("password=hunter22", "password", "hunter22"),
    ("passwd: s3cr3tpw", "password", "s3cr3tpw"),
    ('api_key = "abc123xyz"', "password", "abc123xyz"),
    ("API-KEY: zzz999", "password", "zzz999"),
    (f"Authorization: Bearer {JWT}", "jwt", JWT),
    (f"token {GITHUB}", "github_token", GITHUB),
    (f"slack {SLACK}", "slack_token", SLACK),
    ("mail ana@example.com today", "email", "ana@example.com"),
])
def test_scan_finds_each_kind_with_a_fingerprint_of_kind_and_value(text, kind, value):
    findings = [f for f in scan(text, "summary") if f.kind == kind]
    assert len(findings) == 1, scan(text, "summary")
    f = findings[0]
    assert f.fingerprint == fingerprint(kind, value)
    assert f.where == "summary" and f.line == text[:text.find(value)].count("\n") + 1
    assert f.label == KIND_LABELS[kind]


@pytest.mark.parametrize("text", [
    "public DNS 8.8.8.8 and 1.1.1.1",
    "not private: 172.32.0.1 or 172.15.9.9 or 192.169.0.1",
    "version 10.0.0.1.5 is a build number",       # longer than an address
    "the company example.com and corp.example.com",
    "local variables and the internal team",
    "AKIA is a prefix; AKIA123 is too short",
    "a password policy: use a long passphrase",
    "ghp_short xoxb- eyJ.eyJ.x",
    "",
])
def test_scan_ignores_lookalikes(text):
    assert scan(text, "summary") == []


def test_scan_reports_lines_and_where():
    text = "intro\n\nhost 10.1.2.3\nmail bob@example.org\n"
    findings = scan(text, "notes.md")
    assert [(f.kind, f.line, f.location) for f in findings] == [
        ("private_ip", 3, "notes.md, line 3"), ("email", 4, "notes.md, line 4")]


def test_excerpt_masks_the_value_and_every_other_hit_in_view():
    text = f"creds: {AWS} password=hunter22 end"
    for f in scan(text, "summary"):
        assert AWS not in f.excerpt and "hunter22" not in f.excerpt and "EXAMPLE" not in f.excerpt
        assert "•" in f.excerpt
    aws = next(f for f in scan(text, "summary") if f.kind == "aws_access_key")
    assert aws.excerpt.startswith("creds: AKIA•")


def test_private_key_armour_is_shown_but_nothing_after_it():
    f = scan("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBsecretbody", "key.txt")[0]
    assert f.excerpt == "-----BEGIN EC PRIVATE KEY-----"


def test_same_secret_twice_on_one_line_is_one_finding_and_on_two_lines_two_with_one_fingerprint():
    one = scan("10.0.0.1 and 10.0.0.1", "summary")
    assert len(one) == 1
    two = scan("10.0.0.1\n10.0.0.1", "summary")
    assert len(two) == 2 and two[0].fingerprint == two[1].fingerprint


def test_a_token_in_an_assignment_is_reported_once_as_the_specific_kind():
    findings = scan(f"token={GITHUB}", "summary")
    assert [f.kind for f in findings] == ["github_token"]


def test_fingerprint_is_stable_and_depends_on_kind_and_value():
    assert fingerprint("email", "a@b.io") == fingerprint("email", "a@b.io")
    assert fingerprint("email", "a@b.io") != fingerprint("email", "c@b.io")
    assert fingerprint("email", "a@b.io") != fingerprint("password", "a@b.io")
    assert len(fingerprint("email", "a@b.io")) == 20


def test_unconfirmed_leaves_out_confirmed_fingerprints():
    findings = scan("10.0.0.1 and ana@example.com", "summary")
    ip = findings[0].fingerprint
    assert [f.kind for f in unconfirmed(findings, [ip])] == ["email"]
    assert unconfirmed(findings, {f.fingerprint for f in findings}) == []


def test_mask_never_shows_the_whole_value():
    assert mask("hunter22") == "hu••••••"
    assert mask("abc") == "ab•••"
    assert mask("x" * 40).count("•") == 8 and mask("x" * 40).startswith("xxxx")


def test_scan_is_bounded_on_huge_input():
    text = "\n".join(f"10.0.{i // 250}.{i % 250}" for i in range(1000))
    assert len(scan(text, "big.txt")) == 200
