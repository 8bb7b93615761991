"""The framework pages: the buyer drafts and runs the agreement, a provider reports every
four weeks; forms keep what was typed; a provider sees only its own share; the side-by-side
page costs the same number of queries whatever the number of providers; exports by a job."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from test_contracts_framework_store import (
    DEC,
    JAN,
    call_off,
    close,
    make_agreement,
    report,
    state_of,
)

from koepel.contracts import frameworks as ops
from koepel.contracts.models.framework import AgreementStatus, FrameworkAgreement
from koepel.platform.models import AuditEvent
from koepel.platform.tenancy import cross_tenant

from conftest import client_for

D = Decimal
SLUG = "fp-goeree"


@pytest.fixture
def buyer(db, make_org):
    return make_org("municipality", slug=SLUG, name="Gemeente Goeree-Overflakkee")


@pytest.fixture
def officer(buyer, make_user):
    return make_user(buyer, "procurement_officer")


@pytest.fixture
def laurens(make_org):
    return make_org("provider", slug="fp-laurens", name="Laurens")


@pytest.fixture
def curamare(make_org):
    return make_org("provider", slug="fp-curamare", name="Curamare")


def _id(response) -> int:
    return int(re.search(r"/framework-agreements/(\d+)", response.headers["Location"]).group(1))


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_buyer_drafts_and_starts_an_agreement_through_the_pages(
    client, buyer, officer, laurens, login, csrf
):
    login(officer)
    base = f"/{SLUG}/framework-agreements"
    token = csrf(f"{base}/new")
    r = client.post(
        f"{base}/new",
        data={
            "csrf_token": token,
            "title": "Raamovereenkomst Wmo 2015",
            "year": "2015",
            "increase_above": "5",
            "decrease_below": "12,5",
        },
    )
    assert r.status_code == 302
    agreement_id = _id(r)
    one = f"{base}/{agreement_id}"
    token = csrf(one)

    # A negative tariff: refused next to the field, what was typed stays.
    r = client.post(
        f"{one}/products",
        data={
            "product-csrf_token": token,
            "product-product": "group/light",
            "product-tariff": "-18,00",
            "product-description": "Groep tot acht deelnemers",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Het tarief van Groepsbegeleiding, licht kan niet negatief zijn." in html
    assert 'value="-18,00"' in html and "Groep tot acht deelnemers" in html

    for code, tariff in [
        (f"{g}/{lv}", t)
        for g, tariffs in (
            ("ambulatory", ("45,00", "55,00", "65,00")),
            ("group", ("18,00", "24,00", "32,00")),
            ("day_activities", ("30,00", "40,00", "55,00")),
        )
        for lv, t in zip(("light", "medium", "heavy"), tariffs, strict=True)
    ] + [("transport/wheelchair", "22,50"), ("transport/passenger", "9,50")]:
        r = client.post(
            f"{one}/products",
            data={"product-csrf_token": token, "product-product": code, "product-tariff": tariff},
        )
        assert r.status_code == 302, (code, r.get_data(as_text=True)[:300])

    r = client.post(
        f"{one}/parties",
        data={"party-csrf_token": token, "party-organisation": laurens.id, "party-clients": "40"},
    )
    assert r.status_code == 302
    party_url = r.headers["Location"]
    party_id = int(party_url.rsplit("/", 1)[1])
    state = state_of(buyer, FrameworkAgreement(id=agreement_id))
    medium = next(p for p in state.products if state.code(p.id) == "ambulatory/medium")
    r = client.post(
        f"{one}/providers/{party_id}/volumes",
        data={
            "volume-csrf_token": token,
            "volume-clients": "40",
            f"volume-volume-{medium.id}": "2.000",
            f"volume-historical-{medium.id}": "2.200,5",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    html = _page(client, f"{one}/providers/{party_id}")
    assert "€\xa0110.000,00" in html  # 2.000 h × € 55
    assert "2.200,5" in html

    r = client.post(f"{one}/activate", data={"activate-csrf_token": token})
    assert r.status_code == 302
    agreement = state_of(buyer, FrameworkAgreement(id=agreement_id)).agreement
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.decrease_below == D("12.5")

    # Once running, a tariff change needs a reason and becomes version 2.
    r = client.post(
        f"{one}/products",
        data={
            "product-csrf_token": token,
            "product-product": "ambulatory/medium",
            "product-tariff": "56,65",
        },
    )
    assert "Schrijf waarom het tarief verandert" in r.get_data(as_text=True)
    r = client.post(
        f"{one}/products",
        data={
            "product-csrf_token": token,
            "product-product": "ambulatory/medium",
            "product-tariff": "56,65",
            "product-reason": "indexatie",
        },
    )
    assert r.status_code == 302
    html = _page(client, one)
    assert "versie 1: €\xa055,00 (tarief bij de start)" in html


def test_a_call_off_above_the_ceiling_is_refused_on_the_page_and_nothing_typed_is_lost(
    client, buyer, officer, laurens, login, csrf
):
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    state = state_of(buyer, agreement)
    party, product = (
        state.parties[0],
        next(p for p in state.products if state.code(p.id) == "ambulatory/medium"),
    )
    login(officer)
    url = f"/{SLUG}/framework-agreements/{agreement.id}/call-offs"
    form = {
        "call_off-csrf_token": csrf(url),
        "call_off-party": party.id,
        "call_off-client": "GO-0042",
        "call_off-product": product.id,
        "call_off-quantity": "120",
        "call_off-start": "2015-02-01",
        "call_off-end": "2015-12-31",
        "call_off-note": "spoed",
    }
    r = client.post(url, data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "past niet binnen het budgetplafond van Laurens" in html
    assert "er is nog €\xa05.500,00 over" in html
    assert 'value="GO-0042"' in html and 'value="120"' in html and 'value="spoed"' in html

    r = client.post(url, data=form | {"call_off-allow_over_ceiling": "y"})
    assert r.status_code == 302
    html = _page(client, url)
    assert "boven het plafond" in html and "GO-0042" in html

    r = client.post(url, data=form | {"call_off-client": "Jan Jansen"})
    assert "nooit een naam" in r.get_data(as_text=True)


def test_a_provider_reports_and_a_closed_period_keeps_what_was_typed(
    client, buyer, officer, laurens, make_user, login, csrf
):
    contact = make_user(laurens, "contact")
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    order = call_off(
        buyer, officer, agreement, laurens, "GO-1", "40", "ambulatory/medium", JAN, DEC
    )
    login(contact)
    assert agreement.title in _page(client, "/fp-laurens/framework-contracts")
    url = f"/fp-laurens/framework-contracts/{agreement.id}"
    html = _page(client, url)
    assert "Afroep" in html and "GO-1" in html
    token = csrf(url)
    r = client.post(
        f"{url}/reports",
        data={"report-csrf_token": token, "report-period": "1", f"report-line-{order.id}": "3,5"},
    )
    assert r.status_code == 302
    assert "3,5" in _page(client, f"{url}?period=1")

    close(buyer, officer, agreement, times=2)  # the buyer closes while the provider types
    r = client.post(
        f"{url}/reports",
        data={
            "report-csrf_token": token,
            "report-period": "2",
            f"report-line-{order.id}": "7,25",
            "report-note": "twee keer extra vanwege ziekte mantelzorger",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Periode 2 is afgesloten. Meld een correctie bij de opdrachtgever." in html
    assert 'value="7,25"' in html and "twee keer extra vanwege ziekte mantelzorger" in html
    assert len(state_of(buyer, agreement).lines) == 1

    r = client.post(
        f"{url}/reports",
        data={"report-csrf_token": token, "report-period": "3", f"report-line-{order.id}": "40"},
    )
    html = r.get_data(as_text=True)
    assert "meer dan er is afgeroepen" in html and 'value="40"' in html


def test_a_provider_sees_only_its_own_figures(
    app, client, buyer, officer, laurens, curamare, make_user, make_org, login
):
    agreement = make_agreement(
        buyer,
        officer,
        [(laurens, 2, {"ambulatory/medium": 100}), (curamare, 2, {"group/light": 100})],
    )
    call_off(buyer, officer, agreement, laurens, "GO-1", "40", "ambulatory/medium", JAN, DEC)
    call_off(buyer, officer, agreement, curamare, "GO-777", "40", "group/light", JAN, DEC)
    login(make_user(laurens, "contact"))
    html = _page(client, f"/fp-laurens/framework-contracts/{agreement.id}")
    assert "GO-1" in html and "Laurens" in html
    assert "GO-777" not in html and "Curamare" not in html
    assert "€\xa01.800,00" not in html  # Curamare's ceiling (100 h × € 18)
    # Not the buyer's pages, and not an agreement it is not party to.
    assert client.get(f"/fp-laurens/framework-agreements/{agreement.id}").status_code == 404
    other = client_for(app, make_user(make_org("provider", slug="fp-other"), "contact"))
    assert other.get(f"/fp-other/framework-contracts/{agreement.id}").status_code == 404
    # Another buyer's agreement is not found either.
    stranger = client_for(app, make_user(make_org("municipality", slug="fp-elders")))
    for page in ("", "/periods", "/call-offs", "/cak"):
        url = f"/fp-elders/framework-agreements/{agreement.id}{page}"
        assert stranger.get(url).status_code == 404


def test_accepting_a_proposal_on_the_page_is_audited_and_raises_the_ceiling(
    client, buyer, officer, laurens, login, csrf
):
    agreement = make_agreement(buyer, officer, [(laurens, 50, {"ambulatory/medium": 1000})])
    for n in range(53):  # 6 % more clients than contracted
        call_off(
            buyer, officer, agreement, laurens, f"GO-{n:04d}", "10", "ambulatory/medium", JAN, DEC
        )
    login(officer)
    periods = f"/{SLUG}/framework-agreements/{agreement.id}/periods"
    token = csrf(periods)
    r = client.post(f"{periods}/close", data={"close-csrf_token": token})
    assert r.status_code == 302
    html = _page(client, periods + "?period=1")
    assert "53 cliënten, 6% meer dan de 50 afgesproken" in html
    assert "€\xa03.300,00 verhogen" in html
    proposal = state_of(buyer, agreement).proposals[0]
    r = client.post(
        f"/{SLUG}/framework-agreements/{agreement.id}/proposals/{proposal.id}",
        data={"decide-csrf_token": token, "decide-decision": "accept", "decide-back": "periods"},
    )
    assert r.status_code == 302
    state = state_of(buyer, agreement)
    assert state.ceiling(state.parties[0].id).ceiling == D("58300.00")
    with cross_tenant("test reads the audit log"):
        from koepel.platform.extensions import db

        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "framework.proposal_accepted")
        )
    assert event.actor_user_id == officer.id and event.summary["after"]["ceiling"] == "58300.00"
    html = _page(
        client, f"/{SLUG}/framework-agreements/{agreement.id}/providers/{state.parties[0].id}"
    )
    assert "€\xa058.300,00" in html and "aanvaard" in html


def test_only_procurement_officers_change_things(
    client, buyer, officer, laurens, make_user, login, csrf
):
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    login(make_user(buyer, "policy_officer"))
    one = f"/{SLUG}/framework-agreements/{agreement.id}"
    html = _page(client, one)
    assert "Product of tarief instellen" not in html
    assert (
        client.post(f"{one}/periods/close", data={"close-csrf_token": csrf(one)}).status_code == 403
    )


def _agreement_with(db, make_org, buyer, officer, n: int) -> FrameworkAgreement:
    providers = [
        make_org("provider", slug=f"fq-{n}-{i}", name=f"Aanbieder {n}-{i}") for i in range(n)
    ]
    agreement = make_agreement(
        buyer, officer, [(p, 2, {"ambulatory/medium": 100, "group/light": 50}) for p in providers]
    )
    for i, provider in enumerate(providers):
        a = call_off(
            buyer, officer, agreement, provider, f"GO-{n}{i}1", "20", "ambulatory/medium", JAN, DEC
        )
        b = call_off(
            buyer, officer, agreement, provider, f"GO-{n}{i}2", "10", "group/light", JAN, DEC
        )
        report(provider, None, agreement, 1, {a: "2", b: "1"})
        report(provider, None, agreement, 2, {a: "1.5"})
    close(buyer, officer, agreement)
    return agreement


def test_the_side_by_side_page_costs_the_same_queries_for_more_providers(
    db, client, buyer, officer, make_org, login, count_queries
):
    small = _agreement_with(db, make_org, buyer, officer, 2)
    large = _agreement_with(db, make_org, buyer, officer, 7)
    login(officer)
    counts = []
    for agreement, names in ((small, 2), (large, 7)):
        url = f"/{SLUG}/framework-agreements/{agreement.id}/periods?period=2"
        # Once before counting: on PostgreSQL the row-level-security setting is only sent
        # when it differs from what the previous request left on the connection.
        _page(client, url)
        with count_queries() as counter:
            html = _page(client, url)
        assert html.count("Aanbieder ") >= names
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_exports_are_made_by_a_job_and_downloaded(
    app, client, buyer, officer, laurens, make_user, make_org, login, csrf, run_jobs
):
    from openpyxl import load_workbook

    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    order = call_off(
        buyer, officer, agreement, laurens, "GO-9", "20", "ambulatory/medium", JAN, DEC
    )
    report(laurens, None, agreement, 1, {order: "2.5"})
    login(officer)
    one = f"/{SLUG}/framework-agreements/{agreement.id}"
    r = client.post(f"{one}/exports", data={"export-csrf_token": csrf(one), "export-kind": "cak"})
    assert r.status_code == 302
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    run_jobs()
    assert f"{one}/exports/{run_id}.xlsx" in _page(client, one)
    download = client.get(f"{one}/exports/{run_id}.xlsx")
    assert download.status_code == 200 and download.mimetype == ops.XLSX
    book = load_workbook(io.BytesIO(download.data))
    assert [c.value for c in book["Per cliënt"][2]][:2] == ["GO-9", 1]
    assert book["Per cliënt"][2][5].value == 137.5  # 2,5 h × € 55
    download.close()
    html = _page(client, f"{one}/cak")
    assert "GO-9" in html and "€\xa0137,50" in html
    # Another buyer cannot fetch it.
    stranger = client_for(app, make_user(make_org("municipality", slug="fp-ander")))
    url = f"/fp-ander/framework-agreements/{agreement.id}/exports/{run_id}.xlsx"
    assert stranger.get(url).status_code == 404
    ops.export_path(buyer.id, run_id).unlink()
