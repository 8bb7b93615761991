"""The umbrella journey in real headless Chromium, each user in their own browser: KZZN's
staff enters a contract with Zorgverzekeraar Zuid on behalf of Elsendorp, Hoogeloon and
Laarbeek, and divides volume and budget among them; the members agree; the umbrella
approves; Elsendorp reports last month (a negative figure is refused first); the umbrella
sees the roll-up, makes the combined report and downloads the PDF; the insurer sees it on
its own page. Screenshots per step under test-output/browser/umbrella-contracts/."""

from __future__ import annotations

import re
from collections.abc import Iterator

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

from koepel.contracts import umbrella_contracting as uc
from koepel.contracts.models.core import add_months
from koepel.contracts.models.umbrella import ReportPeriod

pytestmark = pytest.mark.browser
TITLE = "Wijkverpleging en verzorging Peel (namens de leden)"
MEMBERS = {
    "elsendorp": ("Zorgcoöperatie Elsendorp", "1.800"),
    "hoogeloon": ("Zorgcoöperatie Hoogeloon", "1.500"),
    "laarbeek-zorg": ("Zorgcoöperatie Laarbeek", "2.400"),
}


@pytest.fixture(scope="module")
def live(app, new_database, tmp_path_factory) -> Iterator[Live]:
    with serve_demo(app, new_database, tmp_path_factory, "browser_umbrella") as server:
        yield server


def test_umbrella_contracts_on_behalf_of_members_and_reports_to_the_insurer(browsing, live):  # noqa: F811
    journey = Journey("umbrella-contracts")
    problems: list[str] = []
    month = uc.period_of(uc.today_local(), ReportPeriod.MONTH).start
    start = add_months(month, -10)
    last = uc.period_of(add_months(month, -1), ReportPeriod.MONTH)

    # -- the umbrella enters the contract on behalf of its members ---------------------------
    staff = _as(browsing, live, "staf.kzzn", "kzzn")
    staff.goto(f"{live.url}/kzzn/umbrella-contracts")
    staff.get_by_role("link", name="Nieuw contract namens de leden").click()
    staff.get_by_label("Titel van het contract").fill(TITLE)
    staff.get_by_label("Financier", exact=True).select_option(label="Zorgverzekeraar Zuid (demo)")
    for name, _volume in MEMBERS.values():
        expect(staff.get_by_label(name)).to_be_checked()
    staff.get_by_label("Begindatum").fill(start.isoformat())
    staff.get_by_label("Looptijd in maanden").fill("24")
    staff.get_by_label("Bedrag per jaar").fill("332.880,00")
    problems += _axe(browsing, staff, "new umbrella contract")
    journey.shot(staff, "new-contract")
    staff.get_by_role("button", name="Contract vastleggen").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(TITLE)
    contract_url = staff.url
    contract_id = int(re.search(r"/umbrella-contracts/(\d+)", contract_url)[1])

    # -- the allocation to members -------------------------------------------------------
    staff.get_by_role("link", name="Verdeling aan de leden maken").click()
    staff.get_by_label("Tarief per eenheid").fill("58,40")
    for name, volume in MEMBERS.values():
        staff.get_by_label(f"Volume voor {name}").fill(volume)
    journey.shot(staff, "allocation")
    staff.get_by_role("button", name="Verdeling voorstellen").click()
    expect(staff.get_by_text("De verdeling is voorgesteld.")).to_be_visible()
    expect(staff.get_by_text("€ 105.120,00")).to_be_visible()  # Elsendorp: 1 800 × 58,40
    journey.shot(staff, "allocation-proposed")

    # -- the members agree; Elsendorp sees its own share only ----------------------------
    members = {}
    for slug, local in (
        ("elsendorp", "coordinator.elsendorp"),
        ("hoogeloon", "coordinator.hoogeloon"),
        ("laarbeek-zorg", "coordinator.laarbeek-zorg"),
    ):
        page = _as(browsing, live, local, slug)
        page.goto(f"{live.url}/{slug}/umbrella-contracts")
        page.get_by_role("link", name=TITLE).click()
        if slug == "elsendorp":
            expect(page.get_by_text("€ 105.120,00")).to_be_visible()
            expect(page.get_by_text("€ 87.600,00")).to_have_count(0)  # Hoogeloon's share
            problems += _axe(browsing, page, "member contract page")
            journey.shot(page, "member-share")
        page.get_by_role("button", name="Akkoord geven op de verdeling").click()
        expect(page.get_by_text("U heeft akkoord gegeven op de verdeling.")).to_be_visible()
        members[slug] = page

    # -- the umbrella approves -----------------------------------------------------------
    staff.goto(contract_url)
    staff.get_by_role("button", name="Verdeling goedkeuren").click()
    expect(staff.get_by_text("De verdeling aan de leden is goedgekeurd.")).to_be_visible()
    journey.shot(staff, "approved")

    # -- Elsendorp reports last month: a negative figure first -------------------------
    coordinator = members["elsendorp"]
    coordinator.goto(f"{live.url}/elsendorp/umbrella-contracts/{contract_id}")
    expect(coordinator.get_by_label("Periode", exact=True)).to_have_value(last.key)
    coordinator.get_by_label("Geleverd volume").fill("-5")
    coordinator.get_by_label("Gewerkte uren").fill("168")
    coordinator.get_by_role("button", name="Cijfers opslaan").click()
    expect(coordinator.get_by_text("kan niet negatief zijn").first).to_be_visible()
    expect(coordinator.get_by_label("Gewerkte uren")).to_have_value("168")
    journey.shot(coordinator, "report-refused")
    coordinator.get_by_label("Geleverd volume").fill("142,5")
    coordinator.get_by_role("button", name="Cijfers opslaan").click()
    expect(coordinator.get_by_text(f"Uw cijfers over {last.key} zijn opgeslagen.")).to_be_visible()
    journey.shot(coordinator, "reported")

    # -- the umbrella sees the roll-up and makes the combined report ---------------------
    staff.goto(contract_url)
    expect(staff.get_by_role("heading", name="Overzicht van de leden")).to_be_visible()
    expect(staff.get_by_text("niet gerapporteerd").first).to_be_visible()
    expect(staff.locator("svg[role=img]")).to_have_count(1)
    expect(staff.get_by_role("cell", name="142,50").first).to_be_visible()
    problems += _axe(browsing, staff, "umbrella roll-up")
    journey.shot(staff, "rollup")
    staff.get_by_label("Periode", exact=True).select_option(label=last.key)
    staff.get_by_role("button", name="Verslag maken voor de financier").click()
    expect(staff.get_by_role("link", name="PDF downloaden")).to_be_visible()
    with staff.expect_download() as download:
        staff.get_by_role("link", name="PDF downloaden").click()
    with open(download.value.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"
    journey.shot(staff, "combined-report")

    # -- the insurer sees it on its contract page ------------------------------------
    insurer = _as(browsing, live, "contract.zorgverzekeraar-zuid", "zorgverzekeraar-zuid")
    insurer.goto(f"{live.url}/zorgverzekeraar-zuid/umbrella-contracts")
    insurer.get_by_role("link", name=TITLE).click()
    expect(insurer.get_by_role("heading", name="Verslagen aan de financier")).to_be_visible()
    with insurer.expect_download() as download:
        insurer.get_by_role("link", name="PDF downloaden").click()
    with open(download.value.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"
    problems += _axe(browsing, insurer, "insurer contract page")
    journey.shot(insurer, "insurer")

    assert not problems, "\n".join(problems)
