"""The contracts module's pages in real headless Chromium, each user in their own browser:
the Bladel procurement officer runs a framework agreement (catalogue, a provider with its
volume agreement, start, a call-off; the provider reports a period; the officer closes it);
an allocation budget of the umbrella KZZN is divided among two members, who agree, and
Bladel approves; a shared district budget of last year gets its deliveries and is settled,
with a statement per partner. axe-core runs on every main page. Screenshots per step under
test-output/browser/framework/, budget-allocation/ and district-settlement/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from test_browser import (  # noqa: F401  (browser and browsing are fixtures)
    Journey,
    Live,
    as_user,
    axe_as_user,
    browser,
    browsing,
    serve_demo,
)

from koepel.platform.timeutil import AMSTERDAM, utcnow

pytestmark = pytest.mark.browser
FRAMEWORK = "Raamovereenkomst begeleiding Bladel"
ALLOCATION = "Welzijnspot Kempen"
DISTRICT = "Wijkpot Peel"


@pytest.fixture(scope="module")
def live(app, new_database, tmp_path_factory) -> Iterator[Live]:
    with serve_demo(app, new_database, tmp_path_factory, "browser_contracts") as server:
        yield server


def _last_year() -> int:
    """Last year in Amsterdam, asked at the moment of use: all its periods are over."""
    return utcnow().astimezone(AMSTERDAM).year - 1


class Checked:
    """Screenshots per step, and axe-core on the main pages, for one journey."""

    def __init__(self, session, name: str) -> None:
        self.session, self.journey, self.problems = session, Journey(name), []

    def shot(self, page: Page, step: str) -> None:
        self.journey.shot(page, step)

    def check(self, page: Page, step: str, what: str) -> None:
        self.journey.shot(page, step)
        self.problems += axe_as_user(self.session, page, what)

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def test_officer_runs_a_framework_agreement_and_a_provider_reports(browsing, live):  # noqa: F811
    steps = Checked(browsing, "framework")
    year = _last_year()
    officer = as_user(browsing, live, "inkoper.bladel", "bladel")
    officer.goto(f"{live.url}/bladel/framework-agreements")
    steps.check(officer, "list", "framework agreements")
    officer.get_by_role("link", name="Nieuwe raamovereenkomst").click()
    officer.get_by_label("Naam", exact=True).fill(FRAMEWORK)
    officer.get_by_label("Jaar", exact=True).fill(str(year))
    officer.get_by_label(re.compile("^Budget verhogen bij")).fill("5")
    officer.get_by_label(re.compile("^Budget verlagen bij")).fill("10")
    steps.check(officer, "new", "new framework agreement")
    officer.get_by_role("button", name="Opslaan").click()
    expect(officer.get_by_text("De raamovereenkomst is opgeslagen.")).to_be_visible()
    expect(officer.locator("h1")).to_have_text(FRAMEWORK)
    agreement_url = officer.url

    # The catalogue: a negative tariff is refused and what was typed stays.
    product = officer.locator("form").filter(
        has=officer.get_by_role("heading", name="Product of tarief instellen")
    )
    product.get_by_label("Product", exact=True).select_option("ambulatory/medium")
    product.get_by_label("Tarief per eenheid").fill("-55,00")
    product.get_by_role("button", name="Opslaan").click()
    expect(officer.get_by_text("kan niet negatief zijn").first).to_be_visible()
    expect(product.get_by_label("Tarief per eenheid")).to_have_value("-55,00")
    steps.shot(officer, "tariff-refused")
    product.get_by_label("Tarief per eenheid").fill("55,00")
    product.get_by_role("button", name="Opslaan").click()
    expect(officer.get_by_text("staat in de catalogus.")).to_be_visible()

    party = officer.locator("form").filter(
        has=officer.get_by_role("heading", name="Partij toevoegen")
    )
    party.get_by_label("Partij", exact=True).select_option(label="PuurZuid")
    party.get_by_label("Afgesproken aantal cliënten").fill("12")
    party.get_by_role("button", name="Partij toevoegen").click()
    expect(officer.get_by_text("PuurZuid doet mee. Maak nu de volumeafspraak.")).to_be_visible()
    officer.get_by_label(re.compile("^Volume ")).first.fill("1.000")
    officer.get_by_role("button", name="Volumeafspraak opslaan").click()
    expect(officer.get_by_text("De volumeafspraak is opgeslagen.")).to_be_visible()
    expect(officer.get_by_text("€\xa055.000,00").first).to_be_visible()  # 1.000 × € 55
    steps.check(officer, "provider", "provider in the framework agreement")

    # Starting needs every level of a group offered: the refusal names the product in words.
    officer.goto(agreement_url)
    officer.get_by_role("button", name="Raamovereenkomst starten").click()
    expect(
        officer.get_by_text("Het tarief van Ambulante ondersteuning, licht ontbreekt.")
    ).to_be_visible()
    steps.shot(officer, "start-refused")
    for code, tariff in (("ambulatory/light", "45,00"), ("ambulatory/heavy", "65,00")):
        product.get_by_label("Product", exact=True).select_option(code)
        product.get_by_label("Tarief per eenheid").fill(tariff)
        product.get_by_role("button", name="Opslaan").click()
        expect(officer.get_by_text("staat in de catalogus.")).to_be_visible()
    officer.get_by_role("button", name="Raamovereenkomst starten").click()
    expect(officer.get_by_text("De raamovereenkomst loopt. Afroepen kan nu.")).to_be_visible()
    steps.check(officer, "started", "framework agreement")

    officer.get_by_role("link", name="Afroepen", exact=True).click()
    officer.get_by_label("Aanbieder").select_option(label="PuurZuid")
    officer.get_by_label("Cliëntnummer").fill("BL-0042")
    officer.get_by_label("Aantal eenheden").fill("52")
    officer.get_by_label("Van", exact=True).fill(f"{year}-01-05")  # in period 1
    officer.get_by_label("Tot en met", exact=True).fill(f"{year}-12-01")
    officer.get_by_role("button", name="Afroepen", exact=True).click()
    expect(officer.get_by_text(re.compile(r"Afroep \d+ is geplaatst\."))).to_be_visible()
    expect(officer.get_by_role("cell", name="BL-0042")).to_be_visible()
    steps.check(officer, "call-off", "call-offs")

    # -- the provider reports period 1 ------------------------------------------------------
    provider = as_user(browsing, live, "contact.puurzuid", "puurzuid")
    provider.goto(f"{live.url}/puurzuid/framework-contracts")
    steps.check(provider, "provider-list", "framework contracts (provider)")
    provider.get_by_role("link", name=FRAMEWORK).click()
    provider.get_by_label("Periode", exact=True).select_option("1")
    provider.get_by_role("button", name="Kiezen").click()
    provider.get_by_label(re.compile(r"^Afroep \d+ · BL-0042")).fill("4")
    provider.get_by_label("Toelichting voor de opdrachtgever").fill("Twee cliënten in januari.")
    provider.get_by_role("button", name="Melding versturen").click()
    expect(provider.get_by_text("Uw melding over periode 1 is verstuurd.")).to_be_visible()
    steps.check(provider, "provider-reported", "framework contract (provider)")

    # -- the officer sees the figures, closes period 1 and looks at the CAK figures -----------
    officer.get_by_role("link", name="Cijfers per periode").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Cijfers per periode")
    officer.get_by_role("button", name="Periode 1 afsluiten").click()
    expect(officer.get_by_text("Periode 1 is afgesloten; 1 voorstel(len)")).to_be_visible()
    steps.check(officer, "period-closed", "periods")
    # One client instead of twelve: the rule proposes a lower ceiling; the officer rejects it.
    officer.get_by_label("Toelichting").fill("Het jaar is net begonnen.")
    officer.get_by_role("button", name="Afwijzen").click()
    expect(officer.get_by_text("Het voorstel is afgewezen.")).to_be_visible()
    expect(officer.get_by_text("Er liggen geen voorstellen open.")).to_be_visible()
    officer.get_by_role("link", name="Cijfers voor het CAK").click()
    expect(officer.get_by_role("cell", name="BL-0042").first).to_be_visible()
    steps.check(officer, "cak", "CAK figures")
    steps.assert_clean()


def test_umbrella_divides_a_budget_the_members_agree_and_the_municipality_approves(
    browsing,  # noqa: F811
    live,
):
    steps = Checked(browsing, "budget-allocation")
    year = _last_year() + 2  # next year's budget
    staff = as_user(browsing, live, "staf.kzzn", "kzzn")
    staff.goto(f"{live.url}/kzzn/budgets")
    steps.check(staff, "list", "budgets")
    staff.get_by_role("link", name="Nieuwe pot").click()
    staff.get_by_label("Naam van de pot").fill(ALLOCATION)
    staff.get_by_label("Vooraf verdelen onder de partners").check()
    staff.get_by_label("Periode van").fill(f"{year}-01-01")
    staff.get_by_label("Periode tot en met").fill(f"{year}-12-31")
    staff.get_by_label("Wie keurt de verdeling goed?").select_option(label="Gemeente Bladel")
    steps.check(staff, "new", "new budget")
    staff.get_by_role("button", name="Pot aanmaken").click()
    expect(staff.get_by_text("De pot is aangemaakt.")).to_be_visible()
    budget_url = staff.url

    staff.get_by_label("Financier").select_option(label="Gemeente Bladel")
    staff.get_by_label("Regeling").fill("Wmo")
    staff.get_by_label("Bedrag").fill("100.000,00")
    staff.get_by_role("button", name="Financiering toevoegen").click()
    for name in ("Zorgcoöperatie Elsendorp", "Zorgcoöperatie Hoogeloon"):
        staff.get_by_label("Organisatie", exact=True).select_option(label=name)
        staff.get_by_role("button", name="Partner toevoegen").click()
        expect(staff.get_by_text(f"{name} is partner.")).to_be_visible()
    steps.check(staff, "detail", "budget")

    staff.get_by_role("link", name="Nieuwe versie van de verdeling").click()
    staff.get_by_label("Hoe wordt verdeeld?").select_option(label="Vaste percentages")
    staff.get_by_role("button", name="Kies deze manier").click()
    staff.get_by_label("Percentage voor Zorgcoöperatie Elsendorp").fill("60")
    staff.get_by_label("Percentage voor Zorgcoöperatie Hoogeloon").fill("50")
    staff.get_by_role("button", name="Versie voorstellen").click()
    expect(staff.get_by_role("alert").first).to_be_visible()  # 110 %: refused, typed kept
    expect(staff.get_by_label("Percentage voor Zorgcoöperatie Hoogeloon")).to_have_value("50")
    steps.check(staff, "version-refused", "new allocation version with errors")
    staff.get_by_label("Percentage voor Zorgcoöperatie Hoogeloon").fill("40")
    staff.get_by_role("button", name="Versie voorstellen").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Verdeling, versie 1")
    expect(staff.get_by_text("€\xa060.000,00").first).to_be_visible()
    version_path = re.search(r"/budgets/\d+/allocations/\d+$", staff.url).group(0)
    steps.check(staff, "version", "allocation version")

    for local, slug in (
        ("coordinator.elsendorp", "elsendorp"),
        ("coordinator.hoogeloon", "hoogeloon"),
    ):
        member = as_user(browsing, live, local, slug)
        member.goto(f"{live.url}/{slug}{version_path}")
        member.get_by_role("button", name="Akkoord geven").click()
        expect(member.get_by_role("status").first).to_be_visible()
        if slug == "elsendorp":
            steps.check(member, "member-agreed", "allocation version (partner)")

    officer = as_user(browsing, live, "inkoper.bladel", "bladel")
    officer.goto(f"{live.url}/bladel/budgets")
    officer.get_by_role("link", name=ALLOCATION).click()
    steps.check(officer, "funder-budget", "budget (funder)")
    officer.goto(f"{live.url}/bladel{version_path}")
    officer.get_by_role("button", name="Verdeling goedkeuren").click()
    expect(officer.get_by_text("De verdeling is goedgekeurd.")).to_be_visible()
    steps.check(officer, "approved", "approved allocation (funder)")
    staff.goto(budget_url)
    expect(staff.get_by_text("goedgekeurd").first).to_be_visible()
    steps.shot(staff, "owner-sees-approval")
    steps.assert_clean()


def test_a_district_budget_is_settled_with_a_statement_per_partner(browsing, live):  # noqa: F811
    steps = Checked(browsing, "district-settlement")
    year = _last_year()
    staff = as_user(browsing, live, "staf.kzzn", "kzzn")
    staff.goto(f"{live.url}/kzzn/budgets/new")
    staff.get_by_label("Naam van de pot").fill(DISTRICT)
    staff.get_by_label(re.compile("^Gedeelde wijkpot")).check()
    staff.get_by_label("Periode van").fill(f"{year}-01-01")
    staff.get_by_label("Periode tot en met").fill(f"{year}-12-31")
    staff.get_by_label("Wie keurt de verdeling goed?").select_option(label="Gemeente Bladel")
    staff.get_by_role("button", name="Pot aanmaken").click()
    expect(staff.get_by_text("De pot is aangemaakt.")).to_be_visible()
    budget_url = staff.url
    staff.get_by_label("Financier").select_option(label="Gemeente Bladel")
    staff.get_by_label("Regeling", exact=True).first.fill("Wmo")
    staff.get_by_label("Bedrag").fill("50.000,00")
    staff.get_by_role("button", name="Financiering toevoegen").click()
    for name, advance in (
        ("Zorgcoöperatie Elsendorp", "20.000,00"),
        ("Zorgcoöperatie Hoogeloon", "20.000,00"),
    ):
        staff.get_by_label("Organisatie", exact=True).select_option(label=name)
        staff.get_by_label("Voorschot al ontvangen (wijkpot)").fill(advance)
        staff.get_by_role("button", name="Partner toevoegen").click()
        expect(staff.get_by_text(f"{name} is partner.")).to_be_visible()
    steps.check(staff, "district-budget", "district budget")

    for local, slug, hours in (
        ("coordinator.elsendorp", "elsendorp", "400"),
        ("coordinator.hoogeloon", "hoogeloon", "250"),
    ):
        member = as_user(browsing, live, local, slug)
        member.goto(f"{live.url}/{slug}/budgets")
        member.get_by_role("link", name=DISTRICT).click()
        delivery = member.locator("form").filter(
            has=member.get_by_role("heading", name="Geleverde zorg vastleggen")
        )
        delivery.get_by_label("Datum").fill(f"{year}-06-30")
        delivery.get_by_label("Hoeveelheid").fill(hours)
        delivery.get_by_label("Tarief per eenheid").fill("52,00")
        delivery.get_by_role("button", name="Vastleggen").click()
        expect(member.get_by_text("De geleverde zorg is vastgelegd.")).to_be_visible()
        if slug == "elsendorp":
            steps.check(member, "delivery-recorded", "district budget (partner)")

    staff.goto(budget_url)
    staff.get_by_role("button", name="Pot verrekenen").click()
    expect(staff.get_by_text("De pot is verrekend.")).to_be_visible()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Verrekening van {DISTRICT}")
    steps.check(staff, "settlement", "settlement")
    staff.get_by_role("link", name="Afrekening van Zorgcoöperatie Elsendorp").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(
        "Afrekening van Zorgcoöperatie Elsendorp"
    )
    expect(staff.get_by_text("€\xa020.800,00").first).to_be_visible()  # 400 h × € 52
    steps.check(staff, "statement", "statement")

    member = as_user(browsing, live, "coordinator.hoogeloon", "hoogeloon")
    member.goto(f"{live.url}/hoogeloon/budgets")
    member.get_by_role("link", name=DISTRICT).click()
    member.get_by_role("link", name=re.compile("^De verrekening van")).click()
    member.get_by_role("link", name="Uw eigen afrekening").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(
        "Afrekening van Zorgcoöperatie Hoogeloon"
    )
    expect(member.get_by_text("€\xa013.000,00").first).to_be_visible()  # 250 h × € 52
    expect(member.get_by_text("Afrekening van Zorgcoöperatie Elsendorp")).to_have_count(0)
    steps.check(member, "own-statement", "own statement (partner)")
    steps.assert_clean()
