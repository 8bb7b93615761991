"""Contract pages: entering a contract without a tender, parties signing on their own pages,
the award button, documents, KPIs (a closed period refused, what was typed kept, the chart),
payments as a party sees them, and partnership agreements."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from test_contracts_core import (  # noqa: F401  (alphen: a fixture)
    alphen,
    award,
    coalition_contract,
    running,
    sign_everything,
)

from koepel.contracts import contract_payments, contracting, kpis
from koepel.contracts.models.core import (
    Contract,
    ContractStatus,
    KpiDirection,
    KpiPeriod,
    PartnershipAgreement,
    PartnershipStatus,
    PartyRole,
)
from koepel.platform.tenancy import acting_for

from conftest import client_for, csrf_from

D = Decimal


def post(client, url: str, prefix: str | None, fields: dict, page: str | None = None):
    """Post a form the way a browser would: the CSRF token from the page it is on."""
    token = csrf_from(client.get(page or url.rsplit("/", 1)[0]).text)
    name = f"{prefix}-" if prefix else ""
    data = {f"{name}{k}": v for k, v in fields.items()}
    data[f"{name}csrf_token"] = token
    return client.post(url, data=data)


def test_a_contract_without_a_tender_is_entered_and_each_party_signs_on_its_own_pages(
    app,
    db,
    alphen,  # noqa: F811
):
    w = alphen
    buyer, provider = w["buyer"], w["lead"]
    officer = client_for(app, w["officer"])
    base = f"/{buyer.slug}/contracts"
    page = officer.get(f"{base}/new")
    assert page.status_code == 200 and "Nieuw contract zonder aanbesteding" in page.text
    form = {
        "title": "Subsidie wijkcoaches",
        "kind": "subsidy",
        "start_date": "2026-01-01",
        "initial_months": "24",
        "yearly_amount": "120.000,00",
        "value": "240.000,00",
        "payment_frequency": "months",
        "option_reminder_days": "90",
        "kpi_window_days": "60",
        "csrf_token": csrf_from(page.text),
    }
    refused = officer.post(f"{base}/new", data={**form, "yearly_amount": "12,345"})
    assert refused.status_code == 200 and 'value="12,345"' in refused.text
    assert 'value="Subsidie wijkcoaches"' in refused.text
    done = officer.post(f"{base}/new", data=form)
    assert done.status_code == 302
    contract_id = int(done.headers["Location"].rsplit("/", 1)[1])
    detail = f"{base}/{contract_id}"
    added = post(
        officer,
        f"{detail}/parties",
        "party",
        {"organisation": provider.slug, "role": "main"},
        page=detail,
    )
    assert added.status_code == 302
    option = post(
        officer,
        f"{detail}/options",
        "option",
        {"months": "12", "decision_date": "2027-09-30"},
        page=detail,
    )
    assert option.status_code == 302
    with acting_for(buyer.id):
        contract = db.session.get(Contract, contract_id)
        party = next(p for p in contract.parties if p.organisation_id == provider.id)
        own = next(p for p in contract.parties if p.organisation_id == buyer.id)
        assert (contract.yearly_amount, len(contract.options)) == (D("120000.00"), 1)
    signed = post(officer, f"{detail}/sign", "sign", {"counterparty": str(party.id)}, page=detail)
    assert signed.status_code == 302
    # The provider finds the contract in its list and signs its side.
    contact = client_for(app, w["people"][provider.id])
    listing = contact.get(f"/{provider.slug}/contracts")
    assert "Subsidie wijkcoaches" in listing.text and buyer.name in listing.text
    theirs = f"/{provider.slug}/contracts/{contract_id}"
    seen = contact.get(theirs)
    assert seen.status_code == 200 and "Tekenen namens" in seen.text
    assert "Partij toevoegen" not in seen.text  # only the owner manages
    signed = post(contact, f"{theirs}/sign", "sign", {"counterparty": str(own.id)}, page=theirs)
    assert signed.status_code == 302
    assert "het contract is getekend" in contact.get(theirs).text
    # The owner's forms are not the party's: 404.
    assert (
        post(contact, f"{theirs}/status", "status", {"step": "activate"}, page=theirs).status_code
        == 404
    )
    ran = post(officer, f"{detail}/status", "status", {"step": "activate"}, page=detail)
    assert ran.status_code == 302 and "lopend" in officer.get(detail).text
    # Anyone else: 404, as for a contract that does not exist.
    outsider = client_for(app, w["people"][w["outsider"].id])
    assert outsider.get(f"/{w['outsider'].slug}/contracts/{contract_id}").status_code == 404
    assert outsider.get(f"/{w['outsider'].slug}/contracts/{contract_id}/kpis").status_code == 404


def test_the_award_button_makes_a_draft_contract_with_the_consortium(app, db, alphen):  # noqa: F811
    w = alphen
    ctx = award(db, w)
    officer = client_for(app, w["officer"])
    base = f"/{w['buyer'].slug}/contracts"
    listing = officer.get(base)
    assert "Gunningen zonder contract" in listing.text and "Kwadraad" in listing.text
    nothing = post(officer, f"{base}/from-award", "award", {"initial_months": "48"}, page=base)
    assert nothing.status_code == 200 and "Kies een of meer definitieve gunningen" in nothing.text
    made = post(
        officer,
        f"{base}/from-award",
        "award",
        {"awards": f"{ctx['award_id']}:{ctx['bid_id']}", "initial_months": "48"},
        page=base,
    )
    assert made.status_code == 302
    page = officer.get(made.headers["Location"])
    assert "penvoerder" in page.text and "Wijdezorg" in page.text and "onderaannemer" in page.text
    assert "Tom in de buurt" in page.text
    assert "Gunningen zonder contract" not in officer.get(base).text


def test_documents_keep_their_versions_and_parties_download_them(app, db, alphen):  # noqa: F811
    w = alphen
    contract = running(db, w["buyer"], w["officer"], w["lead"], w["people"])
    officer = client_for(app, w["officer"])
    detail = f"/{w['buyer'].slug}/contracts/{contract.id}"
    for content in (b"versie een", b"versie twee"):
        token = csrf_from(officer.get(detail).text)
        response = officer.post(
            f"{detail}/documents",
            data={
                "document-csrf_token": token,
                "document-title": "Overeenkomst",
                "document-file": (__import__("io").BytesIO(content), "overeenkomst.txt"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    token = csrf_from(officer.get(detail).text)
    bad = officer.post(
        f"{detail}/documents",
        data={
            "document-csrf_token": token,
            "document-title": "Virus",
            "document-file": (__import__("io").BytesIO(b"MZ"), "virus.exe"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200 and "Dit soort bestand kan niet" in bad.text
    assert 'value="Virus"' in bad.text
    contact = client_for(app, w["people"][w["lead"].id])
    page = contact.get(f"/{w['lead'].slug}/contracts/{contract.id}")
    assert "versie 2" in page.text and "vervangen door een nieuwere versie" in page.text
    links = re.findall(r'href="([^"]+/documents/\d+)"', page.text)
    assert {contact.get(link).data for link in links} == {b"versie een", b"versie twee"}
    outsider = client_for(app, w["people"][w["outsider"].id])
    foreign = links[0].replace(w["lead"].slug, w["outsider"].slug)
    assert outsider.get(foreign).status_code == 404


def test_a_kpi_value_for_a_closed_period_is_refused_and_what_was_typed_stays(app, db, alphen):  # noqa: F811
    w = alphen
    today = contracting.today_local()
    start = date(today.year - 1, 1, 1)
    contract = running(
        db, w["buyer"], w["officer"], w["lead"], w["people"], start_date=start, kpi_window_days=30
    )
    with acting_for(w["buyer"].id):
        kpi = kpis.add_kpi(
            actor=w["officer"],
            owner=w["buyer"],
            contract=contract,
            name="Bereik",
            unit="inwoners",
            target=D(450),
            direction=KpiDirection.HIGHER,
            period=KpiPeriod.QUARTER,
        )
    contact = client_for(app, w["people"][w["lead"].id])
    page_url = f"/{w['lead'].slug}/contracts/{contract.id}/kpis"
    page = contact.get(page_url)
    assert page.status_code == 200 and "Waarde melden" in page.text
    url = f"{page_url}/{kpi.id}/values"
    closed = post(
        contact,
        url,
        f"kpi{kpi.id}",
        {"period": start.isoformat(), "value": "467,5", "note": "Na de zomer meer bereik"},
        page=page_url,
    )
    assert closed.status_code == 200
    assert "te melden is voorbij" in closed.text
    assert 'value="467,5"' in closed.text and "Na de zomer meer bereik" in closed.text
    future = kpis.span_of(today, KpiPeriod.QUARTER)
    refused = post(
        contact, url, f"kpi{kpi.id}", {"period": future.key, "value": "400"}, page=page_url
    )
    assert "nog niet voorbij" in refused.text
    last = kpis.span_of(future.start - timedelta(days=1), KpiPeriod.QUARTER)
    with acting_for(w["buyer"].id):
        contract.kpi_window_days = 366  # so the last quarter is open whatever today is
        db.session.flush()
    ok = post(contact, url, f"kpi{kpi.id}", {"period": last.key, "value": "467,5"}, page=page_url)
    assert ok.status_code == 302
    officer = client_for(app, w["officer"])
    table = officer.get(f"/{w['buyer'].slug}/contracts/{contract.id}/kpis")
    assert "467,5" in table.text and "gehaald" in table.text and "<svg" in table.text
    assert "<script" not in table.text and "Waarde melden" not in table.text


def test_a_subcontractor_sees_its_own_payments_only(app, db, alphen):  # noqa: F811
    w = alphen
    contract = coalition_contract(db, w)
    sign_everything(db, w, contract.id)
    buyer, officer = w["buyer"], w["officer"]
    with acting_for(buyer.id):
        contract.yearly_amount = D("8500000.00")
        contracting.activate(actor=officer, owner=buyer, contract=contract)
        lead = next(p for p in contract.parties if p.role == PartyRole.LEAD)
        contract_payments.plan_advances(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=lead.id,
            year=contract.start_date.year,
        )
    sub = w["subs"][0]
    page = client_for(app, w["people"][sub.id]).get(f"/{sub.slug}/contracts/{contract.id}/payments")
    assert page.status_code == 200 and "708.333" not in page.text
    assert "deelt dit contract niet" in page.text and "8.500.000,00" in page.text
    mine = client_for(app, w["people"][w["lead"].id]).get(
        f"/{w['lead'].slug}/contracts/{contract.id}/payments"
    )
    assert "708.333,3" in mine.text
    owner = client_for(app, w["officer"]).get(f"/{buyer.slug}/contracts/{contract.id}/payments")
    assert "Voorschotten plannen" in owner.text and "708.333,3" in owner.text


def test_a_partnership_agreement_through_the_pages(app, db, make_org, make_user):
    coop = make_org("cooperative", name="Stadsdorp Zuid")
    puur = make_org("provider", name="PuurZuid")
    cordaan = make_org("provider", name="Cordaan")
    coordinator = client_for(app, make_user(coop, "coordinator"))
    base = f"/{coop.slug}/partnership-agreements"
    page = coordinator.get(f"{base}/new")
    assert page.status_code == 200 and "PuurZuid" in page.text
    form = {
        "title": "Samenwerking Stadsdorp Zuid en PuurZuid",
        "partner": puur.slug,
        "starts_on": "2026-01-01",
        "responsible": "partner",
        "professional_share": "60",
        "volunteer_share": "25",
        "family_share": "10",
        "money_percentage": "20",
        "csrf_token": csrf_from(page.text),
    }
    wrong = coordinator.post(f"{base}/new", data=form)
    assert wrong.status_code == 200 and "95%" in wrong.text and 'value="10"' in wrong.text
    made = coordinator.post(f"{base}/new", data={**form, "family_share": "15"})
    assert made.status_code == 302
    detail = made.headers["Location"]
    agreement_id = int(detail.rsplit("/", 1)[1])
    added = post(
        coordinator,
        f"{detail}/criteria",
        "criterion",
        {"title": "Vertrouwde gezichten"},
        page=detail,
    )
    assert added.status_code == 302
    partner = client_for(app, make_user(puur, "contact"))
    theirs = f"/{puur.slug}/partnership-agreements/{agreement_id}"
    seen = partner.get(theirs)
    assert "Vertrouwde gezichten" in seen.text and "Instemmen" in seen.text
    assert post(partner, f"{theirs}/agree", "agree", {}, page=theirs).status_code == 302
    ended = post(
        coordinator,
        f"{detail}/end",
        "end",
        {"ended_on": "2026-12-31", "reason": "PuurZuid stopt", "successor": cordaan.slug},
        page=detail,
    )
    assert ended.status_code == 302
    with acting_for(coop.id):
        rows = db.session.scalars(select(PartnershipAgreement).order_by(PartnershipAgreement.id))
        first, second = rows.all()
    assert first.status == PartnershipStatus.ENDED and second.predecessor_id == first.id
    other = client_for(app, make_user(cordaan, "contact"))
    assert other.get(f"/{cordaan.slug}/partnership-agreements/{agreement_id}").status_code == 404
    assert (
        "Vertrouwde gezichten"
        in other.get(f"/{cordaan.slug}/partnership-agreements/{second.id}").text
    )


def test_the_contract_list_shows_both_sides(app, db, alphen):  # noqa: F811
    w = alphen
    contract = running(db, w["buyer"], w["officer"], w["lead"], w["people"], title="Pilot Noord")
    assert contract.status == ContractStatus.ACTIVE
    officer = client_for(app, w["officer"]).get(f"/{w['buyer'].slug}/contracts")
    assert "Contracten die wij beheren" in officer.text and "Pilot Noord" in officer.text
    provider = client_for(app, w["people"][w["lead"].id]).get(f"/{w['lead'].slug}/contracts")
    assert "Contracten die wij beheren" not in provider.text and "Pilot Noord" in provider.text


def test_a_pilot_after_a_right_to_challenge_names_the_challenger(app, db, make_org, make_user):
    from koepel.bids.models.challenges import (
        Challenge,
        ChallengeAssessment,
        ChallengeDecision,
        ChallengeStatus,
    )
    from koepel.platform.timeutil import utcnow

    bladel = make_org("municipality", name="Gemeente Bladel")
    hoogeloon = make_org("cooperative", name="Zorgcoöperatie Hoogeloon")
    officer = make_user(bladel, "procurement_officer")
    with acting_for(hoogeloon.id):
        challenge = Challenge(
            tenant_id=hoogeloon.id,
            municipality_id=bladel.id,
            task_name="Dagbesteding",
            status=ChallengeStatus.SUBMITTED,
        )
        db.session.add(challenge)
        db.session.flush()
    with acting_for(bladel.id):
        assessment = ChallengeAssessment(
            tenant_id=bladel.id,
            challenge_id=challenge.id,
            challenger_id=hoogeloon.id,
            term_days=56,
            decision=ChallengeDecision.PILOT,
            decided_at=utcnow(),
        )
        db.session.add(assessment)
        db.session.flush()
    client = client_for(app, officer)
    page = client.get(f"/{bladel.slug}/contracts/new")
    assert "Pilot met Zorgcoöperatie Hoogeloon" in page.text
    made = client.post(
        f"/{bladel.slug}/contracts/new",
        data={
            "title": "Pilot dagbesteding Hoogeloon",
            "kind": "pilot",
            "challenge": str(assessment.id),
            "start_date": "2026-01-01",
            "initial_months": "12",
            "payment_frequency": "months",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert made.status_code == 302
    detail = client.get(made.headers["Location"]).text
    assert "pilot na de uitdaging van Zorgcoöperatie Hoogeloon" in detail
    assert "hoofdaannemer" in detail
