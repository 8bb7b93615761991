"""Journeys in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) against a live server with the demo data.

The live server runs its own app on its own database (from ``new_database``), with the
data *committed* so the server thread sees it; CSRF protection stays on (the browser posts
real tokens) and jobs run inline, so e-mails are in MAIL_FOLDER once the response is in.
Every page may only load from the live server itself (no CDN), must not log script errors
or CSP violations, and every sub-resource must load. Screenshots of each step go to
test-output/browser/<journey>/<nn>-<step>.png.

Without /usr/bin/chromium (or Playwright) the tests are skipped with the reason, unless
KOEPEL_REQUIRE_SERVERS=1, which turns that into a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from koepel.platform import demo

from conftest import missing
from live_server import LiveServer

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # reported by the ``browser`` fixture
    Page = Any  # type: ignore[assignment,misc]
    expect = sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output" / "browser"
AXE = ROOT / "platform" / "static" / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Set up by the ``live`` fixture besides the demo data.
SWITCHER_USER = "staf.kzzn"  # staff at kzzn, and here also coordinator at hoogeloon
RESET_EMAIL = "wachtwoord.vergeten@demo.koepel.nl"  # only for the reset journey
INVITEE_EMAIL = "nieuwe.vrijwilliger@example.org"


# -- the live server ----------------------------------------------------------------------
class Live:
    def __init__(self, url: str, mail_folder: Path, app: Any = None) -> None:
        self.url = url
        self.mail_folder = mail_folder
        self.app = app  # the served app, for a journey that must move time on its data

    def mail_to(self, address: str) -> EmailMessage:
        """The newest message the file backend wrote to ``address``."""
        paths = sorted(self.mail_folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        parser = BytesParser(policy=email_policy.default)
        messages = [parser.parsebytes(p.read_bytes()) for p in paths]
        mine = [m for m in messages if m["To"] == address]
        assert mine, f"no e-mail to {address} in {self.mail_folder} ({len(messages)} others)"
        return mine[-1]  # type: ignore[return-value]

    def link_in(self, message: EmailMessage, path: str) -> str:
        body = message.get_body(("plain",)).get_content()
        links = re.findall(r"https?://\S+", body)
        assert links, f"no link in the e-mail:\n{body}"
        assert len(links) == 1 and links[0].startswith(f"{self.url}{path}"), (
            f"expected one link to {self.url}{path}..., got {links}"
        )
        return links[0]


@contextmanager
def serve_demo(app, new_database, tmp_path_factory, name: str, setup=None) -> Iterator[Live]:
    """The demo data, committed, served over HTTP from a separate app on its own database
    (``app``, the session's app, has set KOEPEL_INSTANCE; this one has no SERVER_NAME).
    ``setup()`` runs in its app context before the commit, for a journey's extra data."""
    from flask_migrate import upgrade

    from koepel.platform.app import create_app
    from koepel.platform.extensions import db
    from koepel.platform.web import commit

    mail_folder = tmp_path_factory.mktemp(f"{name}-mail")
    live_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": new_database(name),
            "SECRET_KEY": "browser-test-secret",
            "KOEPEL_ENV": "testing",
            "REDIS_URL": None,  # jobs (e-mail) inline: done when the response is in
            "MAIL_BACKEND": "file",
            "MAIL_FOLDER": str(mail_folder),
            # The hasher is process-wide: keep the session app's cheap test parameters.
            "ARGON2_PARAMETERS": app.config.get("ARGON2_PARAMETERS"),
        }
    )
    assert live_app.config["WTF_CSRF_ENABLED"] is not False
    assert not live_app.config.get("SERVER_NAME")
    with live_app.app_context():
        upgrade()
        demo.load()
        if setup is not None:
            setup()
        commit()
        db.session.remove()
    server = LiveServer(live_app)
    try:
        yield Live(server.url, mail_folder, live_app)
    finally:
        server.stop()
        with live_app.app_context():
            db.engine.dispose()


