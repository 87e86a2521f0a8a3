"""One guard for every text input, API and forms alike (Slack has its own: its signatures cover
the raw body, which must reach its views untouched).

`ControlCharacterMiddleware` looks at the request path, the query string, the form fields
(names, values and file names) or the JSON body (keys and string values, however nested), the
cookies and the Idempotency-Key header, and refuses the request with 400 before any view, form
or lookup sees it: JSON like a DRF field error under /api/, a short portal page elsewhere.
Nothing is stored.

Refused: what XML 1.0 cannot carry, and the controls it discourages; no one types them —
- C0 controls but tab, line feed and carriage return (U+0000 … U+001F): PostgreSQL refuses
  U+0000 outright (a 500 before this guard), and the rest are invisible in the portal and
  reach Slack, e-mail and webhooks as they are;
- DEL (U+007F) and the C1 controls (U+0080 … U+009F): no keyboard types them; they come from
  text decoded with the wrong code page or from terminal escape sequences (U+009B starts one);
- surrogates (U+D800 … U+DFFF), which JSON's \\u escapes can carry but UTF-8 cannot encode
  (the database driver fails on them), and the non-characters U+FFFE and U+FFFF (a byte-order
  mark read backwards), which XML and many of the parsers behind our channels reject.
"""

import json
import re
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.api.errors import API_PREFIX
from core.api.idempotency import HEADER as IDEMPOTENCY_HEADER

SKIPPED_PREFIXES = ("/slack/",)
REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PATH = "path"  # the field named when the address itself holds the character
COOKIE = "Cookie"

Texts = Iterator[tuple[str, str]]  # (the field it was found in, a text the client sent)


def _json_texts(document: object) -> Texts:
    """(dotted path, text) for every key and string in a JSON document, without recursion."""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    yield child, key
                stack.append((child, item))


def _multipart_parts(body: bytes, boundary: bytes) -> int | None:
    """The number of parts in a multipart body, or None when it has no closing boundary."""
    delimiters = re.finditer(rb"(?:\A|\r\n)--" + re.escape(boundary) + rb"(--)?", body)
    for parts, delimiter in enumerate(delimiters):
        if delimiter[1]:
            return parts
    return None


def _check_every_part_read(request: HttpRequest) -> None:
    """Django's parser skips, silently, a part without a name and whatever follows a missing
    closing boundary: what the client sent would be lost, so the body is refused instead."""
    boundary = (request.content_params or {}).get("boundary", "").encode("ascii", "replace")
    parts = _multipart_parts(request.body, boundary)
    read = sum(len(values) for _name, values in request.POST.lists())
    read += sum(len(files) for _name, files in request.FILES.lists())
    if parts != read:
        raise MultiPartParserError("A part has no name, or the closing boundary is missing.")


def _form_texts(request: HttpRequest) -> Texts:
    multipart = request.content_type == "multipart/form-data"
    if multipart:
        request.body  # noqa: B018 - kept (within the upload limit) to count the parts
    if request.method != "POST":
        # Django parses a form body only for POST; DRF reuses what Django parsed, so the
        # (possibly large, streamed) body is read once.
        method, request.method = request.method, "POST"
        try:
            request.POST  # noqa: B018 - parses and caches the body
        finally:
            request.method = method
    if multipart:
        _check_every_part_read(request)
    for name, values in request.POST.lists():
        yield name, name
        for value in values:
            yield name, value
    for name, files in request.FILES.lists():
        yield name, name
        for upload in files:
            yield name, upload.name or ""


def _body_texts(request: HttpRequest) -> Texts:
    if request.content_type == "application/json":
        try:
            document = json.loads(request.body.decode(request.encoding or settings.DEFAULT_CHARSET))
        except (ValueError, LookupError):
            return  # not JSON: the API's parser answers 400 itself
        yield from _json_texts(document)
    elif request.content_type in FORM_TYPES:
        yield from _form_texts(request)


def _texts(request: HttpRequest) -> Texts:
    yield PATH, request.path
    for name, values in request.GET.lists():
        yield name, name
        for value in values:
            yield name, value
    if IDEMPOTENCY_HEADER in request.headers:
        yield IDEMPOTENCY_HEADER, request.headers[IDEMPOTENCY_HEADER]
    for name, value in request.COOKIES.items():  # the session cookie is a database lookup
        yield COOKIE, name
        yield COOKIE, value
    yield from _body_texts(request)


def _first_refused(request: HttpRequest) -> tuple[str, str] | None:
    """(field, character) of the first refused character in the request's text, or None."""
    for field, text in _texts(request):
        found = REFUSED.search(text)
        if found:
            return field, found[0]
    return None


def _message(field: str, character: str, *, named: bool) -> str:
    kind = (
        _("a control character") if CONTROLS.match(character) else _("a character that is not text")
    )
    code = f"U+{ord(character):04X}"
    if field == PATH:
        subject = _("The address")
    elif named:
        subject = capfirst(REFUSED.sub("\ufffd", field).replace("_", " "))
    else:
        subject = _("This field")
    return _("%(subject)s contains %(kind)s (%(code)s): remove it and send again.") % {
        "subject": subject,
        "kind": kind,
        "code": code,
    }


class ControlCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        try:
            refused = _first_refused(request)
        except MultiPartParserError:
            return self._refuse(request, "detail", _("The form data could not be read."))
        except RecursionError:
            return self._refuse(request, "detail", _("The JSON body is nested too deeply."))
        if refused is None:
            return self.get_response(request)
        field, character = refused
        api = request.path_info.startswith(API_PREFIX)
        return self._refuse(request, field, _message(field, character, named=not api))

    def _refuse(self, request: HttpRequest, field: str, message: str) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({field: [message]}, status=400)
        return render(request, "request_refused.html", {"message": message}, status=400)
