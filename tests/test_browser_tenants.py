"""Journeys of the tenants module in real headless Chromium: a coordinator registers a
member, answers a help request by matching a volunteer and logs the hours; umbrella staff
invite a cooperative whose board accepts, and see the dashboard; a municipality finds the
cooperatives in its area."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (browser and browsing are fixtures)
    Journey,
    Live,
    axe_as_user,
    browser,
    browsing,
    log_in,
    serve_demo,
)

from koepel.platform import demo
from koepel.platform.timeutil import AMSTERDAM, utcnow

pytestmark = pytest.mark.browser
STADSDORP_BOARD = "bestuur.stadsdorp-zuid@demo.koepel.nl"


def _setup() -> None:
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation

    stadsdorp = db.session.scalar(db.select(Organisation).filter_by(slug="stadsdorp-zuid"))
    board = ops.create_user(
        actor=None, email=STADSDORP_BOARD, display_name="Bert Bestuur", password=demo.DEMO_PASSWORD
    )
    ops.grant_role(actor=None, user=board, org=stadsdorp, role="board")


@pytest.fixture(scope="module")
def live(app, new_database, tmp_path_factory) -> Iterator[Live]:
    with serve_demo(app, new_database, tmp_path_factory, "browser_tenants", _setup) as server:
        yield server


def test_coordinator_registers_a_member_matches_a_volunteer_and_logs_hours(browsing, live):
    journey = Journey("coordinator")
    problems: list[str] = []
    page = browsing.page()
    log_in(page, live, demo.demo_email("coordinator.elsendorp"), demo.DEMO_PASSWORD, "elsendorp")
    page.get_by_role("link", name="Leden", exact=True).click()
    problems += axe_as_user(browsing, page, "members")
    journey.shot(page, "members")
    page.get_by_role("link", name="Nieuw lid inschrijven").click()
    page.get_by_label("Voornaam").fill("Gerda")
    page.get_by_label("Achternaam").fill("Swinkels")
    page.get_by_label("Straat").fill("Dorpsstraat")
    page.get_by_label("Huisnummer").fill("4")
    page.get_by_label("Postcode").fill("5424 ab")
    page.get_by_label("Woonplaats").fill("Elsendorp")
    journey.shot(page, "new-member")
    page.get_by_role("button", name="Opslaan").click()
    message = page.get_by_text(re.compile(r"Gerda Swinkels is ingeschreven als lid \d+"))
    expect(message).to_be_visible()
    number = re.search(r"lid (\d+)", message.inner_text()).group(1)
    expect(page.get_by_text("5424 AB")).to_be_visible()
    problems += axe_as_user(browsing, page, "member")
    journey.shot(page, "member")

    # Gerda becomes a volunteer too.
    page.get_by_role("link", name="Vrijwilliger", exact=True).click()
    page.get_by_label("Vervoer").check()
    page.get_by_label("maandag ochtend").check()
    problems += axe_as_user(browsing, page, "volunteer form")
    journey.shot(page, "volunteer-form")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Gerda Swinkels is nu vrijwilliger.")).to_be_visible()
    expect(page.get_by_role("cell", name="Gerda Swinkels")).to_be_visible()
    problems += axe_as_user(browsing, page, "volunteers")
    journey.shot(page, "volunteers")

    page.goto(f"{live.url}/elsendorp/help/new")
    page.get_by_label("Lidnummer van wie hulp vraagt").fill(number)
    page.get_by_label("Dienst").select_option(label="Vervoer")
    page.get_by_label("Toelichting").fill("Naar de fysiotherapeut in Gemert")
    problems += axe_as_user(browsing, page, "new help request")
    journey.shot(page, "help-request")
    page.get_by_role("button", name="Hulpvraag opslaan").click()
    expect(page.get_by_text("De hulpvraag is opgeslagen.")).to_be_visible()
    problems += axe_as_user(browsing, page, "help request with candidates")
    journey.shot(page, "candidates")
    page.get_by_role("button", name=re.compile("^Koppel ")).first.click()
    expect(page.get_by_text(re.compile("is gekoppeld"))).to_be_visible()
    page.get_by_label("Hoeveel tijd kostte het? (uren)").fill("1,5")
    page.get_by_role("button", name="Afgerond", exact=True).click()
    expect(page.get_by_text("Afgerond.")).to_be_visible()
    journey.shot(page, "done")

    # Hours without a help request: Gerda drove to the market.
    page.goto(f"{live.url}/elsendorp/hours")
    page.get_by_label("Vrijwilliger", exact=True).select_option(label="Gerda Swinkels")
    page.get_by_label("Datum", exact=True).fill(utcnow().astimezone(AMSTERDAM).date().isoformat())
    page.get_by_label("Uren", exact=True).fill("2")
    page.get_by_label("Waarvoor").fill("Rijden naar de markt")
    problems += axe_as_user(browsing, page, "hours")
    journey.shot(page, "hours")
    page.get_by_role("button", name="Uren opslaan").click()
    expect(page.get_by_text("De uren zijn opgeslagen.")).to_be_visible()

    page.goto(f"{live.url}/elsendorp/dashboard")
    expect(page.locator("h1")).to_contain_text("Overzicht")
    expect(page.locator("svg").first).to_be_visible()
    problems += axe_as_user(browsing, page, "cooperative dashboard")
    journey.shot(page, "dashboard")

    # The cooperative's own annual report, made by a job (inline here), then downloaded.
    page.goto(f"{live.url}/elsendorp/")
    page.get_by_role("link", name="Jaarverslag").click()
    page.get_by_text("PDF", exact=True).click()
    problems += axe_as_user(browsing, page, "annual report")
    journey.shot(page, "annual-report-form")
    page.get_by_role("button", name="Jaarverslag maken").click()
    expect(page.get_by_role("status").filter(has_text="Klaar.")).to_be_visible()
    page.goto(f"{live.url}/elsendorp/reports")
    link = page.get_by_role("link", name=re.compile(r"Jaarverslag \d{4} \(PDF\) downloaden"))
    with page.expect_download() as download:
        link.first.click()
    assert download.value.suggested_filename.startswith("jaarverslag-elsendorp-")
    assert open(download.value.path(), "rb").read(4) == b"%PDF"
    journey.shot(page, "annual-report-list")
    assert not problems, "\n".join(problems)


def test_umbrella_invites_a_cooperative_whose_board_accepts(browsing, live):
    journey = Journey("umbrella")
    problems: list[str] = []
    staff = browsing.page()
    log_in(staff, live, demo.demo_email("staf.kzzn"), demo.DEMO_PASSWORD, "kzzn")
    staff.get_by_role("link", name="Aangesloten coöperaties").click()
    expect(staff.get_by_role("rowheader", name="Zorgcoöperatie Elsendorp")).to_be_visible()
    staff.get_by_label("Zorgcoöperatie", exact=True).select_option(label="Stadsdorp Zuid")
    staff.get_by_label("Bericht").fill("Welkom bij de koepel!")
    problems += axe_as_user(browsing, staff, "member cooperatives")
    journey.shot(staff, "invite")
    staff.get_by_role("button", name="Uitnodiging versturen").click()
    expect(staff.get_by_text("Stadsdorp Zuid is uitgenodigd.")).to_be_visible()

    board = browsing.page()
    log_in(board, live, STADSDORP_BOARD, demo.DEMO_PASSWORD, "stadsdorp-zuid")
    board.get_by_role("link", name="Koepel en nieuws").click()
    expect(board.get_by_text("Welkom bij de koepel!")).to_be_visible()
    problems += axe_as_user(browsing, board, "umbrella invitation (cooperative)")
    journey.shot(board, "invitation")
    board.get_by_role("button", name="Lid worden").click()
    expect(board.get_by_text("U bent nu lid van de koepel.")).to_be_visible()
    board.get_by_role("button", name="Toestemming geven om ledengegevens in te zien").click()
    journey.shot(board, "member-with-consent")

    staff.reload()
    row = staff.get_by_role("row").filter(has=staff.get_by_role("rowheader", name="Stadsdorp Zuid"))
    expect(row).to_contain_text("bekijken")
    row.get_by_role("link", name="bekijken").click()  # the consent lets staff see members
    expect(staff.locator("h1")).to_have_text("Leden van Stadsdorp Zuid")
    expect(staff.get_by_role("row")).not_to_have_count(0)
    problems += axe_as_user(browsing, staff, "member details of a cooperative")
    journey.shot(staff, "member-details")
    staff.go_back()
    staff.get_by_role("link", name=re.compile("^Leden")).click()  # sort by members
    expect(staff.locator("svg").first).to_be_visible()
    problems += axe_as_user(browsing, staff, "umbrella dashboard")
    journey.shot(staff, "dashboard")

    # News for the members, which the new member's board reads.
    staff.get_by_role("link", name="Nieuws voor de coöperaties").click()
    staff.get_by_label("Titel", exact=True).first.fill("Scholing voor coördinatoren")
    staff.get_by_label("Tekst", exact=True).fill("Op 12 maart in Helmond, aanmelden bij de koepel.")
    staff.get_by_role("button", name="Publiceren").click()
    expect(
        staff.get_by_text("Het nieuws staat nu bij alle aangesloten coöperaties.")
    ).to_be_visible()
    problems += axe_as_user(browsing, staff, "umbrella news")
    journey.shot(staff, "news")
    board.reload()
    expect(board.get_by_text("Scholing voor coördinatoren")).to_be_visible()
    journey.shot(board, "news-read")

    staff.goto(f"{live.url}/kzzn/")
    staff.get_by_role("link", name="Jaarverslag").click()
    staff.get_by_text("PDF", exact=True).click()
    problems += axe_as_user(browsing, staff, "umbrella annual report")
    journey.shot(staff, "annual-report-form")
    staff.get_by_role("button", name="Jaarverslag maken").click()
    expect(staff.get_by_role("status").filter(has_text="Klaar.")).to_be_visible()  # inline jobs
    staff.goto(f"{live.url}/kzzn/reports")
    link = staff.get_by_role("link", name=re.compile(r"Jaarverslag \d{4} \(PDF\) downloaden"))
    with staff.expect_download() as download:
        link.first.click()
    assert download.value.suggested_filename.startswith("jaarverslag-kzzn-")
    journey.shot(staff, "annual-report-list")
    assert not problems, "\n".join(problems)


def test_municipality_finds_the_cooperatives_in_its_area(browsing, live):
    journey = Journey("municipality")
    page = browsing.page()
    log_in(page, live, demo.demo_email("inkoper.bladel"), demo.DEMO_PASSWORD, "bladel")
    page.get_by_role("link", name="Zorgcoöperaties in ons gebied").click()
    expect(page.get_by_role("heading", name="Zorgcoöperatie Hoogeloon")).to_be_visible()
    expect(page.get_by_text("Vervoer").first).to_be_visible()
    expect(page.get_by_role("heading", name="Zorgcoöperatie Elsendorp")).to_have_count(0)
    journey.shot(page, "area")
