"""Annual reports: exact figures for a cooperative, the umbrella's roll-up over its members
only, PDF and XLSX output, the job, and the pages with their access rules."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.platform.jobs import JobContext
from koepel.platform.models import Affiliation, AffiliationKind, JobRun
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants import catalogue, help, reports, volunteers
from koepel.tenants import members as member_ops
from koepel.tenants.models import FundingSource, ServiceKind


def _today():
    """Today in Amsterdam, asked anew each time: a module-level constant goes stale when a
    run crosses midnight (CI once did, and the report's end moved past it)."""
    return to_local(utcnow()).date()


Y = _today().year - 1  # a finished year: every date in it may carry hours and help


def _member(org, first, joined, left=None):
    member = member_ops.register(
        actor=None,
        org=org,
        data=member_ops.MemberData(first_name=first, last_name="Test", joined_on=joined),
    )
    if left is not None:
        member_ops.end_membership(actor=None, org=org, member=member, on=left)
    return member


def _service(org, name, code="transport"):
    return catalogue.create(
        actor=None,
        org=org,
        data=catalogue.ServiceData(
            code=code,
            name=name,
            kind=ServiceKind.INFORMAL,
            funding=FundingSource.MEMBER_CONTRIBUTION,
            member_price=Decimal("0"),
        ),
    )


def _volunteer(org, member, skills=("transport", "odd_jobs"), active=True):
    return volunteers.save(
        actor=None,
        org=org,
        member=member,
        skills=list(skills),
        availability=[],
        vog_date=None,
        active=active,
    )


def _help(org, db, member, service, on, *, volunteer=None, minutes=None, cancel=False):
    """A request on a given date: asked for today (the rules refuse the past), then
    moved to the date, as if it had been asked for back then."""
    request = help.ask(actor=None, org=org, member=member, service=service, wanted_on=_today())
    request.wanted_on = on
    db.session.flush()
    if cancel:
        help.cancel(actor=None, org=org, request=request)
    elif volunteer is not None:
        help.assign(actor=None, org=org, request=request, volunteer=volunteer)
        help.complete(actor=None, org=org, request=request, minutes=minutes)
    return request


@pytest.fixture
def coop(db, make_org):
    """A cooperative with known data in year Y, and data outside Y that must not count."""
    org = make_org("cooperative", slug="rp-coop", name="Zorgcoöperatie Rapport")
    with acting_for(org.id):
        a = _member(org, "A", date(Y - 1, 3, 1))  # member all year
        b = _member(org, "B", date(Y - 1, 6, 1))  # leaves in Y (volunteer before that)
        va = _volunteer(org, a)
        _volunteer(org, b)
        member_ops.end_membership(actor=None, org=org, member=b, on=date(Y, 4, 30))
        c = _member(org, "C", date(Y, 2, 10))  # joins in Y
        vc = _volunteer(org, c, skills=("transport",))
        _member(org, "D", date(Y, 3, 1), left=date(Y, 9, 1))  # joins and leaves in Y
        _member(org, "F", date(Y - 1, 1, 1), left=date(Y - 1, 12, 31))  # gone before Y
        g = _member(org, "G", date(Y, 12, 31))  # joins on the last day
        _volunteer(org, g, active=False)
        e = _member(org, "E", date(_today().year, 1, 1))  # joins after Y

        transport, jobs = _service(org, "Vervoer"), _service(org, "Klussen", "odd_jobs")
        _help(org, db, e, transport, date(Y, 3, 5), volunteer=va, minutes=90)
        _help(org, db, e, transport, date(Y, 7, 10), volunteer=vc, minutes=45)
        _help(org, db, e, jobs, date(Y, 7, 11), volunteer=va)
        _help(org, db, e, transport, date(Y, 8, 1), cancel=True)
        _help(org, db, e, jobs, date(Y, 5, 1))  # still open: not counted
        _help(org, db, e, transport, _today(), volunteer=va, minutes=15)  # after Y
        for day, minutes in (
            (date(Y, 7, 20), 120),
            (date(Y, 12, 31), 30),
            (date(Y - 1, 12, 31), 600),  # before Y
            (date(_today().year, 1, 1), 60),  # after Y
        ):
            help.log_hours(actor=None, org=org, volunteer=va, worked_on=day, minutes=minutes)
    return org


def test_cooperative_figures_are_exact(db, make_org, coop):
    other = make_org("cooperative", slug="rp-other")
    with acting_for(other.id):
        _member(other, "Elders", date(Y, 5, 5))  # another tenant's row never counts

    report = reports.cooperative_year(coop, Y)
    assert report["kind"] == "cooperative" and report["year"] == Y
    assert report["organisation"]["name"] == "Zorgcoöperatie Rapport"
    assert report["period"] == {"start": date(Y, 1, 1), "end": date(Y, 12, 31), "complete": True}
    assert report["figures"] == {
        "members_start": 2,  # A, B
        "joined": 3,  # C, D, G
        "left": 2,  # B, D
        "members_end": 3,  # A, C, G
        "active_volunteers": 2,  # A, C (B left, G inactive)
        "volunteers_with_hours": 2,  # A, C
        "help_done": 3,
        "help_cancelled": 1,
        "minutes": 285,
        "hours": Decimal("4.8"),  # 4.75 rounded half up
    }
    assert report["done_by_service"] == [
        {"name": "Vervoer", "done": 2},
        {"name": "Klussen", "done": 1},
    ]
    assert [m["minutes"] for m in report["months"]] == [0, 0, 90, 0, 0, 0, 165, 0, 0, 0, 0, 30]
    assert [m["hours"] for m in report["months"]][6] == Decimal("2.8")


def test_current_year_runs_until_today_and_future_years_are_refused(db, coop):
    before = _today()
    report = reports.cooperative_year(coop, before.year)
    assert report["period"]["end"] in {before, _today()}
    assert report["figures"]["minutes"] == 75  # 60 on 1 January + 15 today
    assert report["figures"]["members_start"] == 3  # A, C, G at the end of Y
    with pytest.raises(reports.ReportError):
        reports.cooperative_year(coop, before.year + 1)


def test_figures_take_a_fixed_number_of_queries(db, make_org, count_queries):
    org = make_org("cooperative", slug="rp-queries")
    with acting_for(org.id):
        _member(org, "Een", date(Y, 1, 5))
    reports.cooperative_year(org, Y)  # warm up
    with count_queries() as few:
        reports.cooperative_year(org, Y)
    with acting_for(org.id):
        for n in range(8):
            member = _member(org, f"Lid{n}", date(Y, 2, 1 + n))
            volunteer = _volunteer(org, member)
            help.log_hours(
                actor=None, org=org, volunteer=volunteer, worked_on=date(Y, n + 1, 3), minutes=30
            )
    with count_queries() as many:
        reports.cooperative_year(org, Y)

    def selects(counter) -> int:  # leaving out PostgreSQL's row-level-security set_config
        return sum("set_config" not in statement for statement in counter.statements)

    assert selects(many) == selects(few) <= 6


# -- the umbrella --------------------------------------------------------------------------
def _affiliate(db, umbrella, coop, start, end=None):
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=coop.id,
            start_date=start,
            end_date=end,
        )
    )
    db.session.flush()


