"""The request boundary: how much of a request the app reads, what text it takes in, and how text goes out.

Every body, form, query string and JSON document the app reads is parsed by `BoundaryRequest` (the app's request
class), when a view (or Flask-WTF's CSRF check, for the pages' forms) first asks for it: never in a hook that runs
before routing. A URL no route matches (404, 405) or an API call without a valid bearer token (401) is answered
without one byte of its body being read.

- Size: a multipart upload may be MAX_UPLOAD_MB, an urlencoded form MAX_FORM_KB and any other body (JSON)
  MAX_JSON_KB. werkzeug holds the limit: a Content-Length above it answers 413 before anything is read, a chunked
  body as soon as it goes past it.
- Text: no NUL character (PostgreSQL cannot store one, and nobody types one) and nothing that is not Unicode: a
  lone surrogate (JSON can spell one, "\\ud800"; no UTF-8 text holds one) or bytes that are not UTF-8 in a form or
  a query string. One check, `refuse_bad_text`, answers 422 naming each bad field (a JSON path: `skill_tags.1`).
  JSON nested deeper than MAX_JSON_DEPTH answers 400 (Python's parser would otherwise run out of stack: a 500).
- Output: text that is not valid Unicode can still come from rows stored before these checks; `BoundaryResponse`
  encodes it with U+FFFD in its place instead of failing, for pages and JSON alike (the JSON provider leaves
  non-ASCII text unescaped so that it reaches this one place).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl

from flask import Request, Response, current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from .domain.errors import DomainError, Invalid

MAX_JSON_DEPTH = 32     # arrays and objects inside each other; the app's documents go 4 deep
NUL = "contains a NUL character"
NOT_UNICODE = "is not valid Unicode text"
_SURROGATES = re.compile("[\ud800-\udfff]")
_KB = 1024


class NestedTooDeeply(DomainError):
    status = 400
    code = "bad_request"

    def __init__(self) -> None:
        super().__init__(f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and "
                         "objects are accepted.")


# ---- the one check of incoming text -------------------------------------------------------------------------------

def text_problem(value: str) -> str | None:
    """What is wrong with a piece of incoming text, or None."""
    if "\x00" in value:
        return NUL
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return NOT_UNICODE
    return None


def replace_surrogates(text: str) -> str:
    """U+FFFD for each lone surrogate (the characters no UTF-8 text can hold)."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)


def printable(text: str) -> str:
    """`text` made safe to show: U+FFFD for each lone surrogate, NUL left out."""
    return replace_surrogates(text).replace("\x00", "")


def refuse_bad_text(problems: dict[str, str]) -> None:
    """422 naming each field whose text has a NUL character or is not Unicode (nothing when there is none)."""
    if not problems:
        return
    fields = {printable(where) or "body": problem for where, problem in problems.items()}
    kinds = set(fields.values())
    what = ("Text may not contain NUL characters" if kinds == {NUL} else
            "Text must be valid Unicode (UTF-8)" if kinds == {NOT_UNICODE} else
            "Text may not contain NUL characters or invalid Unicode")
    raise Invalid(f"{what}: {', '.join(fields)}.", fields=fields)


def check_pairs(pairs: Iterable[tuple[str, str]]) -> None:
    """Form fields or query parameters: each name and value."""
    problems: dict[str, str] = {}
    for key, value in pairs:
        key = key if isinstance(key, str) else ""      # a multipart part may carry no name
        problem = text_problem(key) or (text_problem(value) if isinstance(value, str) else None)
        if problem:
            problems.setdefault(key, problem)
    refuse_bad_text(problems)


def check_document(document) -> None:
    """A parsed JSON document: every key and string, named by its path (`a.b.0`), in document order. Iterative,
    so a document Python could parse never makes this run out of stack."""
    problems: dict[str, str] = {}
    stack = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                problems.setdefault(path, problem)
        elif isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise NestedTooDeeply()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, item in items:
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (problem := text_problem(key)):
                    problems.setdefault(where, problem)
                children.append((item, where, depth + 1))
            stack.extend(reversed(children))
    refuse_bad_text(problems)