def _platform_journeys_setup() -> None:
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation

    hoogeloon = db.session.scalar(db.select(Organisation).filter_by(slug="hoogeloon"))
    laarbeek = db.session.scalar(db.select(Organisation).filter_by(slug="laarbeek-zorg"))
    ops.grant_role(
        actor=None,
        user=ops.find_user(demo.demo_email(SWITCHER_USER)),
        org=hoogeloon,
        role="coordinator",
    )
    forgetful = ops.create_user(
        actor=None, email=RESET_EMAIL, display_name="Door Vergeet", password=demo.DEMO_PASSWORD
    )
    ops.grant_role(actor=None, user=forgetful, org=laarbeek, role="volunteer")


@pytest.fixture(scope="module")
def live(app, new_database, tmp_path_factory) -> Iterator[Live]:
    with serve_demo(
        app, new_database, tmp_path_factory, "browser", _platform_journeys_setup
    ) as server:
        yield server


# -- the browser --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        missing("Playwright for Python")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"Chromium ({CHROMIUM})")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Browsing:
    """Opens pages in fresh contexts and watches what they do: every request must go to the
    live server, no script error or CSP violation may be logged, every sub-resource loads."""

    def __init__(self, browser, live: Live) -> None:
        self.browser, self.live = browser, live
        self.contexts: list = []
        self.requests: list[str] = []
        self.problems: list[str] = []

    def page(self, **context_options: Any) -> Page:
        context = self.browser.new_context(
            locale="nl-NL", viewport={"width": 1280, "height": 800}, **context_options
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("response", self._check_response)
        page.on("console", lambda msg: self._check_console(page, msg))
        page.on(
            "pageerror", lambda error: self.problems.append(f"{page.url}: script error {error}")
        )
        return page

    def _check_response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.url}: HTTP {response.status}")

    def _check_console(self, page: Page, msg) -> None:
        # A failing resource is caught by _check_response (and a 404 *page* is expected).
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.problems.append(f"{page.url}: console error {msg.text}")

    def check(self) -> None:
        base = self.live.url + "/"
        foreign = [url for url in self.requests if not url.startswith(base)]
        assert not foreign, f"requests to other hosts than {base}: {foreign}"
        assert not self.problems, "\n".join(self.problems)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser, live) -> Iterator[Browsing]:
    session = Browsing(browser, live)
    try:
        yield session
    finally:
        session.close()
    session.check()


class Journey:
    """Numbered screenshots under test-output/browser/<name>/."""

    def __init__(self, name: str) -> None:
        self.folder = OUTPUT / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.step = 0

    def shot(self, page: Page, step: str) -> None:
        self.step += 1
        page.screenshot(path=str(self.folder / f"{self.step:02d}-{step}.png"), full_page=True)


# -- helpers ------------------------------------------------------------------------------
ORG_NAMES = {slug: name for slug, _kind, name in demo.ORGANISATIONS}


def fill_login(page: Page, live: Live, email: str, password: str) -> None:
    page.goto(f"{live.url}/login", wait_until="domcontentloaded")
    page.get_by_label("E-mailadres", exact=True).fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)


def submit_login(page: Page) -> None:
    page.get_by_role("button", name="Inloggen", exact=True).click()


def log_in(page: Page, live: Live, email: str, password: str, slug: str) -> None:
    fill_login(page, live, email, password)
    submit_login(page)
    expect_org_home(page, live, slug)


def expect_org_home(page: Page, live: Live, slug: str) -> None:
    expect(page).to_have_url(f"{live.url}/{slug}/")
    expect(page.locator("h1")).to_have_text(ORG_NAMES[slug])


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Uitloggen", exact=True).click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)


