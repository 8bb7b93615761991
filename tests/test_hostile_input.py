"""Hostile input in every form of the app: every POST route from the URL map is reached as a
user who may use it (objects from the access matrix's builders), its form is found on the
page that shows it, and it is sent oversized values, markup, unusual unicode, control
characters, wrong types, missing, repeated and undecodable fields.

What must hold for each: never a 5xx; markup never comes back unescaped (neither on the
answer nor on the page a success leads to); a refused request leaves no committed write;
a form shown again with errors keeps what was typed.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote_from_bytes, urlencode, urlsplit

import hostile_support as hs
import pytest
from flask import url_for

from koepel.platform import policy
from koepel.platform.models import OrgKind

from access_matrix import MATRIX, Org, _next, _published_tender

# Org routes whose matrix entry lists GET only (an empty POST saves, 302), yet take a POST.
POSTED_ALSO = {"bidding.bid", "volunteers.edit"}


def _bidder_tender(db, org, endpoint):
    tender_id, lot_id = _published_tender(db)
    params = {"tender_id": tender_id}
    if endpoint == "bidding.start":
        params["lot_id"] = lot_id
    return params


def _member_upload(db, org, endpoint):
    from koepel.platform.tenancy import acting_for
    from koepel.tenants import imports

    header = "voornaam;achternaam;postcode;woonplaats;lid sinds"
    data = f"{header}\r\nHenk;Manders;5424ab;Elsendorp;2024-01-01\r\n".encode()
    with acting_for(org.id):
        return {"upload_id": imports.store_upload(org.id, "leden.csv", data)}


# Routes the matrix marks Covered (a secret link, or a POST elsewhere): how to reach them.
# (kind, action the user needs or None for anonymous, builder, page holding the form).
SPECIAL = {
    "auth.login": (None, None, None, "/login"),
    "auth.reset_request": (None, None, None, "/password/forgot"),
    "main.set_language": (None, None, None, "/login"),
    "auth.profile": ("cooperative", "org.view", None, "/profile"),
    "auth.logout": ("cooperative", "org.view", None, "/profile"),
    "auth.reset_password": (None, None, "reset", None),
    "auth.accept_invitation": (None, None, "invitation", None),
    "bidding.start": ("cooperative", "bids.manage", _bidder_tender, None),
    "questions.ask": ("cooperative", "bids.manage", _bidder_tender, None),
    "questions.interest": ("cooperative", "bids.manage", _bidder_tender, None),
    "member_io.confirm": ("cooperative", "members.manage", _member_upload, None),
}

FORM_ENDPOINTS = sorted(
    {
        e
        for e, s in MATRIX.items()
        if isinstance(s, Org) and not e.startswith("api") and ("POST" in s.methods or s.post_action)
    }
    | POSTED_ALSO
    | set(SPECIAL)
)


def test_every_form_route_is_fuzzed(app):
    posted = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("api")
    }
    assert sorted(posted - set(FORM_ENDPOINTS)) == [], "POST routes without hostile-input test"
    assert sorted(set(FORM_ENDPOINTS) - posted) == []


def test_an_attachment_download_takes_no_post(app, db, make_org, make_user):
    """The download inherited the bid page's "Opslaan" and a POST to it was a 500."""
    from matrix_dossier import _attachment_for

    org = make_org(OrgKind.COOPERATIVE)
    client = _logged_in(app, make_user(org, _role_for("cooperative", "bids.manage")))
    url = _path(app, "dossier.bid_attachment", org_slug=org.slug, **_attachment_for(db, org))
    token = hs.any_csrf(client, [url.rsplit("/attachments", 1)[0]])
    assert client.get(url).status_code == 200
    assert client.post(url, data={"csrf_token": token, "price": "10"}).status_code == 405


# -- reaching a form as someone who may use it ------------------------------------------------
def _logged_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def _path(app, endpoint, **params) -> str:
    with app.test_request_context():
        return urlsplit(url_for(endpoint, **params)).path


def _role_for(kind: str, action: str) -> str:
    return next(r for r in policy.roles_for_kind(OrgKind(kind)) if policy.can({r}, action))


