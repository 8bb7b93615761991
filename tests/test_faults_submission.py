"""Two browsers submit the same bid in the last seconds before the deadline.

Two coordinators of one cooperative (two HTTP sessions against a real threaded server) have
the bid open; each typed a different price. Both press "Indienen" at the same moment,
a few seconds before the deadline. Exactly one submission stands: one sealed envelope,
no plaintext left in the draft, one receipt by e-mail, and the receipt on the page and in
the mail matches the stored digests. The other person gets a clear answer (already
submitted, or on SQLite possibly "busy, try again"), never a 500. A submission that
arrives after the deadline by the server's clock is refused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import event, select, update

from conftest import PASSWORD, csrf_from
from fault_apps import database_name, dispose, make_app, seed_org
from live_server import LiveServer

COOP = "fs-hoogeloon"
TIMEOUT = 120  # seconds per HTTP request: generous for a loaded 2-core machine
# The deadline is set this far ahead just before both submit: close, yet far enough that
# a slow machine still lets both requests arrive in time (the race is what is tested).
DEADLINE_AHEAD = timedelta(seconds=5)


@pytest.fixture
def market(new_database, tmp_path, monkeypatch):
    monkeypatch.setenv("KOEPEL_INSTANCE", str(tmp_path))
    app = make_app(new_database(database_name("faults_submission")), tmp_path)
    _, officer_id = seed_org(app, "municipality", "fs-bladel", "procurement_officer", "po@x.org")
    coop_id, _ = seed_org(app, "cooperative", COOP, "coordinator", "anna@example.org")
    second_id = _grant(app, coop_id, "bert@example.org")
    ids = _tender(app, officer_id)
    server = LiveServer(app)
    yield app, server, ids, second_id
    server.stop()
    dispose(app)


def _grant(app: Flask, org_id: int, email: str) -> int:
    from koepel.platform.auth import operations as ops
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation
    from koepel.platform.web import commit

    with app.app_context():
        user = ops.create_user(actor=None, email=email, display_name=email, password=PASSWORD)
        ops.grant_role(
            actor=None, user=user, org=db.session.get(Organisation, org_id), role="coordinator"
        )
        commit()
        user_id = user.id
        db.session.remove()
    return user_id


def _tender(app: Flask, officer_id: int) -> dict:
    from koepel.bids import tenders
    from koepel.bids.models import CriterionKind, LotKind, Procedure
    from koepel.platform.extensions import db
    from koepel.platform.models import Organisation, User
    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import utcnow
    from koepel.platform.web import commit

    with app.app_context():
        officer = db.session.get(User, officer_id)
        buyer = db.session.scalar(select(Organisation).where(Organisation.slug == "fs-bladel"))
        with acting_for(buyer.id):
            tender = tenders.create(
                actor=officer,
                buyer=buyer,
                data=tenders.TenderData(
                    title="Dagbesteding Kempen",
                    procedure=Procedure.OPEN,
                    submission_deadline=utcnow() + timedelta(days=1),
                ),
            )
            for name in ("Hoogeloon", "Casteren"):
                tenders.add_lot(
                    actor=officer,
                    buyer=buyer,
                    tender=tender,
                    title=name,
                    kind=LotKind.GEOGRAPHIC,
                    budget=Decimal("250000"),
                )
            criteria = {
                kind: tenders.add_criterion(
                    actor=officer, buyer=buyer, tender=tender, title=title, kind=kind, weight=weight
                )
                for title, kind, weight in (
                    ("Prijs", CriterionKind.PRICE, 40),
                    ("Kwaliteit", CriterionKind.QUALITY, 60),
                )
            }
            requirement = tenders.add_requirement(
                actor=officer, buyer=buyer, tender=tender, title="VOG"
            )
            tenders.publish(actor=officer, buyer=buyer, tender=tender)
            ids = {
                "tender": tender.id,
                "lots": [lot.id for lot in tender.lots],
                "quality": criteria[CriterionKind.QUALITY].id,
                "requirement": requirement.id,
            }
            commit()
        db.session.remove()
    return ids


def _move_deadline(app: Flask, tender_id: int, delta: timedelta):
    """Set the deadline ``delta`` from the server's clock now; returns it."""
    from koepel.bids.models import Tender
    from koepel.platform.extensions import db
    from koepel.platform.tenancy import cross_tenant
    from koepel.platform.timeutil import utcnow

    deadline = utcnow() + delta
    with app.app_context(), cross_tenant("the test moves the deadline"):
        db.session.execute(
            update(Tender).where(Tender.id == tender_id).values(submission_deadline=deadline)
        )
        db.session.commit()
        db.session.remove()
    return deadline


