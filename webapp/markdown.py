"""Markdown to safe HTML: markdown-it-py renders, nh3 (the Ammonia sanitiser) cleans."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from .boundary import replace_surrogates

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


CACHE_MAX_CHARS = 64 * 1024


def render(text: str | None) -> Markup:
    """Safe HTML for a Markdown text. The same text always gives the same HTML, so texts up to 64 KiB are
    remembered (the 512 most recent): mission scenarios are rendered on every visit of their page."""
    if not text:
        return Markup("")
    if len(text) <= CACHE_MAX_CHARS:
        return _render_cached(text)
    return _render(text)


@lru_cache(maxsize=512)
def _render_cached(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    # nh3 takes only UTF-8: a lone surrogate stored before the request boundary refused them becomes U+FFFD.
    html = _md.render(replace_surrogates(text))
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    # The HTML was sanitised by nh3 just above, so it may be marked safe.
    return Markup(clean)  # nosec B704
