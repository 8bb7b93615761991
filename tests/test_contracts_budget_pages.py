"""The budget pages: the allocation workflow as the parties see it, refusals that keep what
was typed, who sees what (404 for an outsider, a subcontractor its own share, a partner its
own statement), the chart, exports by a job, arrangement financing, and a query count that
does not grow with the number of partners."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.contracts import allocation_versions, arrangement_financing, budgeting, districts
from koepel.contracts.models.budgets import (
    AllocationMethod,
    AllocationVersion,
    BudgetKind,
    BudgetPartnerRole,
    VersionStatus,
)
from koepel.platform.models import OrgKind
from koepel.platform.tenancy import acting_for

from conftest import client_for, csrf_from

D = Decimal


def post(client, page: str, url: str, data: dict, prefix: str | None = None):
    """Post a form the way a browser does: with the CSRF token from the page it is on."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return client.post(url, data={name: token, **data})


def make_budget(
    owner,
    approver,
    partners,
    *,
    kind=BudgetKind.ALLOCATION,
    total="8500000.00",
    period=(date(2026, 1, 1), date(2026, 12, 31)),
    schemes=("Wmo",),
):
    with acting_for(owner.id):
        budget = budgeting.create(
            actor=None,
            owner=owner,
            data=budgeting.BudgetData(
                title="Tom in de buurt",
                kind=kind,
                period_start=period[0],
                period_end=period[1],
                approver=approver,
            ),
        )
        view = budgeting.budget_for(owner, budget.id)
        for scheme in schemes:
            budgeting.add_funding(
                actor=None,
                view=view,
                funder=approver,
                scheme=scheme,
                amount_=D(total) / len(schemes),
            )
        for org, role in partners:
            budgeting.add_partner(actor=None, view=view, partner=org, role=role)
    return budget.id


@pytest.fixture
def coalition(app, db, make_org, make_user):
    """Alphen: Kwadraad manages € 8.500.000; two main contractors and one subcontractor."""
    gemeente = make_org(OrgKind.MUNICIPALITY, slug="alphen-p", name="Gemeente Alphen")
    kwadraad = make_org(OrgKind.PROVIDER, slug="kwadraad-p", name="Kwadraad")
    kwintes = make_org(OrgKind.PROVIDER, slug="kwintes-p", name="Kwintes")
    wijdezorg = make_org(OrgKind.PROVIDER, slug="wijdezorg-p", name="Wijdezorg")
    budget_id = make_budget(
        kwadraad,
        gemeente,
        [
            (kwadraad, BudgetPartnerRole.MAIN),
            (kwintes, BudgetPartnerRole.MAIN),
            (wijdezorg, BudgetPartnerRole.SUB),
        ],
    )
    users = {
        "lead": make_user(kwadraad, "contact"),
        "kwintes": make_user(kwintes, "contact"),
        "wijdezorg": make_user(wijdezorg, "contact"),
        "officer": make_user(gemeente, "procurement_officer"),
        "reviewer": make_user(gemeente, "reviewer"),
    }
    return {
        "budget_id": budget_id,
        "orgs": {
            "gemeente": gemeente,
            "kwadraad": kwadraad,
            "kwintes": kwintes,
            "wijdezorg": wijdezorg,
        },
        "clients": {k: client_for(app, u) for k, u in users.items()},
    }