def _fill(db, org, *, before: int, joined: int, minutes: int, service_name: str):
    with acting_for(org.id):
        members = [_member(org, f"Oud{n}", date(Y - 1, 5, 1)) for n in range(before)]
        members += [_member(org, f"Nieuw{n}", date(Y, 6, 1)) for n in range(joined)]
        volunteer = _volunteer(org, members[0])
        service = _service(org, service_name)
        _help(org, db, members[-1], service, date(Y, 4, 2), volunteer=volunteer, minutes=minutes)


@pytest.fixture
def koepel(db, make_org):
    umbrella = make_org("umbrella", slug="rp-koepel", name="Koepel Rapport")
    first = make_org("cooperative", slug="rp-eerste", name="Eerste Coöperatie")
    second = make_org("cooperative", slug="rp-tweede", name='=HYPERLINK("http://x.test","klik")')
    outsider = make_org("cooperative", slug="rp-buiten", name="Niet Aangesloten")
    former = make_org("cooperative", slug="rp-oud", name="Vroeger Aangesloten")
    _affiliate(db, umbrella, first, date(2020, 1, 1))
    _affiliate(db, umbrella, second, date(Y, 7, 1))  # joined the umbrella halfway Y
    _affiliate(db, umbrella, former, date(2020, 1, 1), date(Y - 1, 6, 1))  # left before Y
    _fill(db, first, before=3, joined=2, minutes=60, service_name="Vervoer")
    _fill(db, second, before=1, joined=4, minutes=150, service_name="Rijden")
    _fill(db, outsider, before=7, joined=7, minutes=600, service_name="Vervoer")
    _fill(db, former, before=5, joined=5, minutes=600, service_name="Vervoer")
    return umbrella