@contextmanager
def _race_window_held_open(app: Flask) -> Iterator[dict]:
    """Make the race happen on every run, not only when the threads happen to interleave:
    the first submission, about to record its audit event (bid sealed, not yet committed),
    waits until the other request has loaded the same bid. Both then saw an unsubmitted
    bid before either committed."""
    from koepel.platform.extensions import db

    with app.app_context():
        engine = db.engine
    loaded: set[int] = set()
    other_loaded = threading.Event()
    seen = {"held": False}

    def watch(_conn, _cursor, statement, parameters, *_args):
        me = threading.get_ident()
        if _LOAD_BID.search(statement):
            loaded.add(me)
            if len(loaded) > 1:
                other_loaded.set()
        elif statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT") and (
            "bid.submitted" in str(parameters) and not seen["held"]
        ):
            seen["held"] = True
            seen["other_loaded_in_time"] = other_loaded.wait(TIMEOUT)

    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def _login(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=TIMEOUT).text
    response = browser.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, f"login as {email} failed"
    return browser


def _form(ids: dict, price: str, token: str) -> dict:
    return {
        "csrf_token": token,
        "price": price,
        f"answer-{ids['quality']}": "Vrijwilligers uit het dorp",
        f"requirement-{ids['requirement']}": "Alle vrijwilligers hebben een VOG",
    }


