"""Objections during the standstill period: lodged by the bidder until the end (to the
second), answered by the buyer (audited, the bidder e-mailed once), and the award final
only when the period is over and every objection is answered and none upheld."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from test_bids_letters import award, letter, person  # noqa: F401  (award: a fixture)
from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import evaluation, objections, tenders
from koepel.bids.models import AwardDecision, OpenedBid, TenderStatus
from koepel.bids.models.objections import AwardLetter, Objection, ObjectionOutcome
from koepel.platform.jobs import dispatch_pending
from koepel.platform.models import AuditEvent, Organisation
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow

from conftest import client_for, csrf_from


def org(db, slug: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def lodge(db, ctx, name: str, now, grounds="scores", text="De score voor kwaliteit is te laag."):
    slug = name.lower()
    bidder = org(db, slug)
    with acting_for(bidder.id):
        return objections.lodge(
            actor=person(db, slug),
            bidder=bidder,
            letter_id=ctx["letters"][name],
            grounds=grounds,
            text=text,
            now=now,
        )


def answer(db, ctx, objection_id: int, outcome="rejected", text="De score blijft staan."):
    buyer = ctx["buyer"]
    with acting_for(buyer.id):
        return objections.answer(
            actor=ctx["officials"][0],
            buyer=buyer,
            objection=db.session.get(Objection, objection_id),
            outcome=outcome,
            text=text,
        )


def final(db, ctx, now) -> bool:
    with acting_for(ctx["buyer"].id):
        return objections.award_final(tenders.get_tender(ctx["tender_id"]), now)


def audited(db, action: str, obj_id: int) -> int:
    with cross_tenant("test reads the audit log"):
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_id == str(obj_id))
        )


def test_an_objection_one_second_late_is_refused(db, award):  # noqa: F811
    ctx = award()
    ends = ctx["ends"]
    on_time = lodge(db, ctx, "E-COOP-B", ends)  # the last second still counts
    assert on_time.id and on_time.lodged_at == ends
    assert audited(db, "award.objection_lodged", on_time.id) == 1
    with pytest.raises(objections.ObjectionError, match="opschortende termijn is voorbij"):
        lodge(db, ctx, "E-COOP-C", ends + timedelta(seconds=1))
    # Only against one's own letter, with grounds and a text.
    bidder = org(db, "e-coop-c")
    with acting_for(bidder.id), pytest.raises(objections.ObjectionError, match="eigen"):
        objections.lodge(
            actor=person(db, "e-coop-c"),
            bidder=bidder,
            letter_id=ctx["letters"]["E-COOP-B"],
            grounds="scores",
            text="x",
            now=ends,
        )
    with pytest.raises(objections.ObjectionError, match="Schrijf op") as empty:
        lodge(db, ctx, "E-COOP-C", ends, text="  ")
    assert empty.value.field == "text"
    with pytest.raises(objections.ObjectionError, match="Kies") as wrong:
        lodge(db, ctx, "E-COOP-C", ends, grounds="gevoel")
    assert wrong.value.field == "grounds"


def test_an_unanswered_objection_keeps_the_award_from_becoming_final(db, award):  # noqa: F811
    ctx = award()
    ends = ctx["ends"]
    after = ends + timedelta(seconds=1)
    assert not final(db, ctx, ends)  # the standstill period runs to its last second
    objection = lodge(db, ctx, "E-COOP-C", ends - timedelta(days=1))
    assert not final(db, ctx, after) and not final(db, ctx, after + timedelta(days=300))
    with acting_for(ctx["buyer"].id):
        state = objections.award_state(tenders.get_tender(ctx["tender_id"]), after)
    assert (state.running, state.open_objections, state.final) == (False, 1, False)
    answer(db, ctx, objection.id, "rejected")
    assert not final(db, ctx, ends) and final(db, ctx, after)


def test_the_answer_mails_the_bidder_once_and_is_audited(db, award, mailbox, run_jobs):  # noqa: F811
    ctx = award()
    objection = lodge(db, ctx, "E-COOP-B", ctx["ends"] - timedelta(hours=1))
    answered = answer(db, ctx, objection.id, "rejected", "Wij hebben de score nagekeken.")
    assert answered.outcome == ObjectionOutcome.REJECTED and answered.answered_at is not None
    with pytest.raises(objections.ObjectionError, match="al beantwoord"):
        answer(db, ctx, objection.id, "upheld", "Toch gegrond")
    assert audited(db, "award.objection_answered", objection.id) == 1
    db.session.commit()
    dispatch_pending(db.session)
    run_jobs()
    answers = [m for m in mailbox() if m["Subject"].startswith("Antwoord op uw bezwaar")]
    assert [m["To"] for m in answers] == [person(db, "e-coop-b").email]
    body = answers[0].get_content()
    assert "ongegrond" in body and "Wij hebben de score nagekeken." in body
    # The buyer's officials heard of the objection when it was lodged.
    told = [m for m in mailbox() if m["Subject"].startswith("Bezwaar tegen de gunning")]
    assert {m["To"] for m in told} == {u.email for u in ctx["officials"]}
    # Refusals name the field they are about.
    second = lodge(db, ctx, "E-COOP-C", ctx["ends"] - timedelta(hours=1))
    with pytest.raises(objections.ObjectionError) as refused:
        answer(db, ctx, second.id, "misschien")
    assert refused.value.field == "outcome"
    with pytest.raises(objections.ObjectionError) as refused:
        answer(db, ctx, second.id, "upheld", " ")
    assert refused.value.field == "answer"


def test_an_upheld_objection_leads_to_withdrawal_and_new_letters(db, award, mailbox, run_jobs):  # noqa: F811
    ctx = award()
    buyer, officer = ctx["buyer"], ctx["officials"][0]
    objection = lodge(db, ctx, "E-COOP-B", ctx["ends"] - timedelta(days=1))
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        with pytest.raises(objections.ObjectionError, match="Beantwoord eerst"):
            objections.withdraw_award(actor=officer, buyer=buyer, tender=tender, reason="Fout")
    answer(db, ctx, objection.id, "upheld", "De kwaliteit van B is te laag gescoord.")
    assert not final(db, ctx, ctx["ends"] + timedelta(days=30))  # upheld: not final
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        with pytest.raises(objections.ObjectionError) as empty:
            objections.withdraw_award(actor=officer, buyer=buyer, tender=tender, reason="")
        assert empty.value.field == "reason"
        objections.withdraw_award(
            actor=officer, buyer=buyer, tender=tender, reason="Bezwaar van B gegrond"
        )
        assert tender.status == TenderStatus.OPENED
        assert db.session.scalar(select(func.count()).select_from(AwardDecision)) == 0
        old = db.session.scalars(select(AwardLetter)).all()
        assert len(old) == 4 and all(row.withdrawn_at is not None for row in old)
    assert audited(db, "tender.award_withdrawn", ctx["tender_id"]) == 1
    with pytest.raises(objections.ObjectionError, match="ingetrokken"):
        lodge(db, ctx, "E-COOP-C", ctx["ends"] - timedelta(days=1))

    # Evaluate again (B's quality raised), decide, send: new letters, a new period.
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        copy = db.session.scalar(select(OpenedBid).where(OpenedBid.bidder_name == "E-COOP-B"))
        evaluation.set_consensus(
            chair=ctx["reviewer"],
            buyer=buyer,
            tender=tender,
            bid=copy,
            criterion=ctx["quality"],
            points=Decimal(9),
            motivation="Na bezwaar herzien",
        )
        evaluation.decide(actor=officer, buyer=buyer, tender=tender, reasons="Herzien")
        later = utcnow() + timedelta(days=2)
        ends = evaluation.send_letters(actor=officer, buyer=buyer, tender=tender, now=later)
        current = objections.current_letters(tender)
        assert len(current) == 4 and {row.sent_at for row in current} == {later}
        b = next(row for row in current if row.content["bidder"]["name"] == "E-COOP-B")
        assert b.content["own"]["is_winner"] and b.content["own"]["rank"] == 1
        state = objections.award_state(tender, ends + timedelta(seconds=1))
        # The upheld objection belongs to the withdrawn award: the new one can become final.
        assert state.final and state.upheld == 0
    db.session.commit()
    dispatch_pending(db.session)
    run_jobs()
    withdrawn = [m for m in mailbox() if m["Subject"].startswith("Gunningsbeslissing ingetrokken")]
    assert len(withdrawn) == 4 and "Bezwaar van B gegrond" in withdrawn[0].get_content()


class Client:
    """A logged-in user; ``post`` takes the CSRF token from the page it came from."""

    def __init__(self, app, user):
        self.client = client_for(app, user)

    def get(self, url: str):
        return self.client.get(url)

    def post(self, page_url: str, url: str, data: dict):
        token = csrf_from(self.get(page_url).get_data(as_text=True))
        prefix = next(iter(data)).rsplit("-", 1)[0]  # "answer-7-outcome": "answer-7"
        return self.client.post(url, data={f"{prefix}-csrf_token": token, **data})


def test_objection_and_answer_through_the_pages(app, db, award, mailbox, run_jobs):  # noqa: F811
    ctx = award()
    bid_id = letter(db, ctx, "E-COOP-B").bid_id
    bidder = Client(app, person(db, "e-coop-b"))
    page_url = f"/e-coop-b/bids/{bid_id}/award"
    page = bidder.get(page_url).get_data(as_text=True)
    assert "Bezwaar maken" in page and "plaats 2 van 3" in page and "23:59:59" in page

    # Nothing chosen: the message is next to the field and the text typed is kept.
    missing = bidder.post(page_url, page_url, {"objection-text": "Ons plan is onderschat."})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 200 and "Kies waar uw bezwaar over gaat" in html
    assert "Ons plan is onderschat." in html and 'id="objection-grounds-error"' in html
    lodged = bidder.post(
        page_url,
        page_url,
        {"objection-grounds": "scores", "objection-text": "Ons plan is onderschat."},
    )
    assert lodged.status_code == 302
    page = bidder.get(page_url).get_data(as_text=True)
    assert "Ons plan is onderschat." in page and "nog niet geantwoord" in page

    # The buyer sees it on the evaluation page, with the state, and answers it.
    officer = Client(app, ctx["officials"][0])
    evaluation_url = f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/evaluation"
    page = officer.get(evaluation_url).get_data(as_text=True)
    assert "Ons plan is onderschat." in page and "Er staat 1 bezwaar open" in page
    with acting_for(ctx["buyer"].id):
        objection_id = db.session.scalar(select(Objection.id))
    answer_url = f"{evaluation_url}/objections/{objection_id}/answer"
    empty = officer.post(
        evaluation_url, answer_url, {f"answer-{objection_id}-answer": "Wij kijken ernaar."}
    )
    html = empty.get_data(as_text=True)
    assert empty.status_code == 200 and "Kies of het bezwaar gegrond of ongegrond is" in html
    assert "Wij kijken ernaar." in html
    done = officer.post(
        evaluation_url,
        answer_url,
        {
            f"answer-{objection_id}-outcome": "rejected",
            f"answer-{objection_id}-answer": "De score blijft 6: het plan mist een begroting.",
        },
    )
    assert done.status_code == 302
    page = officer.get(evaluation_url).get_data(as_text=True)
    assert "het bezwaar is ongegrond" in page and "Er staat 1 bezwaar open" not in page
    page = bidder.get(page_url).get_data(as_text=True)
    assert "het plan mist een begroting" in page and "ongegrond" in page
    # A second answer to the same objection: refused with a message, nothing changes.
    again = officer.post(
        evaluation_url,
        answer_url,
        {f"answer-{objection_id}-outcome": "upheld", f"answer-{objection_id}-answer": "Toch"},
    )
    assert again.status_code == 200 and "al beantwoord" in again.get_data(as_text=True)
    run_jobs()
    answers = [m for m in mailbox() if m["Subject"].startswith("Antwoord op uw bezwaar")]
    assert len(answers) == 1

    # Who else may come near: another bidder, another buyer, a reviewer.
    other = Client(app, person(db, "e-coop-c"))
    assert other.get(f"/e-coop-c/bids/{bid_id}/award").status_code == 404
    assert other.get(page_url).status_code == 404
    reviewer = Client(app, ctx["reviewer"])
    token = csrf_from(reviewer.get(evaluation_url).get_data(as_text=True))
    assert reviewer.client.post(answer_url, data={"csrf_token": token}).status_code == 403


def test_after_the_standstill_the_page_refuses_and_keeps_the_text(app, db, award):  # noqa: F811
    ctx = award(utcnow() - timedelta(days=40))  # the period ended weeks ago
    b = letter(db, ctx, "E-COOP-B")
    bidder = Client(app, person(db, "e-coop-b"))
    page_url = f"/e-coop-b/bids/{b.bid_id}/award"
    page = bidder.get(page_url).get_data(as_text=True)
    assert "Bezwaar indienen" not in page and "Bezwaar maken kan niet meer" in page
    token = csrf_from(bidder.get("/e-coop-b/opportunities").get_data(as_text=True))
    late = bidder.client.post(
        page_url,
        data={
            "objection-csrf_token": token,
            "objection-grounds": "winner",
            "objection-text": "De winnaar voldoet niet aan de eisen.",
        },
    )
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "opschortende termijn is voorbij" in html
    assert "De winnaar voldoet niet aan de eisen." in html
    with acting_for(ctx["buyer"].id):
        assert db.session.scalar(select(func.count()).select_from(Objection)) == 0
        assert objections.award_final(tenders.get_tender(ctx["tender_id"]))
    officer = Client(app, ctx["officials"][0])
    page = officer.get(f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/evaluation")
    assert "Definitief." in page.get_data(as_text=True)


def test_withdrawal_through_the_page(app, db, award):  # noqa: F811
    ctx = award()
    objection = lodge(db, ctx, "E-COOP-B", utcnow())
    answer(db, ctx, objection.id, "upheld", "Gegrond: B is te laag gescoord.")
    officer = Client(app, ctx["officials"][0])
    evaluation_url = f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/evaluation"
    page = officer.get(evaluation_url).get_data(as_text=True)
    assert "Gunning intrekken" in page and "gegrond verklaard" in page
    empty = officer.post(
        evaluation_url, f"{evaluation_url}/award/withdraw", {"withdraw-reason": ""}
    )
    assert empty.status_code == 200 and "Schrijf waarom" in empty.get_data(as_text=True)
    done = officer.post(
        evaluation_url, f"{evaluation_url}/award/withdraw", {"withdraw-reason": "Herbeoordeling"}
    )
    assert done.status_code == 302
    page = officer.get(evaluation_url).get_data(as_text=True)
    assert "De gunning is ingetrokken" in page and "Gunning vastleggen" in page
    bidder = Client(app, person(db, "e-coop-b"))
    page = bidder.get(f"/e-coop-b/bids/{letter(db, ctx, 'E-COOP-B').bid_id}/award")
    html = page.get_data(as_text=True)
    assert "ingetrokken" in html and "Bezwaar indienen" not in html