def test_the_allocation_workflow_through_the_pages(db, coalition):
    c, orgs, budget_id = coalition["clients"], coalition["orgs"], coalition["budget_id"]
    detail = f"/kwadraad-p/budgets/{budget_id}"
    page = c["lead"].get(detail).get_data(as_text=True)
    assert "€\xa08.500.000,00" in page and "Nieuwe versie van de verdeling" in page

    # The lead party opens a proposals round; each partner enters its own amount.
    new = f"{detail}/allocations/new"
    r = post(c["lead"], new, new, {"method": "proposals", "note": "Stel uw deel voor."})
    assert r.status_code == 302
    version_url = r.headers["Location"]
    version_id = int(version_url.rsplit("/", 1)[1])
    for who, slug, amount in (
        ("lead", "kwadraad-p", "4.500.000,00"),
        ("kwintes", "kwintes-p", "3.000.000"),
        ("wijdezorg", "wijdezorg-p", "1.000.000,00"),
    ):
        url = f"/{slug}/budgets/{budget_id}/allocations/{version_id}"
        r = post(c[who], url, f"{url}/proposal", {"proposal-proposed": amount}, "proposal")
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
    page = c["lead"].get(version_url).get_data(as_text=True)
    assert "€\xa03.000.000,00" in page and "Voorstellen samenvoegen" in page
    r = post(c["lead"], version_url, f"{version_url}/consolidate", {}, "consolidate")
    assert r.status_code == 302

    # A partner cannot approve; the funder cannot approve before every partner agreed.
    kwintes_url = f"/kwintes-p/budgets/{budget_id}/allocations/{version_id}"
    page = c["kwintes"].get(kwintes_url).get_data(as_text=True)
    assert "Verdeling goedkeuren" not in page and "Akkoord geven" in page
    assert (
        post(c["kwintes"], kwintes_url, f"{kwintes_url}/approve", {}, "approve").status_code == 404
    )
    funder_url = f"/alphen-p/budgets/{budget_id}/allocations/{version_id}"
    r = post(c["officer"], funder_url, f"{funder_url}/approve", {}, "approve")
    assert r.status_code == 200
    assert (
        "Nog niet alle partners hebben akkoord gegeven. Wacht op: Kwadraad, Kwintes, Wijdezorg."
        in r.get_data(as_text=True)
    )
    r = post(c["reviewer"], funder_url, f"{funder_url}/approve", {}, "approve")
    assert r.status_code == 403  # a reviewer may not approve

    for who, slug in (
        ("lead", "kwadraad-p"),
        ("kwintes", "kwintes-p"),
        ("wijdezorg", "wijdezorg-p"),
    ):
        url = f"/{slug}/budgets/{budget_id}/allocations/{version_id}"
        assert post(c[who], url, f"{url}/agree", {}, "agree").status_code == 302
    r = post(c["officer"], funder_url, f"{funder_url}/approve", {}, "approve")
    assert r.status_code == 302
    page = c["officer"].get(funder_url).get_data(as_text=True)
    assert "goedgekeurd" in page and "Goedgekeurd door Gemeente Alphen" in page
    assert "Alle delen samen zijn precies het totaal, tot op de cent." in page

    # A comment, and a new version that keeps the old one.
    r = post(
        c["kwintes"],
        kwintes_url,
        f"{kwintes_url}/comments",
        {"comment-body": "Akkoord, graag volgend jaar meer."},
        "comment",
    )
    assert r.status_code == 302
    r = post(c["lead"], new, new, {"method": "equal"})
    assert r.status_code == 302
    page = c["lead"].get(version_url).get_data(as_text=True)
    assert "vervangen door een nieuwere versie" in page and "graag volgend jaar meer" in page
    with acting_for(orgs["kwadraad"].id):
        statuses = db.session.scalars(
            select(AllocationVersion.status).order_by(AllocationVersion.number)
        ).all()
    assert statuses == [VersionStatus.SUPERSEDED, VersionStatus.PROPOSED]


def test_a_bad_percentage_keeps_what_was_typed(db, coalition):
    c, orgs, budget_id = coalition["clients"], coalition["orgs"], coalition["budget_id"]
    new = f"/kwadraad-p/budgets/{budget_id}/allocations/new"
    ids = [orgs[k].id for k in ("kwadraad", "kwintes", "wijdezorg")]
    typed = {
        f"share-{ids[0]}-percentage": "50",
        f"share-{ids[1]}-percentage": "30,5",
        f"share-{ids[2]}-percentage": "veel",
        "reserve_amount": "10.000,00",
        "note": "Eerste poging",
    }
    r = post(c["lead"], f"{new}?method=percentages", new, {"method": "percentages", **typed})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Schrijf een percentage als 12,5" in html
    for value in typed.values():
        assert f'value="{value}"' in html or f"{value}</textarea>" in html
    # Percentages that do not add up to 100: the message, and still nothing lost.
    typed[f"share-{ids[2]}-percentage"] = "10"
    r = post(c["lead"], f"{new}?method=percentages", new, {"method": "percentages", **typed})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "De percentages tellen op tot 90,5%, maar moeten samen precies 100% zijn." in html
    assert 'value="30,5"' in html and 'value="10.000,00"' in html
    with acting_for(orgs["kwadraad"].id):
        assert db.session.scalars(select(AllocationVersion)).all() == []
    # Right this time.
    typed[f"share-{ids[2]}-percentage"] = "19,5"
    r = post(c["lead"], f"{new}?method=percentages", new, {"method": "percentages", **typed})
    assert r.status_code == 302
    html = c["lead"].get(r.headers["Location"]).get_data(as_text=True)
    assert "30,5% van €\xa08.490.000,00." in html  # after the reserve of 10 000
    assert "Reserve: vast bedrag van €\xa010.000,00." in html