def reach(app, db, make_org, make_user, endpoint):
    """(client, url of the route, the page that should show its form or None, own page?)."""
    own_page = any("GET" in r.methods for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    if endpoint in SPECIAL:
        kind, action, build, page = SPECIAL[endpoint]
        if build == "reset":
            from koepel.platform.auth import reset

            token = reset.make_token(make_user())
            return app.test_client(), _path(app, endpoint, token=token), None, True
        if build == "invitation":
            from koepel.platform.auth import operations as ops

            org = make_org(OrgKind.COOPERATIVE)
            _, token = ops.invite(
                actor=make_user(org, "board"),
                org=org,
                email=f"nieuw{_next()}@example.org",
                role="volunteer",
                valid_for=__import__("datetime").timedelta(days=3),
            )
            return app.test_client(), _path(app, endpoint, token=token), None, True
        if kind is None:
            return app.test_client(), _path(app, endpoint), page, own_page
        org = make_org(OrgKind(kind))
        client = _logged_in(app, make_user(org, _role_for(kind, action)))
        params = build(db, org, endpoint) if build else {}
        if "org_slug" in _arguments(app, endpoint):
            params["org_slug"] = org.slug
        return client, _path(app, endpoint, **params), page, own_page
    spec: Org = MATRIX[endpoint]
    kind = (spec.kinds or ("cooperative",))[0]
    action = spec.post_action or spec.action
    action = dict(spec.action_by_kind).get(kind, action)
    org = make_org(OrgKind(kind))
    client = _logged_in(app, make_user(org, _role_for(kind, action)))
    params = spec.obj(db, org) if spec.obj else {}
    return client, _path(app, endpoint, org_slug=org.slug, **params), None, own_page


def _arguments(app, endpoint) -> set[str]:
    return next(r.arguments for r in app.url_map.iter_rules() if r.endpoint == endpoint)


# -- the variants ---------------------------------------------------------------------------
def variants(form: hs.Form, today) -> list[tuple[str, object]]:
    """(label, body): body is a list of pairs (a form post) or bytes (a raw body)."""
    base = hs.baseline(form, today)
    plain = {k: v for k, v in base}
    text = {
        f.name
        for f in form.fields
        if f.type in hs.TEXT_TYPES
        and f.name != "csrf_token"
        and plain.get(f.name) in ("Tekst", "Een toelichting.", "")
    }
    typed = {
        f.name
        for f in form.fields
        if f.name != "csrf_token"
        and f.name not in text
        and f.type not in hs.SKIPPED_TYPES | {"hidden", "checkbox", "radio"}
    }
    out: list[tuple[str, object]] = [("baseline", base)]
    if text:
        out.append(("script", hs.replace(base, text, hs.SCRIPT)))
        out.append(("unicode", hs.replace(base, text, hs.UNICODE)))
    for name in sorted(text):
        out.append((f"oversized:{name}", hs.replace(base, {name}, hs.OVERSIZED)))
        out.append((f"control:{name}", hs.replace(base, {name}, hs.CONTROL)))
    for wrong in hs.WRONG_TYPES if typed else []:
        out.append((f"wrong:{wrong}", hs.replace(base, typed, wrong)))
    hidden = {f.name for f in form.fields if f.type == "hidden" and f.name != "csrf_token"}
    if hidden:
        out.append(("hidden:script", hs.replace(base, hidden, hs.SCRIPT)))
    out.append(("missing", [(k, v) for k, v in base if k == "csrf_token"]))
    out.append(("repeated", base + hs.replace(base, set(plain) - {"csrf_token"}, hs.SCRIPT)))
    raw = [(k, v if k not in text | typed else b"\xff\xfe\xc3(\xed\xa0\x80") for k, v in base]
    out.append(
        (
            "invalid-utf-8",
            "&".join(
                f"{quote_from_bytes(k.encode())}="
                f"{quote_from_bytes(v if isinstance(v, bytes) else v.encode())}"
                for k, v in raw
            ).encode(),
        )
    )
    return out


def post(client, url: str, body):
    if isinstance(body, bytes):
        return client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    return client.post(url, data=urlencode(body), content_type="application/x-www-form-urlencoded")


# Tables a refused request may write on purpose: "Indienen" first keeps what was typed in the
# draft (nothing typed is lost), then refuses to seal a draft with a problem.
WRITES_ON_REFUSAL = {
    "bidding.submit": {"bid"},
}
# A page that says it saved (a draft kept with a named problem) has written on purpose.
SAVED = "Gelukt:"


@pytest.mark.parametrize("endpoint", FORM_ENDPOINTS)
def test_form_survives_hostile_input(app, db, make_org, make_user, endpoint):
    from koepel.platform.timeutil import to_local, utcnow

    client, url, page, own_page = reach(app, db, make_org, make_user, endpoint)
    if page is not None:
        html = client.get(page).get_data(as_text=True)
        found = next(((page, f) for f in hs.forms_on(html, page) if f.action == url), None)
    else:
        found = hs.find_form(client, url, own_page)
    if found is None:
        # The page does not show the form in this state (e.g. a draft tender has no
        # evaluation forms): send the hostile values under no known names.
        token = hs.any_csrf(client, [*hs.candidate_pages(url, False), "/profile", "/login"])
        form = hs.Form(
            url,
            "post",
            "",
            [
                hs.Field("csrf_token", "hidden", token),
                hs.Field("name", "text"),
                hs.Field("amount", "text"),
            ],
        )
    else:
        form = found[1]
    problems: list[str] = []
    seen: dict[int, list[str]] = {}
    with hs.watching_writes(db.engine) as writes:
        for label, body in variants(form, to_local(utcnow()).date()):
            writes.clear()
            response = post(client, url, body)
            status = response.status_code
            seen.setdefault(status, []).append(label.split(":")[0])
            text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            if status >= 500:
                problems.append(f"{label}: {status}")
                continue
            leaked = [m for m in hs.UNESCAPED if m in text]
            if leaked:
                problems.append(f"{label}: unescaped {leaked} in the answer")
            if 300 <= status < 400:
                location = response.headers.get("Location", "")
                if label in ("script", "hidden:script", "repeated") and location:
                    shown = client.get(location)
                    if shown.status_code >= 500:
                        problems.append(f"{label}: the page after it answers {shown.status_code}")
                    leaked = [m for m in hs.UNESCAPED if m in shown.get_data(as_text=True)]
                    if leaked:
                        problems.append(f"{label}: unescaped {leaked} on {location}")
                continue
            allowed = WRITES_ON_REFUSAL.get(endpoint, set())
            half = sorted(set(writes.committed) - allowed) if SAVED not in text else []
            if half:
                problems.append(f"{label}: refused ({status}) yet committed writes to {half}")
            if label == "script" and status == 200:
                problems += kept_what_was_typed(text, url, body)
    if os.environ.get("HOSTILE_REPORT"):  # one line per form, for the report
        summary = {k: sorted(set(v)) for k, v in sorted(seen.items())}
        print(
            f"\nHOSTILE {endpoint} form={'found' if found else 'not-shown'} "
            f"fields={form.names()} {summary}"
        )
    where = f"{endpoint} (form {'found' if found else 'not shown'})"
    assert not problems, where + ":\n" + "\n".join(problems)


def kept_what_was_typed(html: str, url: str, sent: list[tuple[str, str]]) -> list[str]:
    """A form shown again with errors shows each text field as it was typed."""
    again = next((f for f in hs.forms_on(html, url) if f.action == url), None)
    if again is None or "-error" not in html:
        return []
    typed = {k for k, v in sent if v == hs.SCRIPT}
    return [
        f"script: {f.name} shown again as {f.value[:40]!r}"
        for f in again.fields
        if f.name in typed and f.type in hs.TEXT_TYPES and f.value != hs.SCRIPT
    ]


# -- what was saved comes back as typed: escaped, never a formula ------------------------------
def test_control_characters_never_reach_the_database(app, db, make_org, make_user):
    """PostgreSQL refused a NUL in text (a 500 on every form); the others broke exports."""
    from sqlalchemy import select

    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import to_local, utcnow
    from koepel.tenants.models import Member

    org = make_org(OrgKind.COOPERATIVE)
    client = _logged_in(app, make_user(org, _role_for("cooperative", "members.manage")))
    url = _path(app, "members.new", org_slug=org.slug)
    _, form = hs.find_form(client, url, True)
    body = hs.baseline(form, to_local(utcnow()).date())
    body = hs.replace(body, {"first_name"}, "Henk\x00\x1b")
    body = hs.replace(body, {"last_name"}, "Man\x0bders\x7f")
    assert post(client, url, body).status_code == 302
    with acting_for(org.id):
        member = db.session.scalar(select(Member).where(Member.tenant_id == org.id))
    assert (member.first_name, member.last_name) == ("Henk", "Manders")


FORMULAS = ["=1+2", "+31 6 1234", "-2+3", "@SUM(A1)", "\t=1+2", "\r=1+2"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_that_starts_like_a_formula_stays_text(text):
    from openpyxl import Workbook

    from koepel.platform import xlsx

    cell = xlsx.put(Workbook().active, 1, 1, text)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_numbers_stay_numbers_and_control_characters_do_not_break_a_workbook():
    import io
    from decimal import Decimal

    from openpyxl import Workbook, load_workbook

    from koepel.platform import xlsx

    book = Workbook()
    xlsx.put(book.active, 1, 1, Decimal("-12.50"), "#,##0.00")
    xlsx.put(book.active, 2, 1, "Naam\x1bmet\x00stuurteken")  # openpyxl raised on these
    out = io.BytesIO()
    book.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert (sheet["A1"].value, sheet["A1"].data_type) == (-12.5, "n")
    assert sheet["A2"].value == "Naammetstuurteken"


def test_every_workbook_is_written_through_the_safe_writers():
    """Cells are written by platform/xlsx.py (put, table) or the member export's own
    neutralising writer (tenants/imports.py, tested in test_tenants_member_io.py)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    own_writers = {"platform/xlsx.py", "tenants/imports.py"}
    raw = re.compile(r"\.cell\([^)]*value\s*=|\.value\s*=|\b(ws|sheet|worksheet)\.append\(")
    found = []
    for folder in ("platform", "tenants", "bids", "contracts"):
        for path in (root / folder).rglob("*.py"):
            name = str(path.relative_to(root))
            source = path.read_text()
            if "openpyxl" in source and name not in own_writers and raw.search(source):
                found.append(name)
    assert found == []


def test_a_member_typed_with_formulas_and_markup_is_exported_safely(app, db, make_org, make_user):
    import csv
    import io

    from openpyxl import load_workbook

    from koepel.platform.timeutil import to_local, utcnow

    org = make_org(OrgKind.COOPERATIVE)
    client = _logged_in(app, make_user(org, _role_for("cooperative", "members.manage")))
    url = _path(app, "members.new", org_slug=org.slug)
    _, form = hs.find_form(client, url, True)
    typed = {
        "first_name": '=HYPERLINK("http://x";"klik")',
        "last_name": "@SUM(1)",
        "street": "-2+3",
        "city": "<script>alert(1)</script>",
    }
    body = hs.baseline(form, to_local(utcnow()).date())
    for name, value in typed.items():
        body = hs.replace(body, {name}, value)
    response = post(client, url, body)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page

    data = client.get(f"/{org.slug}/members/export.csv").get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    cells = {c for row in rows[1:] for c in row}
    for value in list(typed.values())[:3]:
        assert "'" + value in cells and value not in cells
    assert typed["city"] in cells  # not a formula: kept as typed

    data = client.get(f"/{org.slug}/members/export.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(data)).active
    by_value = {c.value: c for row in sheet.iter_rows() for c in row if c.value}
    for value in list(typed.values())[:3]:
        assert (by_value[value].data_type, by_value[value].quotePrefix) == ("s", True)


def test_a_name_with_markup_and_a_formula_in_the_annual_report(db, make_org, pdf_text_of):
    import io

    from openpyxl import load_workbook

    from koepel.platform.timeutil import to_local, utcnow
    from koepel.tenants import reports

    name = "=1+2 <script>alert(1)</script> & Co"
    org = make_org(OrgKind.COOPERATIVE, name=name)
    report = reports.cooperative_year(org, to_local(utcnow()).year - 1)
    assert name in pdf_text_of(reports.render_pdf(report, "cooperative"))
    sheet = load_workbook(io.BytesIO(reports.render_xlsx(report, "cooperative"))).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == name)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)


@pytest.fixture
def pdf_text_of():
    from conftest import pdf_text

    return pdf_text


def test_a_subject_with_a_line_break_still_makes_a_message(app, db):
    """A subject holds user text (a title): a line break in it made the e-mail unbuildable
    (the send job failed on every retry) and could have added a header."""
    from koepel.platform import mail

    msg = mail.queue_email(
        to="iemand@example.org", subject="Uitnodiging: Zorg\r\nBcc: x@example.org", body="Hoi"
    )
    db.session.info.pop("koepel_pending_jobs", None)  # never dispatched
    email = mail.build(msg)
    assert email["Subject"] == "Uitnodiging: Zorg Bcc: x@example.org"
    assert email["Bcc"] is None


# -- a body over MAX_CONTENT_LENGTH -----------------------------------------------------------
def test_too_large_a_body_gets_a_clear_page(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    response = app.test_client().post("/login", data={"email": "x" * 20_000})
    assert response.status_code == 413
    assert "Te groot" in response.get_data(as_text=True)


def test_too_large_a_body_over_a_real_connection_is_answered_not_reset(app, monkeypatch):
    import http.client

    from live_server import LiveServer

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    server = LiveServer(app)
    try:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        body = b"email=" + b"x" * 2_000_000
        connection.request(
            "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        assert response.status == 413
        assert "Te groot" in response.read().decode()
        connection.close()
    finally:
        server.stop()