def test_umbrella_rolls_up_its_members_only(db, koepel):
    report = reports.umbrella_year(koepel, Y)
    rows = {c["slug"]: c for c in report["cooperatives"]}
    assert sorted(rows) == ["rp-eerste", "rp-tweede"]  # not the outsider, not the former
    first, second = rows["rp-eerste"], rows["rp-tweede"]
    assert (first["members_start"], first["joined"], first["members_end"]) == (3, 2, 5)
    assert (second["members_start"], second["joined"], second["members_end"]) == (1, 4, 5)
    assert (first["help_done"], first["minutes"], first["hours"]) == (1, 60, Decimal("1.0"))
    assert (second["help_done"], second["minutes"], second["hours"]) == (1, 150, Decimal("2.5"))
    assert first["member_from"] is None and second["member_from"] == date(Y, 7, 1)
    totals = report["totals"]
    for key in (*reports.FIGURES[:-1], "minutes"):
        assert totals[key] == first[key] + second[key], key
    assert totals["hours"] == Decimal("3.5")
    assert report["months"][3]["minutes"] == 210  # April, both cooperatives
    # Per kind of service across cooperatives, whatever each one named it.
    assert report["done_by_service"] == [{"code": "transport", "done": 2}]
    # Aggregates only: nothing that names a person.
    assert "Oud0" not in repr(report) and "Nieuw0" not in repr(report)


def test_umbrella_roll_up_takes_a_fixed_number_of_queries(db, make_org, koepel, count_queries):
    reports.umbrella_year(koepel, Y)  # warm up
    with count_queries() as two:
        reports.umbrella_year(koepel, Y)
    for n in range(3):
        coop = make_org("cooperative", slug=f"rp-extra-{n}")
        _affiliate(db, koepel, coop, date(2020, 1, 1))
        _fill(db, coop, before=2, joined=1, minutes=30, service_name="Vervoer")
    with count_queries() as five:
        report = reports.umbrella_year(koepel, Y)
    assert len(report["cooperatives"]) == 5

    def selects(counter) -> int:
        return sum("set_config" not in statement for statement in counter.statements)

    assert selects(five) == selects(two) <= 8


def test_umbrella_without_members_has_an_empty_report(db, make_org):
    umbrella = make_org("umbrella", slug="rp-leeg")
    report = reports.umbrella_year(umbrella, Y)
    assert report["cooperatives"] == [] and report["totals"]["members_end"] == 0
    assert reports.render_pdf(report, "umbrella").startswith(b"%PDF")


# -- rendering -----------------------------------------------------------------------------
def _pdf_text(pdf: bytes) -> str | None:
    if shutil.which("pdftotext") is None:
        return None  # poppler-utils is not installed here: the text check is skipped
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode()


def test_pdf_of_a_cooperative(db, coop):
    pdf = reports.render_pdf(reports.cooperative_year(coop, Y), "cooperative")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    if text is not None:
        assert "Zorgcoöperatie Rapport" in text
        assert f"Jaarverslag {Y}".upper() in text.upper()
        assert "Vervoer" in text and "4,8" in text  # Dutch decimal comma


def test_pdf_of_an_umbrella_names_its_members(db, koepel):
    pdf = reports.render_pdf(reports.umbrella_year(koepel, Y), "umbrella")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    if text is not None:
        assert "Koepel Rapport" in text and "Eerste Coöperatie" in text
        assert "Niet Aangesloten" not in text


def test_report_kind_must_match(db, coop):
    report = reports.cooperative_year(coop, Y)
    with pytest.raises(reports.ReportError):
        reports.render_pdf(report, "umbrella")
    with pytest.raises(reports.ReportError):
        reports.render_xlsx(report, "municipality")