def axe_problems(page: Page, what: str) -> list[str]:
    """What axe-core finds serious or critical on the page as it is now (one line each,
    with up to five offending elements)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{what} ({page.url}): {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"      {n['target']}: {n['html'][:160]}" for n in v["nodes"][:5])
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def axe_as_user(session: Browsing, page: Page, what: str) -> list[str]:
    """axe-core on the page as it is now, seen by the same user in a second context that
    may inject the script (the journey's own pages keep the strict CSP)."""
    checker = session.page(bypass_csp=True, storage_state=page.context.storage_state())
    checker.goto(page.url)
    try:
        # Not the login page or another page it was sent to instead: the same page, checked.
        assert checker.url.split("#")[0] == page.url.split("#")[0], (
            f"{what}: the checker landed on {checker.url}, not {page.url}"
        )
        return axe_problems(checker, what)
    finally:
        checker.close()


def as_user(session: Browsing, live: Live, local: str, slug: str) -> Page:
    """A fresh browser of the demo user ``local``, logged in at ``slug``."""
    page = session.page()
    log_in(page, live, demo.demo_email(local), demo.DEMO_PASSWORD, slug)
    return page


# -- the journeys -------------------------------------------------------------------------
def test_every_demo_account_logs_in_to_its_organisation_and_out(browsing, live):
    journey = Journey("login-every-account")
    kind_of = {slug: kind for slug, kind, _name in demo.ORGANISATIONS}
    shown_kinds: set = set()
    failures = []
    for local, name, slug, _role in demo.USERS:
        page = browsing.page()
        screenshots = kind_of[slug] not in shown_kinds
        shown_kinds.add(kind_of[slug])
        try:
            fill_login(page, live, demo.demo_email(local), demo.DEMO_PASSWORD)
            if screenshots:
                journey.shot(page, f"{local}-login-form")
            submit_login(page)
            expect_org_home(page, live, slug)
            expect(page.locator(".koepel-user-menu")).to_contain_text(name)
            if screenshots:
                journey.shot(page, f"{local}-home")
            log_out(page)
            if screenshots:
                journey.shot(page, f"{local}-logged-out")
        except AssertionError as exc:
            failures.append(f"{local} ({slug}): {exc}")
        finally:
            page.context.close()
    assert not failures, "\n\n".join(failures)


def test_wrong_password_says_so_in_dutch_and_keeps_the_email(browsing, live):
    journey = Journey("wrong-password")
    page = browsing.page()
    email = demo.demo_email("bestuur.elsendorp")
    fill_login(page, live, email, "dit-is-niet-het-wachtwoord")
    journey.shot(page, "login-form")
    submit_login(page)
    summary = page.locator(".koepel-error-summary")
    expect(summary).to_contain_text("Het e-mailadres of het wachtwoord klopt niet.")
    expect(summary).to_be_focused()  # autofocus: read out first
    expect(page).to_have_url(f"{live.url}/login")
    expect(page.get_by_label("E-mailadres", exact=True)).to_have_value(email)
    expect(page.get_by_label("Wachtwoord", exact=True)).to_have_value("")
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)
    journey.shot(page, "error")

    # The right password still works (and clears the failure for this account).
    page.get_by_label("Wachtwoord", exact=True).fill(demo.DEMO_PASSWORD)
    submit_login(page)
    expect_org_home(page, live, "elsendorp")
    journey.shot(page, "home")


