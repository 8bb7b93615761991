"""The bids journey in real headless Chromium, each user in their own browser: the Bladel
procurement officer publishes a tender with two lots; Hoogeloon and Elsendorp bid, and the
umbrella KZZN bids as lead of a consortium with Laarbeek, which confirms; the deadline
passes; two officials open the bids and download the record; the reviewer declares, scores
and records the consensus; the officer awards and sends the letters, which arrive; the
public OCDS package validates. Screenshots per step under test-output/browser/bids/."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (browser and browsing are fixtures)
    Journey,
    Live,
    browser,
    browsing,
    serve_demo,
)
from test_browser import as_user as _as
from test_browser import axe_as_user as _axe

from koepel.bids import ocds
from koepel.platform import demo
from koepel.platform.timeutil import AMSTERDAM, utcnow

pytestmark = pytest.mark.browser
SECOND_OFFICER = "inkoper2.bladel"
TITLE = "Dagbesteding Kempen 2027"


def _setup() -> None:
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation

    bladel = db.session.scalar(db.select(Organisation).filter_by(slug="bladel"))
    second = ops.create_user(
        actor=None,
        email=demo.demo_email(SECOND_OFFICER),
        display_name="Joost Gevers",
        password=demo.DEMO_PASSWORD,
    )
    ops.grant_role(actor=None, user=second, org=bladel, role="procurement_officer")
    # Laarbeek's own declaration (UEA), which goes with its confirmation as a partner.
    from koepel.bids import dossier
    from koepel.bids.models.dossier import DossierKind
    from koepel.platform.tenancy import acting_for

    laarbeek = db.session.scalar(db.select(Organisation).filter_by(slug="laarbeek-zorg"))
    with acting_for(laarbeek.id):
        dossier.add_document(
            actor=None,
            org=laarbeek,
            kind=DossierKind.UEA,
            title="Eigen verklaring Laarbeek",
            filename="uea.pdf",
            data=b"%PDF-1.4 eigen verklaring",
        )


@pytest.fixture(scope="module")
def live(app, new_database, tmp_path_factory) -> Iterator[Live]:
    with serve_demo(app, new_database, tmp_path_factory, "browser_bids", _setup) as server:
        yield server


def _day(days: int) -> str:
    return (utcnow().astimezone(AMSTERDAM).date() + timedelta(days=days)).isoformat()


def _the_deadline_passes(live: Live, tender_id: int) -> None:
    """Time moves on: the tender's submission deadline lies one second in the past."""
    from koepel.bids.models import Tender
    from koepel.platform.extensions import db
    from koepel.platform.tenancy import acting_for, cross_tenant
    from koepel.platform.web import commit

    with live.app.app_context():
        with cross_tenant("the test finds the tender's buyer"):
            buyer_id = db.session.get(Tender, tender_id).tenant_id
        with acting_for(buyer_id):
            tender = db.session.get(Tender, tender_id)
            tender.submission_deadline = utcnow() - timedelta(seconds=1)
            commit()
        db.session.remove()


def _opened_bid_ids(live: Live, tender_id: int) -> dict[str, int]:
    from sqlalchemy import select

    from koepel.bids.models import OpenedBid
    from koepel.platform.extensions import db
    from koepel.platform.tenancy import cross_tenant

    with live.app.app_context():
        with cross_tenant("the test finds the forms of the opened bids"):
            rows = db.session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender_id))
            ids = {row.bidder_name: row.id for row in rows}
        db.session.remove()
    return ids


