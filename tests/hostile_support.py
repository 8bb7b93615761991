"""Helpers for the hostile-input tests: find a route's form on the page that shows it, fill
it with plausible values, build hostile variants of it, and notice writes that a refused
request left behind.

Forms are found the way a person finds them: on the route's own page (GET) or on a page
above it in the URL (``/x/tenders/5/criteria`` is a form on ``/x/tenders/5``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import event
from sqlalchemy.orm import Session

# -- what a page's forms hold ----------------------------------------------------------------
TEXT_TYPES = {"text", "textarea", "email", "search", "tel", "url", ""}
SKIPPED_TYPES = {"submit", "button", "reset", "image", "file", "password"}


@dataclass
class Field:
    name: str
    type: str  # input type, or "textarea" / "select"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str  # path
    method: str
    enctype: str
    fields: list[Field] = field(default_factory=list)
    button: tuple[str, str] | None = None  # the first named submit button

    def names(self, types: set[str] | None = None) -> list[str]:
        seen: list[str] = []
        for f in self.fields:
            if f.name == "csrf_token" or f.name in seen:
                continue
            if types is None or f.type in types:
                seen.append(f.name)
        return seen


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_url, a.get("action", ""))).path
            self._form = Form(
                action=action,
                method=a.get("method", "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or ("name" not in a and tag != "option"):
            if tag == "option" and self._select is not None:
                self._option, self._option_text = (a.get("value"), "selected" in a), ""
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                if form.button is None and a.get("name"):
                    form.button = (a["name"], a.get("value", ""))
                return
            form.fields.append(Field(a["name"], kind, a.get("value", ""), checked="checked" in a))
        elif tag == "button":
            if a.get("type", "submit") == "submit" and form.button is None:
                form.button = (a["name"], a.get("value", ""))
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select", multiple="multiple" in a)
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option, self._option_text = (a.get("value"), "selected" in a), ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, selected = self._option
            value = self._option_text.strip() if value is None else value
            self._select.options.append(value)
            if selected:
                self._select.selected.append(value)
            self._option = None
        elif tag == "select":
            self._select = None


def forms_on(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    return [f for f in parser.forms if f.method == "post"]


def candidate_pages(url: str, own_page: bool) -> Iterator[str]:
    """The route's own page (when it has one), then the pages above it."""
    path = urlsplit(url).path
    if own_page:
        yield path
    parts = path.rstrip("/").split("/")
    while len(parts) > 2:
        parts.pop()
        yield "/".join(parts)
    yield "/".join(parts) + "/"


def find_form(client, url: str, own_page: bool) -> tuple[str, Form] | None:
    """The page that shows the form posting to ``url``, and that form."""
    target = urlsplit(url).path
    for page in candidate_pages(url, own_page):
        response = client.get(page)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for form in forms_on(response.get_data(as_text=True), page):
            if form.action == target:
                return page, form
    return None


def any_csrf(client, pages: list[str]) -> str:
    """The session's CSRF token (one per session, whichever form shows it)."""
    for page in pages:
        for form in forms_on(client.get(page).get_data(as_text=True), page):
            for f in form.fields:
                if f.name.endswith("csrf_token"):
                    return f.value
    raise AssertionError(f"no CSRF token on any of {pages}")


# -- plausible values ------------------------------------------------------------------------
def plausible(f: Field, today) -> str | None:
    """A value a careful person would type, so the other fields do not hide a hostile one."""
    name = f.name.lower()
    if f.type == "select":
        if f.selected:
            return f.selected[0]
        return next((o for o in f.options if o), f.options[0] if f.options else "")
    if f.type in ("checkbox", "radio"):
        return f.value or "y"
    if f.type == "hidden" or f.value:
        return f.value
    if "birth" in name:
        return "1950-05-01"
    if f.type == "date" or name.endswith(("_on", "date", "_from", "_until", "until", "deadline")):
        return (today + timedelta(days=10)).isoformat()
    if f.type == "datetime-local" or name.endswith("_at"):
        return (today + timedelta(days=10)).isoformat() + "T10:00"
    if f.type == "time":
        return "10:00"
    if f.type == "email" or "email" in name:
        return "iemand@example.org"
    if "postcode" in name and "range" not in name:
        return "5423 AB"
    if "phone" in name or "telefoon" in name:
        return "0492 123456"
    if "iban" in name:
        return "NL91ABNA0417164300"
    if "kvk" in name:
        return "12345678"
    if "year" in name:
        return str(today.year)
    if f.type == "number" or re.search(
        r"amount|price|budget|total|weight|share|percent|hours|minutes|months|volume|tariff"
        r"|score|number|count|ceiling|quantity|value|fee|cost|advance|rate|points",
        name,
    ):
        return "10"
    if f.type == "textarea":
        return "Een toelichting."
    return "Tekst"


def baseline(form: Form, today) -> list[tuple[str, str]]:
    """The form as a careful person sends it: one value per field, the first option of a
    select, each checkbox ticked, the first radio button of a group."""
    pairs: list[tuple[str, str]] = []
    radios: set[str] = set()
    for f in form.fields:
        if f.type in SKIPPED_TYPES:
            continue
        if f.type == "radio":
            if f.name in radios:
                continue
            radios.add(f.name)
        value = plausible(f, today)
        if value is not None:
            pairs.append((f.name, value))
    if form.button:
        pairs.append(form.button)
    return pairs


def replace(pairs: list[tuple[str, str]], names: set[str], value: str) -> list[tuple[str, str]]:
    return [(k, value if k in names else v) for k, v in pairs]


# -- hostile values --------------------------------------------------------------------------
SCRIPT = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'
UNICODE = (
    "Ĳsbrand van der Ĳssel-Müller e\u0301e\u0301 \U0001f600 "
    "\u202eשלום\u202c \u200bzero\u200dwidth\ufeff"
)
CONTROL = "Naam\x00met\x01stuur\x0btekens\x1b"
OVERSIZED = "x" * 100_000
WRONG_TYPES = ["abc", "1e9999", "NaN", "-12,50", "2026-02-30", "25:61", "-1", "Infinity"]
UNESCAPED = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


# -- writes a refused request must not leave behind ---------------------------------------------
@dataclass
class Writes:
    """Tables written by units of work that committed."""

    committed: list[str] = field(default_factory=list)
    _pending: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.committed.clear()
        self._pending.clear()


_DML = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)


@contextmanager
def watching_writes(engine) -> Iterator[Writes]:
    writes = Writes()

    def before(conn, cursor, statement, *args):
        match = _DML.match(statement)
        if match:
            writes._pending.append(match.group(2).lower())

    def committed(session):
        writes.committed.extend(writes._pending)
        writes._pending.clear()

    def rolled_back(session, previous=None):
        writes._pending.clear()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(Session, "after_commit", committed)
    event.listen(Session, "after_soft_rollback", rolled_back)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(Session, "after_commit", committed)
        event.remove(Session, "after_soft_rollback", rolled_back)
