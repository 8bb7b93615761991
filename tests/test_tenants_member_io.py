"""Member import (CSV, XLSX; preview, then an all-or-nothing job) and export."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from koepel.platform.extensions import db as _db
from koepel.platform.models import JobRun
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import local_today
from koepel.tenants import imports
from koepel.tenants import members as ops
from koepel.tenants.models import Member

from conftest import csrf_from

HEADER = "voornaam;achternaam;geboortedatum;straat;huisnummer;postcode;woonplaats;telefoon;e-mail;lid sinds"
GOOD = [
    "Henk;Manders;12-03-1948;Kerkstraat;3;5424ab;Elsendorp;0492 123456;henk@example.org;2024-01-01",
    "Riek;Manders;1950-07-01;Kerkstraat;3;5424 AB;Elsendorp;;;",
    "Sjaak;van Gerwen;;Dorpsstraat;12a;5425 AC;Elsendorp;06-12345678;;01-02-2023",
]


def _csv(lines: list[str], delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    text = "\r\n".join([HEADER, *lines]).replace(";", delimiter) + "\r\n"
    return text.encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _members(org) -> list[Member]:
    with acting_for(org.id):
        return list(_db.session.scalars(select(Member).order_by(Member.number)))


def _register(org, first, last, postcode="5424 AB", house_number="3", **kw):
    with acting_for(org.id):
        return ops.register(
            actor=None,
            org=org,
            data=ops.MemberData(
                first_name=first,
                last_name=last,
                joined_on=kw.pop("joined_on", date(2020, 1, 1)),
                postcode=postcode,
                house_number=house_number,
                street=kw.pop("street", "Kerkstraat"),
                city=kw.pop("city", "Elsendorp"),
                **kw,
            ),
        )


@pytest.fixture
def coop(app, db, make_org):
    org = make_org("cooperative", slug="io-coop", name="Zorgcoöperatie Import")
    # Ids come back after a rolled-back test: start without an earlier test's uploads.
    shutil.rmtree(Path(app.instance_path) / "uploads" / str(org.id), ignore_errors=True)
    return org


# -- reading files ------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_with_either_delimiter(app_ctx, delimiter):
    rows = imports.read_table("leden.csv", _csv(GOOD, delimiter))
    assert len(rows) == 3
    assert rows[0]["first_name"] == "Henk" and rows[0]["last_name"] == "Manders"
    assert rows[0]["date_of_birth"] == "12-03-1948" and rows[0]["postcode"] == "5424ab"
    assert rows[2]["house_number"] == "12a" and rows[2]["joined_on"] == "01-02-2023"
    assert rows.ignored == []


def test_csv_with_bom_and_cp1252(app_ctx):
    line = ["Zoë;Müller-Ëlsen;;;;;;;;"]
    with_bom = b"\xef\xbb\xbf" + _csv(line)
    assert imports.read_table("a.csv", with_bom)[0]["last_name"] == "Müller-Ëlsen"
    old_excel = _csv(line, encoding="cp1252")
    assert old_excel.decode("cp1252") and b"\xeb" in old_excel  # not UTF-8
    row = imports.read_table("a.CSV", old_excel)[0]
    assert (row["first_name"], row["last_name"]) == ("Zoë", "Müller-Ëlsen")


def test_headers_are_read_in_dutch_and_english_any_case(app_ctx):
    data = (
        b"First_Name,LAST NAME,Postcode,Lid Sinds,Lidnummer,Opmerking\nAnna,Bakker,5424 AB,,7,x\n"
    )
    rows = imports.read_table("x.csv", data)
    assert rows[0]["first_name"] == "Anna" and rows[0]["last_name"] == "Bakker"
    assert rows[0]["joined_on"] == "" and rows[0]["email"] == ""
    assert rows.ignored == ["Lidnummer", "Opmerking"]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("leden.txt", b"achternaam\nJansen\n", "CSV- of Excel-bestand"),
        ("leden.csv", b"", "leeg"),
        ("leden.csv", b"  \r\n \r\n", "leeg"),
        ("leden.csv", b"achternaam\r\n", "geen leden"),
        ("leden.csv", b"naam;postcode\nJansen;5424 AB\n", "achternaam"),
        ("leden.xlsx", b"PK\x03\x04 not really a zip", "Excel-bestand"),
        ("leden.csv", ("achternaam\n" + "Jansen\n" * 5001).encode(), "meer dan 5000"),
    ],
)
def test_unusable_files_are_refused_in_plain_dutch(app_ctx, filename, data, message):
    with pytest.raises(imports.ImportFileError, match=message):
        imports.read_table(filename, data)


def test_5000_rows_are_fine(app_ctx):
    rows = imports.read_table("leden.csv", ("achternaam\n" + "Jansen\n" * 5000).encode())
    assert len(rows) == 5000


def test_xlsx_dates_numbers_and_blank_lines(app_ctx):
    data = _xlsx(
        [
            ["Voornaam", "Achternaam", "Geboortedatum", "Huisnummer", "Telefoon", "Lid sinds"],
            ["Henk", "Manders", date(1948, 3, 12), 3, 492123456, None],
            [None, None, None, None, None, None],
            ["Riek", "Manders", "12-03-1950", 3.0, "0492 123456", date(2024, 1, 1)],
            [None, None, None, None, None, None],
        ]
    )
    rows = imports.read_table("leden.xlsx", data)
    assert len(rows) == 3  # the blank line in the middle stays (line numbers), the tail goes
    assert rows[0]["date_of_birth"] == "1948-03-12" and rows[0]["house_number"] == "3"
    assert rows[0]["phone"] == "0492123456"  # Excel dropped the leading zero
    assert rows[2]["house_number"] == "3" and rows[2]["joined_on"] == "2024-01-01"


def test_xlsx_export_reads_back_as_import(db, coop):
    _register(coop, "Henk", "Manders", date_of_birth=date(1948, 3, 12), phone="+31 492 123456")
    with acting_for(coop.id):
        headers, rows = imports.export_rows("current")
    for data, name in (
        (imports.to_xlsx(headers, rows), "x.xlsx"),
        (imports.to_csv(headers, rows), "x.csv"),
    ):
        back = imports.read_table(name, data)
        assert back.ignored == ["Lidnummer", "Lid tot"]
        assert back[0]["last_name"] == "Manders" and back[0]["date_of_birth"] == "1948-03-12"
        assert back[0]["phone"] == "+31 492 123456"  # the formula guard is undone
        assert back[0]["postcode"] == "5424 AB" and back[0]["joined_on"] == "2020-01-01"


# -- checking rows ------------------------------------------------------------------------


def _check(coop, lines):
    with acting_for(coop.id):
        return imports.check_rows(imports.read_table("x.csv", _csv(lines)))


def test_clean_rows_become_member_data(db, coop):
    results = _check(coop, GOOD)
    assert [r.problems for r in results] == [[], [], []]
    assert [r.line for r in results] == [2, 3, 4]
    henk = results[0].data
    assert henk.postcode == "5424 AB" and henk.date_of_birth == date(1948, 3, 12)
    assert henk.joined_on == date(2024, 1, 1)
    assert results[1].data.joined_on == local_today()  # empty: today
    assert results[2].data.joined_on == date(2023, 2, 1)


def test_every_kind_of_problem_is_named_per_row(db, coop):
    future = (local_today() + timedelta(days=2)).isoformat()
    lines = [
        "Jan;;;;;;;;;",  # 2: no last name
        "Piet;Bos;;;1;9999 XX x;;;;",  # 3: postcode
        "Kees;Vos;;;;;;12345;;",  # 4: phone
        "Mien;Kok;31-02-1950;;;;;;;",  # 5: date that does not exist
        "Toon;Smit;1950/12/31;;;;;;;",  # 6: date in another format
        f"Bep;Smit;{future};;;;;;;",  # 7: born in the future
        "Fien;Smit;;;;;;;geen-adres;",  # 8: e-mail
        "Gijs;Smit;;;;;;;;gisteren",  # 9: joined on
        "Henk;Manders;;;3;5424 AB;;;;",  # 10
        "",  # 11: an empty line is skipped, line numbers stay right
        "henk;MANDERS;;;3;5424ab;;;;",  # 12: the same person as line 10
        f"Lang;{'x' * 151};;;;;;;;",  # 13: too long for the column
    ]
    results = _check(coop, lines)
    by_line = {r.line: r for r in results}
    assert 11 not in by_line and len(results) == 11

    def problems(line):
        return " ".join(by_line[line].problems)

    assert "achternaam ontbreekt" in problems(2)
    assert "postcode 9999 XX x klopt niet" in problems(3)
    assert "telefoonnummer 12345 klopt niet" in problems(4)
    assert "geboortedatum 31-02-1950 klopt niet" in problems(5)
    assert "geboortedatum 1950/12/31 klopt niet" in problems(6)
    assert "in de toekomst" in problems(7)
    assert "e-mailadres geen-adres klopt niet" in problems(8)
    assert "lid sinds gisteren klopt niet" in problems(9)
    assert by_line[10].ok
    assert "dubbel in het bestand" in problems(12) and "regel 10" in problems(12)
    assert "Achternaam is te lang" in problems(13)
    assert all(by_line[n].data is None for n in (2, 3, 4, 5, 6, 7, 8, 9, 13))
    assert by_line[12].data is not None  # readable, but a duplicate


def test_duplicates_of_current_members_in_one_query(db, coop, make_org, count_queries):
    henk = _register(coop, "Henk", "Manders")
    _register(coop, "Riek", "Manders", postcode="5425 AC")  # same name elsewhere: fine
    gone = _register(coop, "Sjaak", "van Gerwen", postcode="5425 AC", house_number="12a")
    with acting_for(coop.id):
        ops.end_membership(actor=None, org=coop, member=gone, on=date(2024, 1, 1))
    other = make_org("cooperative")
    _register(other, "Riek", "Manders")  # another cooperative's member: not a duplicate
    rows = imports.read_table("x.csv", _csv(GOOD))
    with acting_for(coop.id), count_queries() as counter:
        results = imports.check_rows(rows)
    queries = [q for q in counter.statements if "set_config" not in q]  # PostgreSQL's RLS
    assert len(queries) == 1, queries
    assert [r.line for r in results if r.problems] == [2]
    assert f"lid {henk.number}" in results[0].problems[0]
    assert "Is al lid" in results[0].problems[0]


# -- export -------------------------------------------------------------------------------

EVIL = ['=HYPERLINK("http://x")', "+31 6 12345678", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def test_formulas_are_neutralised_in_csv_and_xlsx(app_ctx):
    headers = ["Naam", "Nummer", "Datum"]
    rows = [[text, -5, date(2024, 1, 2)] for text in EVIL] + [["Gewoon", 1, None]]
    text = imports.to_csv(headers, rows).decode("utf-8")
    assert text.startswith("\ufeffNaam;Nummer;Datum\r\n")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    assert [r[0] for r in parsed[1:]] == ["'" + t for t in EVIL] + ["Gewoon"]
    assert parsed[1][1:] == ["-5", "2024-01-02"] and parsed[-1] == ["Gewoon", "1", ""]

    sheet = load_workbook(io.BytesIO(imports.to_xlsx(headers, rows))).active
    for number, value in enumerate(EVIL, 2):
        cell = sheet.cell(row=number, column=1)
        # (XML reads a carriage return back as a line feed)
        assert cell.data_type == "s" and cell.value == value.replace("\r", "\n"), value
        assert cell.quotePrefix
        assert sheet.cell(row=number, column=2).value == -5  # numbers stay numbers
        assert sheet.cell(row=number, column=3).value.date() == date(2024, 1, 2)
    assert sheet.cell(row=8, column=1).value == "Gewoon"
    raw = imports.to_xlsx(headers, rows)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere in the sheet


def test_export_rows_by_status(db, coop):
    _register(coop, "Henk", "Manders")
    gone = _register(coop, "Riek", "Manders")
    erased = _register(coop, "Weg", "Gewist")
    with acting_for(coop.id):
        ops.end_membership(actor=None, org=coop, member=gone, on=date(2024, 1, 1))
        ops.erase(actor=None, org=coop, member=erased)
        names = {s: [r[1] for r in imports.export_rows(s)[1]] for s in ("current", "left", "all")}
    assert names == {"current": ["Henk"], "left": ["Riek"], "all": ["Henk", "Riek"]}


# -- pages --------------------------------------------------------------------------------


@pytest.fixture
def coordinator(coop, make_user, login):
    user = make_user(coop, "coordinator")
    login(user)
    return user


def _upload(client, csrf, slug, data, filename="leden.csv"):
    token = csrf(f"/{slug}/members/import")
    return client.post(
        f"/{slug}/members/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _upload_id(html: str) -> str:
    import re

    match = re.search(r"/members/import/([0-9a-f]{32})/confirm", html)
    assert match, "no confirm form on the page"
    return match.group(1)


def _confirm(client, csrf, slug, upload_id):
    token = csrf(f"/{slug}/members/import")
    return client.post(f"/{slug}/members/import/{upload_id}/confirm", data={"csrf_token": token})


def _uploads(app, coop) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / str(coop.id)
    return sorted(folder.glob("*")) if folder.is_dir() else []


def _run(run_id: str, db) -> JobRun:
    db.session.expire_all()
    with cross_tenant("test reads a job run"):
        return db.session.get(JobRun, run_id)


def test_upload_page_explains_the_file(client, coop, coordinator):
    html = client.get("/io-coop/members/import").get_data(as_text=True)
    assert "Leden importeren" in html and 'enctype="multipart/form-data"' in html
    assert "achternaam" in html and 'type="file"' in html


def test_empty_or_wrong_upload_is_answered_on_the_form(client, coop, coordinator, csrf):
    token = csrf("/io-coop/members/import")
    r = client.post("/io-coop/members/import", data={"csrf_token": token})
    assert r.status_code == 200 and "Kies een bestand." in r.get_data(as_text=True)
    r = _upload(client, csrf, "io-coop", b"naam\nJansen\n")
    assert r.status_code == 200
    assert "een kolom achternaam" in r.get_data(as_text=True)
    r = _upload(client, csrf, "io-coop", b"x", filename="leden.pdf")
    assert "Kies een CSV- of Excel-bestand" in r.get_data(as_text=True)


def test_error_rows_are_shown_and_nothing_is_imported(app, client, coop, coordinator, csrf):
    r = _upload(client, csrf, "io-coop", _csv([GOOD[0], "Piet;;;;;12;;;;", GOOD[2]]))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "2 rijen goed, 1 met fouten" in html
    assert "De achternaam ontbreekt." in html and "De postcode 12 klopt niet" in html
    assert "Fout" in html  # said in words, not only in colour
    assert "Er is niets geïmporteerd" in html
    assert "/confirm" not in html  # nothing to confirm
    assert _uploads(app, coop) == []  # a file with problems is not kept
    assert _members(coop) == []


def test_clean_upload_confirm_and_job_imports_all(
    app, db, client, coop, coordinator, csrf, run_jobs
):
    r = _upload(client, csrf, "io-coop", _csv(GOOD))
    html = r.get_data(as_text=True)
    assert "3 rijen goed, 0 met fouten" in html and "Sjaak van Gerwen" in html
    assert _members(coop) == []  # the preview writes nothing
    upload_id = _upload_id(html)
    assert [p.name for p in _uploads(app, coop)] == [f"{upload_id}.csv"]

    r = _confirm(client, csrf, "io-coop", upload_id)
    assert r.status_code == 302 and "/io-coop/jobs/" in r.headers["Location"]
    run_jobs()
    imported = _members(coop)
    assert [m.name for m in imported] == ["Henk Manders", "Riek Manders", "Sjaak van Gerwen"]
    assert imported[0].household_id == imported[1].household_id  # one address, one household
    assert imported[0].email == "henk@example.org"
    assert imported[2].joined_on == date(2023, 2, 1) and imported[1].joined_on == local_today()
    run = _run(r.headers["Location"].rsplit("/", 1)[1], db)
    assert run.status == "done" and run.created_by_id == coordinator.id
    assert (run.progress, run.total) == (3, 3)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "3 leden geïmporteerd." in page
    assert _uploads(app, coop) == []  # deleted once the import was committed

    # A second click (or a reload) imports nothing more: the same run answers.
    again = _confirm(client, csrf, "io-coop", upload_id)
    assert again.status_code == 302 and again.headers["Location"] == r.headers["Location"]
    run_jobs()
    assert len(_members(coop)) == 3


def test_progress_is_reported_every_50_rows(db, coop, monkeypatch, app):
    from koepel.platform.jobs import JobContext

    lines = [f"Lid;Nummer{i};;;{i};5424 AB;;;;" for i in range(120)]
    with acting_for(coop.id):
        upload_id = imports.store_upload(coop.id, "leden.csv", _csv(lines))
        seen = []
        ctx = JobContext("run", coop.id)
        monkeypatch.setattr(ctx, "progress", lambda d, t, m="": seen.append((d, t)))
        imports.import_members(ctx, upload_id=upload_id)
    assert [s for s in seen if s[0]] == [(50, 120), (100, 120), (120, 120)]
    assert len(_members(coop)) == 120


def test_a_row_that_became_a_duplicate_stops_the_whole_import(
    app, db, client, coop, coordinator, csrf, run_jobs
):
    upload_id = _upload_id(_upload(client, csrf, "io-coop", _csv(GOOD)).get_data(as_text=True))
    # Between the preview and the confirmation somebody registers Sjaak by hand.
    _register(coop, "Sjaak", "van Gerwen", postcode="5425 AC", house_number="12a")
    r = _confirm(client, csrf, "io-coop", upload_id)
    run_jobs()
    assert [m.name for m in _members(coop)] == ["Sjaak van Gerwen"]  # none of the file
    run = _run(r.headers["Location"].rsplit("/", 1)[1], db)
    # Inline the run failed; on RQ it waits for a retry, which refuses again.
    assert run.status in ("failed", "queued") and "ImportRefused" in run.error
    assert "Er is niets geïmporteerd" in run.message and "regel 4" in run.message
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Er is niets geïmporteerd" in page


def test_a_failure_halfway_rolls_back_every_row(
    app, db, client, coop, coordinator, csrf, run_jobs, monkeypatch
):
    upload_id = _upload_id(_upload(client, csrf, "io-coop", _csv(GOOD)).get_data(as_text=True))
    real = ops.register
    calls = []

    def register_then_fail(**kw):
        calls.append(kw["data"].last_name)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(ops, "register", register_then_fail)
    r = _confirm(client, csrf, "io-coop", upload_id)
    run_jobs()
    assert len(calls) == 3  # two members were registered before the failure ...
    assert _members(coop) == []  # ... and rolled back with it: all or nothing
    run = _run(r.headers["Location"].rsplit("/", 1)[1], db)
    assert run.status in ("failed", "queued") and "disk full" in run.error
    assert [p.name for p in _uploads(app, coop)] == [f"{upload_id}.csv"]  # kept for a retry


def _as(app, user, page: str):
    """A client logged in as ``user``, and a CSRF token read from ``page``."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    return client, csrf_from(client.get(page).get_data(as_text=True))