def test_tender_bids_opening_scores_letters_and_open_data(browsing, live):  # noqa: F811
    journey = Journey("bids")
    problems: list[str] = []

    # -- the officer drafts and publishes ------------------------------------------------
    officer = _as(browsing, live, "inkoper.bladel", "bladel")
    officer.get_by_role("link", name="Aanbestedingen", exact=True).click()
    officer.get_by_role("link", name="Nieuwe aanbesteding").click()
    officer.get_by_label("Titel", exact=True).fill(TITLE)
    officer.get_by_label("Omschrijving").fill("Dagbesteding dicht bij huis, met vrijwilligers.")
    officer.get_by_label("Geschatte waarde").fill("500.000,00")
    officer.get_by_label("Sluitingstermijn (datum)").fill(_day(14))
    officer.get_by_label("Sluitingstermijn (tijd)").fill("14:00")
    journey.shot(officer, "new-tender")
    officer.get_by_role("button", name="Concept opslaan").click()
    expect(officer.locator("h1")).to_have_text(TITLE)
    tender_id = int(re.search(r"/tenders/(\d+)$", officer.url).group(1))
    for title in ("Hoogeloon", "Casteren"):
        officer.locator('[name="lot-title"]').fill(title)
        officer.locator('[name="lot-budget"]').fill("250.000,00")
        officer.get_by_role("button", name="Perceel toevoegen").click()
        expect(officer.get_by_role("cell", name=title, exact=True)).to_be_visible()
    for title, kind, weight in (
        ("Prijs", "price", "40"),
        ("Kwaliteit van de dagbesteding", "quality", "35"),
        ("Maatschappelijke meerwaarde", "social_value", "25"),
    ):
        officer.locator('[name="criterion-title"]').fill(title)
        officer.locator('[name="criterion-kind"]').select_option(kind)
        officer.locator('[name="criterion-weight"]').fill(weight)
        officer.get_by_role("button", name="Criterium toevoegen").click()
    problems += _axe(browsing, officer, "tender draft")
    journey.shot(officer, "tender-draft")
    officer.get_by_role("button", name="Publiceren").click()
    expect(officer.get_by_text("De aanbesteding is gepubliceerd.")).to_be_visible()
    journey.shot(officer, "published")

    # -- three bids ------------------------------------------------------------------------
    def bid(local: str, slug: str, lot: int, price: str, plan: str, partner: str = ""):
        page = _as(browsing, live, local, slug)
        page.get_by_role("link", name="Aanbestedingen en inschrijvingen").click()
        page.get_by_role("link", name=TITLE).click()
        page.get_by_role("button", name="Inschrijven op dit perceel").nth(lot).click()
        page.get_by_label(re.compile("^Prijs")).fill(price)
        page.get_by_label(re.compile("^Kwaliteit van de dagbesteding")).fill(f"Plan: {plan}")
        page.get_by_label(re.compile("^Maatschappelijke meerwaarde")).fill(f"Meerwaarde: {plan}")
        page.get_by_role("button", name="Opslaan", exact=True).click()
        expect(page.get_by_text("Het concept is opgeslagen.")).to_be_visible()
        if partner:
            page.locator('[name="consortium-partner"]').select_option(label=partner)
            page.locator('[name="consortium-role"]').select_option("main")
            page.locator('[name="consortium-share"]').fill("40")
            page.get_by_role("button", name="Partner toevoegen").click()
            expect(page.get_by_text("nog niet bevestigd")).to_be_visible()
        return page

    for local, slug, lot, price, plan in (
        ("coordinator.hoogeloon", "hoogeloon", 0, "240.000,00", "ontmoeting in het dorpshuis"),
        ("coordinator.elsendorp", "elsendorp", 1, "230.000,00", "dagbesteding op de boerderij"),
    ):
        page = bid(local, slug, lot, price, plan)
        page.get_by_role("button", name="Indienen", exact=True).click()
        expect(page.get_by_text("Uw inschrijving is ingediend.")).to_be_visible()
        problems += _axe(browsing, page, "receipt")
        journey.shot(page, f"receipt-{slug}")

    lead = bid(
        "staf.kzzn",
        "kzzn",
        0,
        "245.000,00",
        "vier dorpen samen",
        partner="Zorgcoöperatie Laarbeek (zorgcoöperatie)",
    )
    journey.shot(lead, "consortium-draft")
    partner = _as(browsing, live, "coordinator.laarbeek-zorg", "laarbeek-zorg")
    partner.get_by_role("link", name="Aanbestedingen en inschrijvingen").click()
    expect(partner.get_by_text("Koepel Zorgcoöperaties Zuid-Nederland")).to_be_visible()
    expect(partner.get_by_text("245.000")).to_have_count(0)  # a partner sees no price
    partner.get_by_role("button", name="Deelname bevestigen").click()
    expect(partner.get_by_text("U heeft uw deelname bevestigd.")).to_be_visible()
    journey.shot(partner, "partner-confirmed")
    lead.reload()
    lead.get_by_role("button", name="Indienen", exact=True).click()
    expect(lead.get_by_text("Uw inschrijving is ingediend.")).to_be_visible()

    # Before the deadline the officer sees nothing of the bids.
    officer.goto(f"{live.url}/bladel/tenders/{tender_id}/evaluation")
    for secret in ("Hoogeloon", "Elsendorp", "245.000", "vier dorpen"):
        assert secret not in officer.locator("main").inner_text()

    # -- the deadline passes; four eyes open the bids ---------------------------------------
    _the_deadline_passes(live, tender_id)
    officer.goto(f"{live.url}/bladel/tenders/{tender_id}/opening")
    officer.get_by_role("button", name="Opening starten").click()
    second = _as(browsing, live, SECOND_OFFICER, "bladel")
    second.goto(f"{live.url}/bladel/tenders/{tender_id}/opening")
    second.get_by_role("button", name="Opening bevestigen").click()
    expect(second.get_by_text("Zorgcoöperatie Hoogeloon").first).to_be_visible()
    expect(second.get_by_text("Koepel Zorgcoöperaties Zuid-Nederland").first).to_be_visible()
    problems += _axe(browsing, second, "opening")
    journey.shot(second, "opened")
    with second.expect_download() as download:
        second.get_by_role("link", name="Proces-verbaal (PDF)").click()
    assert open(download.value.path(), "rb").read(4) == b"%PDF"

    # -- the reviewer: declared, scores, consensus ------------------------------------------
    officer.goto(f"{live.url}/bladel/tenders/{tender_id}/evaluation")
    officer.locator('[name="assign-reviewer"]').select_option(
        label="Kees Maas (beoordelaar.bladel@demo.koepel.nl)"
    )
    officer.locator('[name="assign-chair"]').check()
    officer.get_by_role("button", name="Beoordelaar toevoegen").click()
    reviewer = _as(browsing, live, "beoordelaar.bladel", "bladel")
    reviewer.goto(f"{live.url}/bladel/tenders/{tender_id}/evaluation")
    expect(reviewer.get_by_text("Zorgcoöperatie Hoogeloon")).to_have_count(0)
    reviewer.locator('[name="declare-declaration"]').check()
    reviewer.get_by_role("button", name="Verklaring afleggen").click()
    expect(reviewer.get_by_text("Zorgcoöperatie Hoogeloon").first).to_be_visible()
    ids = _opened_bid_ids(live, tender_id)
    criterion_ids = sorted(
        {int(c) for c in re.findall(r'name="score-\d+-(\d+)-points"', reviewer.content())}
    )
    assert len(criterion_ids) == 2  # quality and social value; price is computed
    points = {"Zorgcoöperatie Hoogeloon": "8", "Zorgcoöperatie Elsendorp": "7"}
    for name, opened_id in ids.items():
        for criterion_id in criterion_ids:
            for what, button in (
                ("score", "Score opslaan"),
                ("consensus", "Consensusscore vastleggen"),
            ):
                prefix = f"{what}-{opened_id}-{criterion_id}"
                reviewer.locator(f'[name="{prefix}-points"]').fill(points.get(name, "6"))
                reviewer.locator(f'[name="{prefix}-motivation"]').fill("Sterk in het dorp")
                reviewer.locator(f"form:has([name='{prefix}-points'])").get_by_role(
                    "button", name=button
                ).click()
                expect(reviewer.locator(f'[name="{prefix}-points"]')).to_be_visible()
    problems += _axe(browsing, reviewer, "evaluation")
    journey.shot(reviewer, "scored")

    # -- award and letters -------------------------------------------------------------------
    officer.reload()
    officer.locator('[name="decide-reasons"]').fill("Beste verhouding tussen prijs en kwaliteit")
    officer.get_by_role("button", name="Gunning vastleggen").click()
    officer.get_by_role("button", name="Brieven versturen").click()
    expect(officer.get_by_text("opschortende termijn eindigt").first).to_be_visible()
    journey.shot(officer, "letters-sent")
    letter = live.mail_to(demo.demo_email("coordinator.hoogeloon"))
    body = letter.get_body(("plain",)).get_content()
    assert "plaats 1 van 2" in body and "Zorgcoöperatie Hoogeloon" in body
    to_lead = live.mail_to(demo.demo_email("staf.kzzn")).get_body(("plain",)).get_content()
    assert "plaats 2 van 2" in to_lead

    # -- open data ---------------------------------------------------------------------------
    with urllib.request.urlopen(f"{live.url}/api/v1/public/tenders/{tender_id}/ocds") as r:
        package = json.loads(r.read())
    assert ocds.validate(package) == []
    awarded = {s["name"] for a in package["releases"][0]["awards"] for s in a["suppliers"]}
    assert awarded == {"Zorgcoöperatie Hoogeloon", "Zorgcoöperatie Elsendorp"}
    assert problems == [], "\n".join(problems)