def test_coordinator_invites_someone_who_accepts_and_lands_logged_in(browsing, live):
    journey = Journey("invitation")
    page = browsing.page()
    log_in(page, live, demo.demo_email("coordinator.elsendorp"), demo.DEMO_PASSWORD, "elsendorp")
    page.get_by_role("link", name="Mensen en uitnodigingen").click()
    expect(page).to_have_url(f"{live.url}/elsendorp/people")
    expect(page.locator("h1")).to_have_text("Mensen bij Zorgcoöperatie Elsendorp")
    page.get_by_label("E-mailadres", exact=True).fill(INVITEE_EMAIL)
    page.get_by_label("Rol", exact=True).select_option(label="vrijwilliger")
    journey.shot(page, "invite-form")
    page.get_by_role("button", name="Uitnodiging versturen").click()
    expect(page).to_have_url(f"{live.url}/elsendorp/people")
    expect(page.get_by_role("status")).to_contain_text(
        f"De uitnodiging is verstuurd naar {INVITEE_EMAIL}."
    )
    expect(page.get_by_text(f"{INVITEE_EMAIL} (vrijwilliger)")).to_be_visible()
    journey.shot(page, "invitation-sent")

    mail = live.mail_to(INVITEE_EMAIL)
    assert "Zorgcoöperatie Elsendorp" in mail["Subject"]
    link = live.link_in(mail, "/invitation/")

    newcomer = browsing.page()  # someone else's browser
    newcomer.goto(link)
    expect(newcomer.locator("h1")).to_contain_text("Uitnodiging voor")
    heading = newcomer.locator("h1").inner_text()  # checked at the end, see below
    expect(
        newcomer.get_by_text(f"U bent uitgenodigd als vrijwilliger voor {INVITEE_EMAIL}.")
    ).to_be_visible()
    newcomer.get_by_label("Uw naam", exact=True).fill("Gerrit Nieuwenhuis")
    newcomer.get_by_label("Nieuw wachtwoord", exact=True).fill("een lang nieuw wachtwoord")
    newcomer.get_by_label("Herhaal het nieuwe wachtwoord", exact=True).fill(
        "een lang nieuw wachtwoord"
    )
    journey.shot(newcomer, "accept-form")
    newcomer.get_by_role("button", name="Account maken en uitnodiging aannemen").click()
    expect_org_home(newcomer, live, "elsendorp")
    expect(newcomer.get_by_role("status")).to_contain_text("Welkom bij Zorgcoöperatie Elsendorp.")
    expect(newcomer.locator(".koepel-user-menu")).to_contain_text("Gerrit Nieuwenhuis")
    expect(newcomer.get_by_text("Uw rol: vrijwilliger")).to_be_visible()
    journey.shot(newcomer, "welcome")

    # The coordinator now sees the newcomer among the people, not among the invitations.
    page.reload()
    expect(page.get_by_role("cell", name="Gerrit Nieuwenhuis")).to_be_visible()
    expect(page.get_by_text(f"{INVITEE_EMAIL} (vrijwilliger)")).to_have_count(0)

    # Last, so that a wrong heading does not hide whether the rest of the journey works.
    assert heading == "Uitnodiging voor Zorgcoöperatie Elsendorp", (
        f"the invitation page's heading reads {heading!r}: base.html's top-level "
        "`{% set org = acting_org ... %}` overrides the `org` the view passes"
    )


def test_forgotten_password_is_reset_through_the_emailed_link(browsing, live):
    journey = Journey("password-reset")
    page = browsing.page()
    page.goto(f"{live.url}/login")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    expect(page).to_have_url(f"{live.url}/password/forgot")
    expect(page.locator("h1")).to_have_text("Wachtwoord vergeten")
    page.get_by_label("E-mailadres", exact=True).fill(RESET_EMAIL)
    journey.shot(page, "request-form")
    page.get_by_role("button", name="Stuur mij een link").click()
    expect(page).to_have_url(f"{live.url}/login")
    expect(page.get_by_role("status")).to_contain_text("Als dit e-mailadres bij ons bekend is")
    journey.shot(page, "link-sent")

    link = live.link_in(live.mail_to(RESET_EMAIL), "/password/reset/")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Nieuw wachtwoord kiezen")
    new_password = "mijn nieuwe wachtwoord 2026"
    page.get_by_label("Nieuw wachtwoord", exact=True).fill(new_password)
    page.get_by_label("Herhaal het nieuwe wachtwoord", exact=True).fill(new_password)
    journey.shot(page, "new-password-form")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page).to_have_url(f"{live.url}/login")
    expect(page.get_by_role("status")).to_contain_text("Uw nieuwe wachtwoord is opgeslagen.")
    journey.shot(page, "saved")

    log_in(page, live, RESET_EMAIL, new_password, "laarbeek-zorg")
    journey.shot(page, "logged-in-with-new-password")
    log_out(page)

    # The link works once.
    page.goto(link)
    expect(page).to_have_url(f"{live.url}/password/forgot")
    expect(page.get_by_role("alert")).to_contain_text("Deze link werkt niet (meer).")
    journey.shot(page, "link-used-up")


