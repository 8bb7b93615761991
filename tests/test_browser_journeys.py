"""The tender journey with the steps that tests/test_browser_bids.py leaves out, each user in
their own headless Chromium: the Bladel officer drafts a tender in two lots with anonymous
evaluation and a term for questions; Elsendorp finds it, asks a question (keyboard only),
which the officer answers in a nota van inlichtingen; Elsendorp keeps its insurance in its
dossier, attaches it to a bid with Hoogeloon as partner, who adds its own declaration (UEA)
and confirms; Elsendorp and Laarbeek submit; two officials open; the reviewer declares no
conflict and scores bids that carry no names; the officer awards and sends the letters;
Laarbeek reads its letter, downloads the PDF and objects; the officer answers. axe-core
runs on every main page. Screenshots per step under test-output/browser/tender-journey/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

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
from test_browser_bids import _opened_bid_ids, _the_deadline_passes

from koepel.platform import demo
from koepel.platform.timeutil import AMSTERDAM, utcnow

pytestmark = pytest.mark.browser
SECOND_OFFICER = "inkoper2.bladel"
TITLE = "Ontmoeting en vervoer Kempen 2027"
QUESTION = "Mogen vrijwilligers de ritten rijden, of moeten het beroepskrachten zijn?"
ANSWER = "Vrijwilligers mogen rijden, met een geldige VOG en een rijbewijs B."
PDF = b"%PDF-1.4\n% koepel browser journey\n"


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


@pytest.fixture(scope="module")
def live(app, new_database, tmp_path_factory) -> Iterator[Live]:
    with serve_demo(app, new_database, tmp_path_factory, "browser_journeys", _setup) as server:
        yield server


def _day(days: int) -> str:
    return (utcnow().astimezone(AMSTERDAM).date() + timedelta(days=days)).isoformat()


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def _focus_is_visible(page: Page) -> bool:
    """Whether the focused element looks different from when it is not focused (an outline
    or a shadow that is not there without focus)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const look = (s) => [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]
                .join('|');
            const focused = look(getComputedStyle(el));
            el.blur();
            const unfocused = look(getComputedStyle(el));
            el.focus();
            const s = getComputedStyle(el);
            const hasRing = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                || s.boxShadow !== 'none';
            return hasRing && focused !== unfocused;
        }"""
    )


def _tab_to(page: Page, selector: str, limit: int = 80) -> list[str]:
    """Press Tab until the element matching ``selector`` has the focus; return what had the
    focus on the way (tag and name), so a test can check the order."""
    seen: list[str] = []
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.tagName.toLowerCase() + ':' + (e.name || e.textContent.trim()); }"
            )
        )
        if target.evaluate("el => el === document.activeElement"):
            return seen
    raise AssertionError(f"Tab never reached {selector}; focus went to {seen}")


def _ask_question_with_the_keyboard(page: Page, journey: Journey) -> None:
    """Only keys: Tab to the question field, type, Tab on to the button and press Enter."""
    form = "form[action$='/questions']"
    order = _tab_to(page, f"{form} select")
    assert not any(step.startswith("textarea") for step in order)
    page.keyboard.press("ArrowDown")  # the first lot, after "De hele aanbesteding"
    page.keyboard.press("Tab")
    expect(page.locator(f"{form} textarea")).to_be_focused()
    assert _focus_is_visible(page), "the focused text field shows no focus ring"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Tab")
    button = page.locator(f"{form} button[type=submit]")
    expect(button).to_be_focused()
    assert _focus_is_visible(page), "the focused submit button shows no focus ring"
    journey.shot(page, "bidder-question-keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Uw vraag is verstuurd, zonder de naam")).to_be_visible()


def test_bidding_with_questions_dossier_anonymous_scores_and_an_objection(browsing, live):  # noqa: F811
    journey = Journey("tender-journey")
    problems: list[str] = []

    def check(page: Page, step: str, what: str) -> None:
        journey.shot(page, step)
        problems.extend(axe_as_user(browsing, page, what))

    # -- the officer drafts a tender with a term for questions and anonymous evaluation ----
    officer = as_user(browsing, live, "inkoper.bladel", "bladel")
    officer.get_by_role("link", name="Aanbestedingen", exact=True).click()
    officer.get_by_role("link", name="Nieuwe aanbesteding").click()
    officer.get_by_label("Titel", exact=True).fill(TITLE)
    officer.get_by_label("Omschrijving").fill("Ontmoeting in het dorpshuis en vervoer ernaartoe.")
    officer.get_by_label("Geschatte waarde").fill("300.000,00")
    officer.get_by_label("Vragen stellen kan tot (datum)").fill(_day(7))
    officer.get_by_label("Vragen stellen kan tot (tijd)").fill("12:00")
    officer.get_by_label("Sluitingstermijn (datum)").fill(_day(21))
    officer.get_by_label("Sluitingstermijn (tijd)").fill("14:00")
    officer.get_by_label(re.compile("^Beoordelaars zien de inschrijvers zonder naam")).check()
    check(officer, "officer-new-tender", "new tender")
    officer.get_by_role("button", name="Concept opslaan").click()
    expect(officer.locator("h1")).to_have_text(TITLE)
    tender_id = int(re.search(r"/tenders/(\d+)$", officer.url).group(1))
    for title in ("Ontmoeting", "Vervoer"):
        officer.locator('[name="lot-title"]').fill(title)
        officer.locator('[name="lot-budget"]').fill("150.000,00")
        officer.get_by_role("button", name="Perceel toevoegen").click()
        expect(officer.get_by_role("cell", name=title, exact=True)).to_be_visible()
    for title, kind, weight in (("Prijs", "price", "40"), ("Kwaliteit", "quality", "60")):
        officer.locator('[name="criterion-title"]').fill(title)
        officer.locator('[name="criterion-kind"]').select_option(kind)
        officer.locator('[name="criterion-weight"]').fill(weight)
        officer.get_by_role("button", name="Criterium toevoegen").click()
        expect(officer.get_by_text(f"Het criterium {title} is toegevoegd.")).to_be_visible()
    expect(officer.get_by_text("Beoordelen zonder namen")).to_be_visible()
    officer.get_by_role("button", name="Publiceren").click()
    expect(officer.get_by_text("De aanbesteding is gepubliceerd.")).to_be_visible()
    check(officer, "officer-published", "published tender (buyer)")

    # -- Elsendorp finds the tender and asks a question, keyboard only -----------------------
    lead = as_user(browsing, live, "coordinator.elsendorp", "elsendorp")
    lead.get_by_role("link", name="Aanbestedingen en inschrijvingen").click()
    check(lead, "bidder-opportunities", "opportunities")
    lead.get_by_role("link", name=TITLE).click()
    expect(lead.get_by_text("Vragen stellen kan tot")).to_be_visible()
    check(lead, "bidder-tender", "tender (bidder)")
    lead.get_by_role("link", name="Een vraag stellen, en de antwoorden bekijken").click()
    expect(lead.locator("h1")).to_have_text("Vragen en antwoorden")
    _ask_question_with_the_keyboard(lead, journey)
    expect(lead.get_by_role("cell", name="ontvangen, nog niet beantwoord")).to_be_visible()
    check(lead, "bidder-question-sent", "questions (bidder)")

    # -- the officer answers in a nota van inlichtingen -------------------------------------
    officer.get_by_role("link", name="Vragen en antwoorden").click()
    question = officer.locator("section.koepel-card").filter(has_text=QUESTION)
    expect(question).to_contain_text("Perceel 1: Ontmoeting")
    question.get_by_label("Antwoord", exact=True).fill(ANSWER)
    question.get_by_role("button", name="Antwoord opslaan").click()
    expect(officer.get_by_text("Het antwoord is opgeslagen.")).to_be_visible()
    expect(officer.get_by_label(re.compile("^Mogen vrijwilligers"))).to_be_checked()
    check(officer, "officer-answer-ready", "questions (buyer)")
    officer.get_by_role("button", name="Nota publiceren").click()
    expect(officer.get_by_text("Nota van inlichtingen 1 is gepubliceerd.")).to_be_visible()
    journey.shot(officer, "officer-nota-published")

    lead.reload()
    nota = lead.locator("section.koepel-card").filter(has_text="Nota van inlichtingen 1")
    expect(nota).to_contain_text(ANSWER)
    expect(lead.get_by_role("cell", name="beantwoord in nota 1, vraag 1")).to_be_visible()
    with lead.expect_download() as download:
        nota.get_by_role("link", name="Download de nota (PDF)").click()
    assert open(download.value.path(), "rb").read(4) == b"%PDF"
    journey.shot(lead, "bidder-reads-nota")

    # -- Elsendorp keeps its insurance in its dossier and prepares a bid with a partner -----
    lead.goto(f"{live.url}/elsendorp/dossier")
    lead.get_by_label("Soort document").select_option(label="Verzekering")
    lead.get_by_label("Titel", exact=True).fill("Aansprakelijkheidsverzekering 2027")
    lead.get_by_label("Bestand", exact=True).set_input_files(_pdf("verzekering.pdf"))
    lead.get_by_role("button", name="Toevoegen").click()
    expect(
        lead.get_by_text("Aansprakelijkheidsverzekering 2027 staat in uw dossier.")
    ).to_be_visible()
    check(lead, "bidder-dossier", "dossier")

    lead.goto(f"{live.url}/elsendorp/opportunities/{tender_id}")
    lead.get_by_role("button", name="Inschrijven op dit perceel").first.click()
    lead.get_by_label(re.compile("^Prijs")).fill("138.000,00")
    lead.get_by_label(re.compile("^Kwaliteit")).fill("Elke week ontmoeting, vrijwilligers rijden.")
    lead.get_by_role("button", name="Opslaan", exact=True).click()
    expect(lead.get_by_text("Het concept is opgeslagen.")).to_be_visible()
    bid_url = lead.url
    lead.get_by_label("Document uit uw dossier").select_option(
        label="Verzekering: Aansprakelijkheidsverzekering 2027"
    )
    lead.get_by_role("button", name="Bijvoegen").click()
    expect(lead.get_by_role("link", name="Aansprakelijkheidsverzekering 2027")).to_be_visible()
    lead.locator('[name="consortium-partner"]').select_option(
        label="Zorgcoöperatie Hoogeloon (zorgcoöperatie)"
    )
    lead.locator('[name="consortium-share"]').fill("30")
    lead.get_by_role("button", name="Partner toevoegen").click()
    expect(lead.get_by_text("nog niet bevestigd")).to_be_visible()
    check(lead, "bidder-draft-with-partner", "bid draft with partner")

    # -- Hoogeloon adds its declaration (UEA) to its dossier and confirms --------------------
    partner = as_user(browsing, live, "coordinator.hoogeloon", "hoogeloon")
    partner.get_by_role("link", name="Aanbestedingen en inschrijvingen").click()
    partner.get_by_role("link", name="Bijlagen en verklaring").click()
    expect(partner.get_by_text("Voeg eerst uw eigen verklaring (UEA) toe")).to_be_visible()
    check(partner, "partner-needs-declaration", "partnership (partner)")
    partnership_url = partner.url
    partner.get_by_role("link", name="Naar uw dossier").click()
    partner.get_by_label("Soort document").select_option(label="Eigen verklaring (UEA)")
    partner.get_by_label("Titel", exact=True).fill("Eigen verklaring Hoogeloon")
    partner.get_by_label("Bestand", exact=True).set_input_files(_pdf("uea.pdf"))
    partner.get_by_role("button", name="Toevoegen").click()
    expect(partner.get_by_text("Eigen verklaring Hoogeloon staat in uw dossier.")).to_be_visible()
    partner.goto(partnership_url)
    partner.get_by_label("Uw eigen verklaring (UEA)").select_option(
        label="Eigen verklaring Hoogeloon"
    )
    partner.get_by_role("button", name="Deelname bevestigen").click()
    expect(partner.get_by_text("U heeft uw deelname bevestigd.")).to_be_visible()
    journey.shot(partner, "partner-confirmed")

    # -- Elsendorp submits and keeps the receipt; Laarbeek bids too ------------------------
    lead.goto(bid_url)
    expect(lead.get_by_role("link", name="Eigen verklaring Hoogeloon")).to_be_visible()
    lead.get_by_role("button", name="Indienen", exact=True).click()
    expect(lead.get_by_text("Uw inschrijving is ingediend.")).to_be_visible()
    receipt = lead.locator("section").filter(has_text="Ontvangstbewijs")
    expect(receipt.locator("code").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    check(lead, "bidder-receipt", "receipt")
    mail = live.mail_to(demo.demo_email("coordinator.elsendorp"))
    assert receipt.locator("code").first.inner_text() in mail.get_body(("plain",)).get_content()

    rival = as_user(browsing, live, "coordinator.laarbeek-zorg", "laarbeek-zorg")
    rival.goto(f"{live.url}/laarbeek-zorg/opportunities/{tender_id}")
    rival.get_by_role("button", name="Inschrijven op dit perceel").first.click()
    rival.get_by_label(re.compile("^Prijs")).fill("149.000,00")
    rival.get_by_label(re.compile("^Kwaliteit")).fill("Ontmoeting twee keer per maand.")
    rival.get_by_role("button", name="Indienen", exact=True).click()
    expect(rival.get_by_text("Uw inschrijving is ingediend.")).to_be_visible()
    rival_bid_url = rival.url

    # -- the deadline passes; two officials open -----------------------------------------
    _the_deadline_passes(live, tender_id)
    officer.goto(f"{live.url}/bladel/tenders/{tender_id}/opening")
    officer.get_by_role("button", name="Opening starten").click()
    second = as_user(browsing, live, SECOND_OFFICER, "bladel")
    second.goto(f"{live.url}/bladel/tenders/{tender_id}/opening")
    second.get_by_role("button", name="Opening bevestigen").click()
    expect(second.get_by_text("De inschrijvingen zijn geopend (2).")).to_be_visible()
    journey.shot(second, "officer-opened")
    officer.goto(f"{live.url}/bladel/tenders/{tender_id}/evaluation")
    officer.locator('[name="assign-reviewer"]').select_option(
        label="Kees Maas (beoordelaar.bladel@demo.koepel.nl)"
    )
    officer.locator('[name="assign-chair"]').check()
    officer.get_by_role("button", name="Beoordelaar toevoegen").click()
    expect(officer.get_by_text("Kees Maas beoordeelt deze aanbesteding")).to_be_visible()

    # -- the reviewer declares no conflict and scores bids without names ---------------------
    reviewer = as_user(browsing, live, "beoordelaar.bladel", "bladel")
    reviewer.goto(f"{live.url}/bladel/tenders/{tender_id}/evaluation")
    expect(reviewer.get_by_text("Inschrijver A")).to_have_count(0)  # not before declaring
    check(reviewer, "reviewer-declaration", "evaluation before the declaration")
    reviewer.locator('[name="declare-declaration"]').check()
    reviewer.get_by_role("button", name="Verklaring afleggen").click()
    expect(
        reviewer.get_by_text("U hebt verklaard dat u geen belangenconflict heeft.")
    ).to_be_visible()
    expect(reviewer.get_by_text("Inschrijver A").first).to_be_visible()
    expect(reviewer.get_by_text("Inschrijver B").first).to_be_visible()
    main = reviewer.locator("main")
    for name in ("Elsendorp", "Laarbeek", "Hoogeloon"):
        expect(main).not_to_contain_text(name)
    ids = _opened_bid_ids(live, tender_id)
    (criterion,) = {
        int(c) for c in re.findall(r'name="score-\d+-(\d+)-points"', reviewer.content())
    }
    points = {"Zorgcoöperatie Elsendorp": "8", "Zorgcoöperatie Laarbeek": "6"}
    for name, opened_id in ids.items():
        for what, button in (
            ("score", "Score opslaan"),
            ("consensus", "Consensusscore vastleggen"),
        ):
            prefix = f"{what}-{opened_id}-{criterion}"
            reviewer.locator(f'[name="{prefix}-points"]').fill(points[name])
            reviewer.locator(f'[name="{prefix}-motivation"]').fill("Past bij het dorp")
            reviewer.locator(f"form:has([name='{prefix}-points'])").get_by_role(
                "button", name=button
            ).click()
            expect(reviewer.locator(f'[name="{prefix}-points"]')).to_have_value(points[name])
    for name in ("Elsendorp", "Laarbeek"):
        expect(main).not_to_contain_text(name)
    check(reviewer, "reviewer-scored-without-names", "anonymous evaluation")

    # -- the officer awards and sends the letters --------------------------------------------
    officer.reload()
    expect(officer.get_by_text("Zorgcoöperatie Elsendorp").first).to_be_visible()  # keeps names
    officer.locator('[name="decide-reasons"]').fill("Beste verhouding tussen prijs en kwaliteit")
    officer.get_by_role("button", name="Gunning vastleggen").click()
    expect(officer.get_by_text("De gunning is vastgelegd.")).to_be_visible()
    officer.get_by_role("button", name="Brieven versturen").click()
    expect(officer.get_by_text("De brieven zijn verstuurd.")).to_be_visible()
    check(officer, "officer-letters-sent", "evaluation after the award")

    # -- Laarbeek reads its letter, downloads it and objects --------------------------------
    rival.goto(rival_bid_url)
    rival.get_by_role("link", name="De brief lezen of bezwaar maken").click()
    expect(rival.locator("h1")).to_have_text("Gunningsbeslissing en bezwaar")
    expect(rival.locator("section").filter(has_text="De brief")).to_contain_text("plaats 2 van 2")
    with rival.expect_download() as download:
        rival.get_by_role("link", name="Gunningsbrief downloaden (PDF)").click()
    assert open(download.value.path(), "rb").read(4) == b"%PDF"
    check(rival, "bidder-award-letter", "award letter (bidder)")
    rival.get_by_label("de beoordeling van mijn inschrijving (scores)").check()
    rival.get_by_label("Uw bezwaar", exact=True).fill(
        "Onze ontmoeting twee keer per maand is niet goed gelezen."
    )
    rival.get_by_role("button", name="Bezwaar indienen").click()
    expect(rival.get_by_text("Uw bezwaar is ingediend.")).to_be_visible()
    journey.shot(rival, "bidder-objection-lodged")

    # -- the officer answers the objection; Laarbeek reads the answer --------------------
    officer.reload()
    officer.get_by_label("Ongegrond: de gunning blijft staan").check()
    officer.get_by_label("Uw antwoord aan de inschrijver").fill(
        "Wij hebben de inschrijving opnieuw gelezen; de score blijft."
    )
    officer.get_by_role("button", name="Antwoord versturen").click()
    expect(officer.get_by_text("Uw antwoord is vastgelegd en naar de inschrijver")).to_be_visible()
    journey.shot(officer, "officer-objection-answered")
    rival.reload()
    expect(rival.get_by_text("het bezwaar is ongegrond")).to_be_visible()
    check(rival, "bidder-objection-answered", "objection answered (bidder)")

    assert not problems, "\n".join(problems)
