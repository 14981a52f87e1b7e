"""htmx runs with `allowEval: false` (base.html), so a trigger filter such as `keyup[key=='Enter']` is never
evaluated: htmx logs `htmx:evalDisallowedError` on every keystroke instead. No template may use one.
(Bug: the mentor review page's recipe search had `keyup[key=='Enter']`.)"""
from __future__ import annotations

import html
import re
from pathlib import Path

from tests.conftest import log_in
from tests.mentorship.helpers import make_recipe, setup_review

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# hx-trigger="…" in markup, and "hx-trigger": "…" in a Jinja dict of field attributes.
TRIGGER = re.compile(r"""hx-trigger["']?\s*[=:]\s*(["'])(.*?)\1""", re.S)
# Modifiers whose value is a CSS selector (may contain [attr=value]; htmx reads it as a selector, not code).
SELECTOR_MODIFIER = re.compile(r"^(from|target):")


def _triggers() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for m in TRIGGER.finditer(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(TEMPLATES)), m.group(2)))
    return found


def _filters(spec: str) -> list[str]:
    """The parts of a trigger spec that htmx would evaluate: a `[...]` anywhere except in a selector value."""
    bad = []
    for token in re.split(r"[\s,]+", spec):
        if "[" in token and not SELECTOR_MODIFIER.match(token):
            bad.append(token)
    return bad


def test_the_scan_finds_the_templates_triggers_and_would_catch_a_filter():
    triggers = _triggers()
    assert len(triggers) > 5
    assert any(name == "mentorship/_review_form.html" for name, _ in triggers)
    assert _filters("input changed delay:300ms, search, keyup[key=='Enter']") == ["keyup[key=='Enter']"]
    assert _filters("click[ctrlKey]") == ["click[ctrlKey]"]
    assert _filters("change, input changed delay:300ms from:input[type=search], submit") == []


def test_no_template_uses_an_htmx_trigger_filter_that_needs_eval():
    offenders = [(name, spec) for name, spec in _triggers() if _filters(spec)]
    assert offenders == [], "htmx trigger filters need eval, which base.html forbids: " + repr(offenders)


def test_review_page_recipe_search_triggers_without_eval_and_keeps_its_no_js_button(client):
    learner, mentor, cap, review = setup_review()
    make_recipe("sysmon-basics", "Sysmon basics")
    log_in(client, mentor)
    page = client.get(f"/mentorship/reviews/{review.id}").text
    search = re.search(r'<input type="search" id="recipe-q"[^>]*>', page).group(0)
    trigger = html.unescape(re.search(r'hx-trigger="([^"]*)"', search).group(1))
    assert trigger == "input changed delay:300ms, search"
    assert "allowEval&#34;: false" in page or '"allowEval": false' in html.unescape(page)
    # Without JavaScript the Search button submits the form, and the page lists the matches.
    assert re.search(r'<button type="submit"[^>]*name="action" value="search_recipes"', page)
    # With htmx the input's request answers the options fragment.
    frag = client.get("/mentorship/recipes?recipe_q=sysmon", headers={"HX-Request": "true",
                                                                    "HX-Target": "recipe-options"})
    assert frag.text.lstrip().startswith('<ul id="recipe-options"') and "Sysmon basics" in frag.text