def test_confirm_access(app, db, coop, make_org, make_user, run_jobs):
    """The confirm route's access rules (it only takes a POST with side effects)."""
    with acting_for(coop.id):
        upload_id = imports.store_upload(coop.id, "leden.csv", _csv(GOOD))
    url = f"/io-coop/members/import/{upload_id}/confirm"
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    assert anonymous.post(url, data={"csrf_token": token}).status_code == 302  # to log in

    client, token = _as(app, make_user(coop, "volunteer"), "/io-coop/")
    assert client.post(url, data={"csrf_token": token}).status_code == 403

    other = make_org("cooperative", slug="io-other")
    client, token = _as(app, make_user(other, "board"), "/io-other/")
    assert client.post(url, data={"csrf_token": token}).status_code == 404  # not theirs
    # Another cooperative's upload through one's own cooperative: 404 as well.
    foreign = f"/io-other/members/import/{upload_id}/confirm"
    assert client.post(foreign, data={"csrf_token": token}).status_code == 404
    bad = "/io-other/members/import/not-a-uuid/confirm"
    assert client.post(bad, data={"csrf_token": token}).status_code == 404
    missing = "/io-other/members/import/" + "0" * 12 + "4" + "0" * 19 + "/confirm"
    assert client.post(missing, data={"csrf_token": token}).status_code == 404

    client, token = _as(app, make_user(coop, "board"), "/io-coop/")
    r = client.post(url, data={"csrf_token": token})
    assert r.status_code == 302 and "/io-coop/jobs/" in r.headers["Location"]
    run_jobs()
    assert len(_members(coop)) == 3