# ---- reading requests ---------------------------------------------------------------------------------------------

class _CappedStream(LimitedStream):
    """A body without a Content-Length (chunked), read up to the limit. werkzeug's LimitedStream.readall stops at
    the limit without telling a longer body from one exactly as long, so a longer body would be cut short and
    parsed (a form silently losing its end): one more byte decides, and a longer body answers 413."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


def _decode_pairs(raw: bytes) -> list[tuple[str, str]]:
    """An urlencoded string's pairs; bytes that are not UTF-8 (raw or %-escaped) become lone surrogates, which the
    check then refuses (werkzeug would keep them as %-escapes, or drop a whole form that holds a raw one)."""
    return parse_qsl(raw.decode("utf-8", "surrogateescape"), keep_blank_values=True, errors="surrogateescape")


class _FormParser(FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        # The stream is already limited to the request's max_content_length (MAX_FORM_KB for this type).
        return stream, self.cls(_decode_pairs(stream.read())), self.cls()


def body_limit(mimetype: str, config) -> int:
    """The most bytes of a request body of this type the app reads."""
    if mimetype == "multipart/form-data":
        return config["MAX_CONTENT_LENGTH"]
    if mimetype == "application/x-www-form-urlencoded":
        return int(config["MAX_FORM_KB"]) * _KB
    return int(config["MAX_JSON_KB"]) * _KB


def too_large_message(mimetype: str, config) -> str:
    if mimetype == "multipart/form-data":
        return f"The upload is too large: the limit is {config['MAX_UPLOAD_MB']} MB."
    if mimetype == "application/x-www-form-urlencoded":
        return f"The form is too large: the limit is {config['MAX_FORM_KB']} KB."
    return f"The request body is too large: the limit is {config['MAX_JSON_KB']} KB."


class BoundaryRequest(Request):
    form_data_parser_class = _FormParser
    _json_checked = False

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        """Flask's get_json, then the check of what it gave. A problem raises a DomainError, which silent=True
        does not swallow; a refused document is checked (and refused) again on every call."""
        try:
            document = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise NestedTooDeeply() from None
        if document is not None and not self._json_checked:
            check_document(document)
            self._json_checked = True
        return document

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        return body_limit(self.mimetype, current_app.config)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self):
        stream = Request.stream.fget(self)
        if isinstance(stream, LimitedStream) and self.content_length is None:     # the limit is the maximum
            return _CappedStream(self.environ["wsgi.input"], stream.limit, is_max=True)
        return stream

    @cached_property
    def args(self):
        args = self.parameter_storage_class(_decode_pairs(self.query_string))
        self.__dict__["args"] = args        # kept, so the error page reading args does not raise again
        check_pairs(args.items(multi=True))
        return args

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()           # keeps form and files, so a later read does not raise again
        check_pairs(self.form.items(multi=True))
        check_pairs((name, upload.filename or "") for name, upload in self.files.items(multi=True))


# ---- writing responses --------------------------------------------------------------------------------------------

def encode_text(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return replace_surrogates(text).encode("utf-8")


class BoundaryResponse(Response):
    """Text that cannot be UTF-8 (a lone surrogate stored before the checks above) goes out as U+FFFD."""

    def set_data(self, value: bytes | str) -> None:
        super().set_data(encode_text(value) if isinstance(value, str) else value)

    def iter_encoded(self) -> Iterator[bytes]:
        return (encode_text(item) if isinstance(item, str) else item for item in self.response)


def init_boundary(app) -> None:
    app.request_class = BoundaryRequest
    app.response_class = BoundaryResponse
    # Non-ASCII text goes out as UTF-8, not \u escapes, so that it meets BoundaryResponse's encoding.
    app.json.ensure_ascii = False