def test_organisation_switcher_moves_between_the_users_organisations(browsing, live):
    journey = Journey("org-switcher")
    page = browsing.page()
    log_in(page, live, demo.demo_email(SWITCHER_USER), demo.DEMO_PASSWORD, "kzzn")
    switcher = page.get_by_label("Kies een organisatie:")
    expect(switcher).to_have_value("kzzn")
    expect(switcher.locator("option")).to_have_count(2)
    journey.shot(page, "kzzn")

    switcher.select_option("hoogeloon")
    page.get_by_role("button", name="Wissel").click()
    expect_org_home(page, live, "hoogeloon")
    expect(page.locator(".koepel-org-bar__current")).to_contain_text("Zorgcoöperatie Hoogeloon")
    expect(page.get_by_text("Uw rol: coördinator")).to_be_visible()
    expect(switcher).to_have_value("hoogeloon")
    journey.shot(page, "hoogeloon")

    switcher.select_option("kzzn")
    page.get_by_role("button", name="Wissel").click()
    expect_org_home(page, live, "kzzn")
    expect(page.get_by_text("Uw rol: medewerker koepel")).to_be_visible()
    journey.shot(page, "back-to-kzzn")


def test_pages_have_no_serious_accessibility_problems(browsing, live):
    """axe-core on the main kinds of page; all problems are reported together."""
    journey = Journey("accessibility")
    # axe is injected as an inline script, which the app's CSP (rightly) forbids.
    page = browsing.page(bypass_csp=True)
    problems: list[str] = []

    def audit(step: str, what: str) -> None:
        journey.shot(page, step)
        problems.extend(axe_problems(page, what))

    page.goto(f"{live.url}/")
    expect(page.locator("h1")).to_have_text("Welkom bij Koepel")
    audit("start", "the start page")

    # Keyboard: the first Tab reaches the skip link, which is then visible and works.
    page.goto(f"{live.url}/login")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Direct naar de inhoud")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    journey.shot(page, "login-skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live.url}/login#main")
    audit("login", "the login page")

    submit_login(page)  # empty: validation errors, and no login attempt is counted
    expect(page.get_by_label("E-mailadres", exact=True)).to_have_attribute("aria-invalid", "true")
    summary = page.locator(".koepel-error-summary")
    if not summary.filter(has_text="E-mailadres: Vul uw e-mailadres in.").count():
        problems.append(
            "the login page with errors: no error summary naming the empty e-mail "
            "address (field errors are not shown at all)"
        )
    if not page.locator("#email-error").filter(has_text="Vul uw e-mailadres in.").count():
        problems.append(
            "the login page with errors: the e-mail field's error message "
            "(#email-error, its aria-describedby) is empty"
        )
    audit("login-errors", "the login page with errors")

    page.goto(f"{live.url}/deze/pagina/bestaat/niet")
    expect(page.locator("h1")).to_have_text("Pagina niet gevonden")
    audit("not-found", "the 404 page")

    log_in(page, live, demo.demo_email("coordinator.elsendorp"), demo.DEMO_PASSWORD, "elsendorp")
    audit("org-home", "an organisation's home page")

    page.get_by_role("link", name="Mensen en uitnodigingen").click()
    expect(page.locator("h1")).to_have_text("Mensen bij Zorgcoöperatie Elsendorp")
    audit("people", "the people page")

    page.get_by_role("link", name="Mijn profiel").click()
    expect(page.locator("h1")).to_have_text("Mijn gegevens")
    audit("profile", "the profile page")

    page.goto(f"{live.url}/bestaat-niet/")
    expect(page.locator("h1")).to_have_text("Pagina niet gevonden")
    audit("not-found-logged-in", "the 404 page when logged in")

    # The checker itself works: an unlabelled field is caught.
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert any(": label (critical)" in p for p in axe_problems(page, "a broken page")), (
        "axe did not catch an unlabelled input"
    )

    assert not problems, "\n".join(problems)