def test_pdf_never_fetches_anything(app_ctx):
    from weasyprint.urls import FatalURLFetchingError

    from koepel.platform import pdf

    for url in ("http://127.0.0.1:9/logo.png", "file:///etc/passwd", "data:image/png;base64,AA"):
        with pytest.raises(FatalURLFetchingError):
            pdf.render(f'<img src="{url}">')
    assert pdf.render("<p>Proces-verbaal</p>").startswith(b"%PDF")


def _sheet_values(ws) -> dict[str, object]:
    return {str(r[0].value): r[1].value for r in ws.iter_rows(min_row=1) if r[0].value}


def test_xlsx_of_a_cooperative(db, coop):
    from openpyxl import load_workbook

    report = reports.cooperative_year(coop, Y)
    wb = load_workbook(io.BytesIO(reports.render_xlsx(report, "cooperative")))
    assert wb.sheetnames == ["Kerncijfers", "Uren per maand", "Hulp per dienst"]
    figures = _sheet_values(wb["Kerncijfers"])
    assert figures["Organisatie"] == "Zorgcoöperatie Rapport"
    assert figures["Leden op 31 december"] == 3 and figures["Nieuwe leden"] == 3
    assert figures["Hulpvragen afgerond"] == 3 and figures["Uren vrijwilligerswerk"] == 4.8
    months = list(wb["Uren per maand"].iter_rows(min_row=2, values_only=True))
    assert months[2] == ("maart", 90, 1.5) and months[-1] == ("Totaal", 285, 4.8)
    assert list(wb["Hulp per dienst"].iter_rows(min_row=2, values_only=True)) == [
        ("Vervoer", 2),
        ("Klussen", 1),
    ]


def test_xlsx_of_an_umbrella_keeps_names_as_text(db, koepel):
    from openpyxl import load_workbook

    wb = load_workbook(
        io.BytesIO(reports.render_xlsx(reports.umbrella_year(koepel, Y), "umbrella"))
    )
    assert "Per coöperatie" in wb.sheetnames and "Uren per coöperatie" in wb.sheetnames
    ws = wb["Per coöperatie"]
    names = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    evil = names['=HYPERLINK("http://x.test","klik")']
    assert evil[0].data_type == "s"  # text, not a formula
    assert evil[1].value.date() == date(Y, 7, 1)  # member of the umbrella from
    header = [cell.value for cell in ws[1]]
    assert header[:3] == ["Coöperatie", "Lid vanaf", "Lid tot"]
    at_end = header.index("Leden op 31 december")
    assert names["Totaal"][at_end].value == 10  # both cooperatives
    assert "Niet Aangesloten" not in names
    assert _sheet_values(wb["Kerncijfers"])["Aangesloten coöperaties"] == 2


# -- the job ---------------------------------------------------------------------------------
def test_job_writes_one_file_per_run_and_a_retry_overwrites(app, db, coop):
    ctx = JobContext(run_id="00000000-0000-0000-0000-00000000feed", tenant_id=coop.id)
    with acting_for(coop.id):
        reports.build_annual_report(ctx, kind="cooperative", year=Y, fmt="xlsx")
        reports.build_annual_report(ctx, kind="cooperative", year=Y, fmt="xlsx")
        with pytest.raises(reports.ReportError):
            reports.build_annual_report(ctx, kind="umbrella", year=Y, fmt="xlsx")
    path = reports.report_path(coop.id, ctx.run_id, "xlsx")
    assert path.is_file() and path.read_bytes().startswith(b"PK")
    # No partial files left (other tests may have left reports of a reused tenant id).
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".part")]
    assert (ctx.done, ctx.total) == (3, 3)
    path.unlink()


# -- pages ---------------------------------------------------------------------------------
def _ask(client, csrf, slug, year, fmt):
    token = csrf(f"/{slug}/reports")
    return client.post(f"/{slug}/reports", data={"csrf_token": token, "year": year, "fmt": fmt})


def _run(run_id) -> JobRun:
    from koepel.platform.extensions import db as _db

    with cross_tenant("test reads the run"):
        _db.session.expire_all()
        return _db.session.get(JobRun, run_id)