def test_a_negative_amount_is_refused_with_the_typed_value_kept(db, coalition):
    c, budget_id = coalition["clients"], coalition["budget_id"]
    detail = f"/kwadraad-p/budgets/{budget_id}"
    funder = coalition["orgs"]["gemeente"].id
    r = post(
        c["lead"],
        detail,
        f"{detail}/funding",
        {"funding-funder": funder, "funding-scheme": "Jeugd", "funding-amount": "-5.000,00"},
        "funding",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Een bedrag kan niet negatief zijn." in html
    assert 'value="-5.000,00"' in html and 'value="Jeugd"' in html


def test_outsiders_get_404_and_a_subcontractor_sees_its_own_share(
    app, db, coalition, make_org, make_user
):
    c, orgs, budget_id = coalition["clients"], coalition["orgs"], coalition["budget_id"]
    with acting_for(orgs["kwadraad"].id):
        version = allocation_versions.propose(
            actor=None,
            view=budgeting.budget_for(orgs["kwadraad"], budget_id),
            method=AllocationMethod.EQUAL,
            inputs={},
        )
    # A partner of another budget: 404 for this budget and its version.
    other = make_org(OrgKind.PROVIDER, slug="elders-p")
    make_budget(make_org(OrgKind.PROVIDER), orgs["gemeente"], [(other, BudgetPartnerRole.MAIN)])
    stranger = client_for(app, make_user(other, "contact"))
    assert stranger.get(f"/elders-p/budgets/{budget_id}").status_code == 404
    assert (
        stranger.get(f"/elders-p/budgets/{budget_id}/allocations/{version.id}").status_code == 404
    )
    assert stranger.get(f"/kwadraad-p/budgets/{budget_id}").status_code == 404  # not its org
    assert "Tom in de buurt" in stranger.get("/elders-p/budgets").get_data(as_text=True)
    # The subcontractor: its own share and the total, nobody else's amount.
    html = (
        c["wijdezorg"]
        .get(f"/wijdezorg-p/budgets/{budget_id}/allocations/{version.id}")
        .get_data(as_text=True)
    )
    assert "Wijdezorg" in html and "€\xa02.833.333,33" in html
    assert "Kwintes" not in html and "€\xa02.833.333,34" not in html
    assert "Als onderaannemer ziet u uw eigen deel en het totaal." in html
    html = (
        c["kwintes"]
        .get(f"/kwintes-p/budgets/{budget_id}/allocations/{version.id}")
        .get_data(as_text=True)
    )
    assert html.count('class="koepel-chart__bar"') == 3  # the chart: one bar per partner
    assert "€\xa02.833.333,34" in html and "1 cent erbij" in html
    assert " style=" not in html and "<script" not in html


def test_the_version_page_takes_the_same_queries_for_3_or_12_partners(
    app, db, make_org, make_user, count_queries
):
    gemeente = make_org(OrgKind.MUNICIPALITY)

    def version_page(n):
        lead = make_org(OrgKind.PROVIDER)
        partners = [(lead, BudgetPartnerRole.MAIN)] + [
            (make_org(OrgKind.PROVIDER), BudgetPartnerRole.MAIN) for _ in range(n - 1)
        ]
        budget_id = make_budget(lead, gemeente, partners)
        with acting_for(lead.id):
            view = budgeting.budget_for(lead, budget_id)
            version = allocation_versions.propose(
                actor=None, view=view, method=AllocationMethod.EQUAL, inputs={}
            )
        for org, _role in partners[1:]:
            with acting_for(org.id):
                allocation_versions.agree(
                    actor=None, view=budgeting.budget_for(org, budget_id), version_id=version.id
                )
            with acting_for(org.id):
                allocation_versions.comment(
                    actor=None,
                    view=budgeting.budget_for(org, budget_id),
                    version_id=version.id,
                    body="Prima.",
                )
        client = client_for(app, make_user(lead, "contact"))
        url = f"/{lead.slug}/budgets/{budget_id}/allocations/{version.id}"
        client.get(url)  # warm up: templates compiled, session loaded
        with count_queries() as counter:
            r = client.get(url)
        assert r.status_code == 200
        return counter.count

    assert version_page(3) == version_page(12)


@pytest.fixture
def district(app, db, make_org, make_user):
    gemeente = make_org(OrgKind.MUNICIPALITY, slug="leeuwarden-p", name="Gemeente Leeuwarden")
    palet = make_org(OrgKind.PROVIDER, slug="palet-p", name="Palet")
    west = make_org(OrgKind.PROVIDER, slug="west-p", name="Thuiszorg West")
    budget_id = make_budget(
        palet,
        gemeente,
        [(palet, BudgetPartnerRole.MAIN), (west, BudgetPartnerRole.MAIN)],
        kind=BudgetKind.DISTRICT,
        total="100000.00",
        period=(date(2015, 1, 1), date(2015, 12, 31)),
        schemes=("begeleiding", "verpleging"),
    )
    return {
        "budget_id": budget_id,
        "palet": palet,
        "west": west,
        "palet_client": client_for(app, make_user(palet, "contact")),
        "west_client": client_for(app, make_user(west, "contact")),
        "gemeente_client": client_for(app, make_user(gemeente, "procurement_officer")),
    }


def test_delivered_care_settled_and_each_partner_sees_its_own_statement(
    app, db, district, run_jobs
):
    budget_id = district["budget_id"]
    palet, west = district["palet_client"], district["west_client"]
    west_detail = f"/west-p/budgets/{budget_id}"
    # A bad quantity keeps what was typed.
    r = post(
        west,
        west_detail,
        f"{west_detail}/deliveries",
        {
            "delivery-delivered_on": "2015-04-01",
            "delivery-product": "verpleging",
            "delivery-quantity": "twaalf",
            "delivery-unit": "uur",
            "delivery-tariff": "75,00",
        },
        "delivery",
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Schrijf de hoeveelheid als 12 of 12,5" in html and 'value="twaalf"' in html
    r = post(
        west,
        west_detail,
        f"{west_detail}/deliveries",
        {
            "delivery-delivered_on": "2015-04-01",
            "delivery-product": "verpleging",
            "delivery-quantity": "400",
            "delivery-unit": "uur",
            "delivery-tariff": "75,00",
        },
        "delivery",
    )
    assert r.status_code == 302
    csv = "datum;regeling;hoeveelheid;tarief\n31-03-2015;begeleiding;800;62,50\n"
    palet_detail = f"/palet-p/budgets/{budget_id}"
    token = csrf_from(palet.get(palet_detail).get_data(as_text=True))
    r = palet.post(
        f"{palet_detail}/deliveries/import",
        data={"import-csrf_token": token, "import-file": (io.BytesIO(csv.encode()), "uren.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    html = palet.get(palet_detail).get_data(as_text=True)
    assert "€\xa050.000,00" in html  # Palet's own line: 800 × 62,50
    assert "400,00 uur" not in html  # West's record is West's
    assert "€\xa030.000,00" in html  # West's value so far, as a total for the lead

    r = post(palet, palet_detail, f"{palet_detail}/settlements", {})
    assert r.status_code == 302 and "/settlements/" in r.headers["Location"]
    settlement_id = int(r.headers["Location"].rsplit("/", 1)[1])
    overview = palet.get(r.headers["Location"]).get_data(as_text=True)
    assert "Afrekening van Thuiszorg West" in overview and "Betalingen" in overview
    own = west.get(f"/west-p/budgets/{budget_id}/settlements/{settlement_id}").get_data(
        as_text=True
    )
    assert "Uw eigen afrekening" in own and "Afrekening van Palet" not in own
    statement = west.get(
        f"/west-p/budgets/{budget_id}/settlements/{settlement_id}/statements/{district['west'].id}"
    )
    html = statement.get_data(as_text=True)
    assert statement.status_code == 200
    assert "verpleging" in html and "begeleiding" not in html
    palet_id = district["palet"].id
    assert (
        west.get(
            f"/west-p/budgets/{budget_id}/settlements/{settlement_id}/statements/{palet_id}"
        ).status_code
        == 404
    )
    assert (
        palet.get(
            f"/palet-p/budgets/{budget_id}/settlements/{settlement_id}/statements/{district['west'].id}"
        ).status_code
        == 200
    )
    funder = district["gemeente_client"].get(
        f"/leeuwarden-p/budgets/{budget_id}/settlements/{settlement_id}"
    )
    assert funder.status_code == 200 and "Terug naar de financiers" in funder.get_data(as_text=True)
    # After the settlement nothing can be added.
    assert "Geleverde zorg vastleggen" not in west.get(west_detail).get_data(as_text=True)

    # The partner's statement as PDF, made by a job.
    statement_url = (
        f"/west-p/budgets/{budget_id}/settlements/{settlement_id}/statements/{district['west'].id}"
    )
    r = post(
        west,
        statement_url,
        f"{west_detail}/exports",
        {"export-kind": "statement", "export-partner": district["west"].id},
        "export",
    )
    assert r.status_code == 302 and "/jobs/" in r.headers["Location"]
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    run_jobs()
    download = west.get(f"{west_detail}/exports/{run_id}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    download.close()
    assert palet.get(f"{palet_detail}/exports/{run_id}.pdf").status_code == 404  # West's run
    # West cannot ask for Palet's statement.
    r = post(
        west,
        statement_url,
        f"{west_detail}/exports",
        {"export-kind": "statement", "export-partner": palet_id},
        "export",
    )
    assert r.status_code == 302 and "/jobs/" not in r.headers["Location"]


def test_allocation_workbook_by_a_job(app, db, coalition, run_jobs):
    from openpyxl import load_workbook

    c, orgs, budget_id = coalition["clients"], coalition["orgs"], coalition["budget_id"]
    with acting_for(orgs["kwadraad"].id):
        allocation_versions.propose(
            actor=None,
            view=budgeting.budget_for(orgs["kwadraad"], budget_id),
            method=AllocationMethod.EQUAL,
            inputs={},
        )
    detail = f"/kwadraad-p/budgets/{budget_id}"
    r = post(c["lead"], detail, f"{detail}/exports", {"export-kind": "allocations"}, "export")
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    run_jobs()
    html = c["lead"].get(detail).get_data(as_text=True)
    assert f"{detail}/exports/{run_id}.xlsx" in html
    download = c["lead"].get(f"{detail}/exports/{run_id}.xlsx")
    book = load_workbook(io.BytesIO(download.data))
    download.close()
    rows = [[cell.value for cell in row] for row in book["Versie 1"].iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["Kwadraad", "Kwintes", "Wijdezorg", "Totaal"]
    assert sum(r[2] for r in rows[:3]) == rows[3][2] == 8500000


def test_arrangement_financing_pages(app, db, make_org, make_user):
    region = make_org(OrgKind.REGION, slug="wm-p", name="Westelijke Mijnstreek")
    zuyderland = make_org(OrgKind.PROVIDER, slug="zuyderland-p", name="Zuyderland")
    other = make_org(OrgKind.PROVIDER, slug="ander-p", name="Ander")
    officer = client_for(app, make_user(region, "procurement_officer"))
    r = post(
        officer,
        "/wm-p/arrangements",
        "/wm-p/arrangements",
        {"title": "Arrangementen 2016", "year": "2016", "national_cut": "111"},
    )
    assert r.status_code == 200 and "tussen 0% en 100%" in r.get_data(as_text=True)
    r = post(
        officer,
        "/wm-p/arrangements",
        "/wm-p/arrangements",
        {"title": "Arrangementen 2016", "year": "2016", "national_cut": "11"},
    )
    assert r.status_code == 302
    url = r.headers["Location"]
    for cost, clients in (("2.000,00", "30"), ("2.300,00", "10")):
        r = post(
            officer,
            url,
            f"{url}/costs",
            {
                "cost-complexity": "low",
                "cost-intensity": "low",
                "cost-cost_per_client": cost,
                "cost-clients": clients,
            },
            "cost",
        )
        assert r.status_code == 302
    assert post(officer, url, f"{url}/tariffs", {}, "tariffs").status_code == 302
    html = officer.get(url).get_data(as_text=True)
    assert "€\xa01.846,75" in html  # 2 075 × 0,89
    r = post(
        officer,
        url,
        f"{url}/clients",
        {
            "client-client_ref": "123456782",
            "client-arrangement": "low/low",
            "client-provider": zuyderland.id,
            "client-starts_on": "2016-01-01",
            "client-ends_on": "2016-12-31",
        },
        "client",
    )
    assert r.status_code == 200 and "Dit lijkt een BSN" in r.get_data(as_text=True)
    for ref, provider in (("WM-0001", zuyderland), ("WM-0002", other)):
        r = post(
            officer,
            url,
            f"{url}/clients",
            {
                "client-client_ref": ref,
                "client-arrangement": "low/low",
                "client-provider": provider.id,
                "client-starts_on": "2016-01-01",
                "client-ends_on": "2016-12-31",
            },
            "client",
        )
        assert r.status_code == 302
    scheme_id = int(url.rsplit("/", 1)[1])
    provider = client_for(app, make_user(zuyderland, "contact"))
    html = provider.get(f"/zuyderland-p/arrangements/{scheme_id}").get_data(as_text=True)
    assert "WM-0001" in html and "WM-0002" not in html and "Uw budget" in html
    # The CAK figures: the client's yearly tariff split over the months, from the assignment.
    cak = html[html.index('id="cak"') :]
    assert "WM-0001" in cak and "januari" in cak and "december" in cak
    owner_cak = officer.get(url).get_data(as_text=True)
    owner_cak = owner_cak[owner_cak.index('id="cak"') :]
    assert "WM-0001" in owner_cak and "WM-0002" in owner_cak
    assert "Historische kosten" not in html
    assert "Arrangementen 2016" in provider.get("/zuyderland-p/budgets").get_data(as_text=True)
    with acting_for(region.id):
        (scheme,) = arrangement_financing.schemes()
        assert arrangement_financing.load(scheme).total == D("3693.50")
    stranger = client_for(app, make_user(make_org(OrgKind.PROVIDER, slug="vreemd-p"), "contact"))
    assert stranger.get(f"/vreemd-p/arrangements/{scheme_id}").status_code == 404


def test_settling_before_the_end_of_the_period_is_refused(app, db, make_org, make_user):
    gemeente = make_org(OrgKind.MUNICIPALITY)
    lead = make_org(OrgKind.PROVIDER, slug="lopend-p")
    budget_id = make_budget(
        lead,
        gemeente,
        [(lead, BudgetPartnerRole.MAIN)],
        kind=BudgetKind.DISTRICT,
        period=(date(2020, 1, 1), date(2099, 12, 31)),
    )
    client = client_for(app, make_user(lead, "contact"))
    detail = f"/lopend-p/budgets/{budget_id}"
    html = client.get(detail).get_data(as_text=True)
    assert "Pot verrekenen" not in html
    r = post(client, detail, f"{detail}/settlements", {})
    assert r.status_code == 302
    assert "Verrekenen kan vanaf die dag" in client.get(r.headers["Location"]).get_data(
        as_text=True
    )
    with acting_for(lead.id):
        assert districts.settled(budgeting.budget_for(lead, budget_id)) is None
    assert re.search(r"31 december 2099", html)