def _start_bid(base: str, browser: requests.Session, ids: dict, lot: int) -> int:
    page = browser.get(f"{base}/{COOP}/opportunities/{ids['tender']}", timeout=TIMEOUT).text
    response = browser.post(
        f"{base}/{COOP}/opportunities/{ids['tender']}/lots/{lot}/start",
        data={"csrf_token": csrf_from(page)},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text[:500]
    return int(re.search(r"/bids/(\d+)$", response.headers["Location"]).group(1))


def _stored(app: Flask, bid_id: int):
    from koepel.bids import submission
    from koepel.bids.models import Bid
    from koepel.platform.extensions import db
    from koepel.platform.models import OutboxMessage
    from koepel.platform.tenancy import cross_tenant

    with app.app_context(), cross_tenant("the test reads what was stored"):
        bid = db.session.get(Bid, bid_id)
        receipt = submission.Receipt(
            bid.id, "", "", bid.submitted_at, bid.quality_digest, bid.price_digest
        )
        stored = {
            "status": bid.status.value,
            "version": bid.version,
            "draft": bid.draft,
            "sealed": bid.price_sealed is not None and bid.quality_sealed is not None,
            "digest": receipt.digest if bid.price_digest else None,
            "outbox": db.session.scalars(select(OutboxMessage.to_address)).all(),
        }
        if bid.price_sealed is not None:
            stored["price"] = submission.submitted_content(bid)[1]["price"]
        db.session.remove()
    return stored


def _mails(app: Flask) -> list:
    folder = Path(app.config["MAIL_FOLDER"])
    parse = BytesParser(policy=email_policy.default).parsebytes
    return [parse(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


_LOAD_BID = re.compile(r"^\s*SELECT\s.*\sFROM bid\b", re.S | re.I)
LOSER_ANSWERS = (
    "Deze inschrijving is al ingediend.",
    "Deze inschrijving is ingediend. Trek haar eerst in om te wijzigen.",
    "Tijdelijk niet beschikbaar",  # SQLite: the second writer found the database locked
)


def test_two_browsers_submit_at_once_before_the_deadline_exactly_one_stands(market):
    app, server, ids, _ = market
    base = server.url
    anna, bert = _login(base, "anna@example.org"), _login(base, "bert@example.org")
    bid_id = _start_bid(base, anna, ids, ids["lots"][0])
    prices = {"anna": "198.500,00", "bert": "201.000,00"}
    tokens = {
        name: csrf_from(browser.get(f"{base}/{COOP}/bids/{bid_id}", timeout=TIMEOUT).text)
        for name, browser in (("anna", anna), ("bert", bert))
    }
    deadline = _move_deadline(app, ids["tender"], DEADLINE_AHEAD)

    barrier = threading.Barrier(2, timeout=TIMEOUT)
    answers: dict[str, requests.Response | BaseException] = {}

    def press_submit(name: str, browser: requests.Session) -> None:
        try:
            barrier.wait()
            answers[name] = browser.post(
                f"{base}/{COOP}/bids/{bid_id}/submit",
                data=_form(ids, prices[name], tokens[name]),
                timeout=TIMEOUT,
            )
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            answers[name] = exc

    threads = [
        threading.Thread(target=press_submit, args=(name, browser))
        for name, browser in (("anna", anna), ("bert", bert))
    ]
    with _race_window_held_open(app) as race:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
    assert race == {"held": True, "other_loaded_in_time": True}, race
    from koepel.platform.timeutil import utcnow

    assert utcnow() < deadline, "the machine was too slow: both requests ended after the deadline"

    for name, answer in answers.items():
        assert not isinstance(answer, BaseException), f"{name}: {answer!r}"
        assert answer.status_code in (200, 503), f"{name}: {answer.status_code} {answer.text[:300]}"
    won = [n for n, a in answers.items() if "Uw inschrijving is ingediend." in a.text]
    assert len(won) == 1, {n: (a.status_code, a.text[:300]) for n, a in answers.items()}
    (winner,) = won
    (loser,) = set(answers) - {winner}
    assert any(text in answers[loser].text for text in LOSER_ANSWERS), answers[loser].text[:2000]
    assert "Uw inschrijving is ingediend." not in answers[loser].text

    stored = _stored(app, bid_id)
    # One sealed envelope: submitted once, the winner's price, no plaintext left behind.
    assert stored["status"] == "submitted" and stored["version"] == 1 and stored["sealed"]
    assert stored["price"] == str(Decimal(prices[winner].replace(".", "").replace(",", ".")))
    assert stored["draft"] == "{}", "plaintext of a sealed bid stayed in the draft"
    # One receipt mail, to the winner, whose digest is the stored one and the one on the page.
    winner_email = f"{winner}@example.org"
    assert stored["outbox"] == [winner_email]
    mails = _mails(app)
    assert [m["To"] for m in mails] == [winner_email]
    assert stored["digest"] in mails[0].get_content()
    assert stored["digest"] in answers[winner].text
    # The loser, looking again, sees the one receipt that stands.
    again = (anna if loser == "anna" else bert).get(f"{base}/{COOP}/bids/{bid_id}", timeout=TIMEOUT)
    assert stored["digest"] in again.text


def test_a_submission_arriving_after_the_deadline_is_refused(market):
    app, server, ids, _ = market
    base = server.url
    anna = _login(base, "anna@example.org")
    bid_id = _start_bid(base, anna, ids, ids["lots"][1])
    token = csrf_from(anna.get(f"{base}/{COOP}/bids/{bid_id}", timeout=TIMEOUT).text)
    # The page was loaded while the tender was open; by the server's clock the deadline has
    # passed when the form arrives.
    _move_deadline(app, ids["tender"], -timedelta(seconds=1))
    response = anna.post(
        f"{base}/{COOP}/bids/{bid_id}/submit",
        data=_form(ids, "198.500,00", token),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text[:500]
    assert "De sluitingstermijn is voorbij" in response.text
    assert "Uw inschrijving is ingediend." not in response.text
    stored = _stored(app, bid_id)
    assert stored["status"] != "submitted" and not stored["sealed"] and stored["digest"] is None
    assert stored["outbox"] == [] and _mails(app) == []