def test_cooperative_asks_for_a_report_and_downloads_it(
    app, db, client, coop, make_user, login, csrf, run_jobs
):
    from openpyxl import load_workbook

    login(make_user(coop, "coordinator"))
    page = client.get("/rp-coop/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Er zijn nog geen jaarverslagen gemaakt." in html
    assert f'<option selected value="{Y}">' in html or f'value="{Y}" selected' in html

    r = _ask(client, csrf, "rp-coop", Y, "xlsx")
    assert r.status_code == 302
    run_id = re.search(r"/rp-coop/jobs/([0-9a-f-]{36})$", r.headers["Location"]).group(1)
    run_jobs()
    run = _run(run_id)
    assert (run.name, run.status, run.kwargs) == (
        "reports.annual",
        "done",
        {"kind": "cooperative", "year": Y, "fmt": "xlsx"},
    )

    html = client.get("/rp-coop/reports").get_data(as_text=True)
    link = f"/rp-coop/reports/{run_id}.xlsx"
    assert link in html
    download = client.get(link)
    assert download.status_code == 200
    assert download.mimetype == reports.MIMETYPES["xlsx"]
    assert f"jaarverslag-rp-coop-{Y}.xlsx" in download.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(download.data))
    assert _sheet_values(wb["Kerncijfers"])["Hulpvragen afgerond"] == 3
    download.close()
    assert client.get(f"/rp-coop/reports/{run_id}.pdf").status_code == 404  # other format
    assert client.get("/rp-coop/reports/bestaat-niet.xlsx").status_code == 404
    reports.report_path(coop.id, run_id, "xlsx").unlink()
    assert client.get(link).status_code == 404  # the file is gone


def test_umbrella_asks_for_a_pdf(app, db, client, koepel, make_user, login, csrf, run_jobs):
    login(make_user(koepel, "staff"))
    r = _ask(client, csrf, "rp-koepel", Y, "pdf")
    assert r.status_code == 302
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    run_jobs()
    download = client.get(f"/rp-koepel/reports/{run_id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    download.close()
    reports.report_path(koepel.id, run_id, "pdf").unlink()


def test_invalid_choices_show_the_form_again(db, client, coop, make_user, login, csrf):
    login(make_user(coop, "board"))
    r = _ask(client, csrf, "rp-coop", _today().year + 1, "docx")
    assert r.status_code == 200
    with acting_for(coop.id):
        assert db.session.scalars(select(JobRun)).all() == []


def test_another_tenants_report_is_not_found(
    app, db, client, coop, make_org, make_user, login, csrf, run_jobs
):
    login(make_user(coop, "board"))
    run_id = _ask(client, csrf, "rp-coop", Y, "pdf").headers["Location"].rsplit("/", 1)[1]
    run_jobs()
    assert client.get(f"/rp-coop/reports/{run_id}.pdf").status_code == 200

    other = make_org("cooperative", slug="rp-ander")
    stranger = app.test_client()
    user = make_user(other, "board")
    with stranger.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    # Through the stranger's own cooperative: the run is not theirs.
    assert stranger.get(f"/rp-ander/reports/{run_id}.pdf").status_code == 404
    # Through the owner's cooperative: not their organisation.
    assert stranger.get(f"/rp-coop/reports/{run_id}.pdf").status_code == 404
    assert stranger.get("/rp-ander/reports").get_data(as_text=True).count(run_id) == 0
    reports.report_path(coop.id, run_id, "pdf").unlink()


def test_who_may_see_the_reports_page(app, db, client, coop, make_org, make_user, login, csrf):
    login(make_user(coop, "volunteer"))
    assert client.get("/rp-coop/reports").status_code == 403
    token = csrf("/rp-coop/")
    r = client.post("/rp-coop/reports", data={"csrf_token": token, "year": Y, "fmt": "pdf"})
    assert r.status_code == 403
    gemeente = make_org("municipality", slug="rp-gemeente")
    officer = app.test_client()
    user = make_user(gemeente, "procurement_officer")
    with officer.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    assert officer.get("/rp-gemeente/").status_code == 200
    assert officer.get("/rp-gemeente/reports").status_code == 404
    assert officer.get("/rp-gemeente/reports/x.pdf").status_code == 404