def test_volunteers_may_not_import_or_export(client, coop, make_user, login, csrf):
    login(make_user(coop, "volunteer"))
    assert client.get("/io-coop/members/import").status_code == 403
    token = csrf("/io-coop/")
    assert client.post("/io-coop/members/import", data={"csrf_token": token}).status_code == 403
    assert client.get("/io-coop/members/export.csv").status_code == 403
    assert client.get("/io-coop/members/export.xlsx").status_code == 403


def test_export_downloads(db, client, coop, coordinator):
    _register(coop, "Henk", "=Manders")
    gone = _register(coop, "Riek", "Manders")
    with acting_for(coop.id):
        ops.end_membership(actor=None, org=coop, member=gone, on=date(2024, 1, 1))
    r = client.get("/io-coop/members/export.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="leden-io-coop-')
    assert disposition.endswith('.csv"')
    text = r.get_data().decode("utf-8-sig")
    assert text.startswith("Lidnummer;Voornaam;Achternaam;")
    assert "Henk;'=Manders;" in text and "Riek" not in text

    r = client.get("/io-coop/members/export.xlsx?status=all")
    assert r.status_code == 200 and r.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(r.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(v[1], v[2]) for v in values] == [("Henk", "=Manders"), ("Riek", "Manders")]
    assert sheet.cell(row=2, column=3).data_type == "s"

    left = client.get("/io-coop/members/export.csv?status=left").get_data().decode("utf-8-sig")
    assert "Riek" in left and "Henk" not in left
    assert client.get("/io-coop/members/export.pdf").status_code == 404
