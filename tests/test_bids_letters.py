"""Award letters: one per bid at one instant, kept by the buyer, rendered once as PDF after
the commit, read by the bidder it is addressed to and by nobody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import render_template
from sqlalchemy import func, select
from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import evaluation, letters, opening, submission, tenders
from koepel.bids.models import Bid, OpenedBid
from koepel.bids.models.objections import AwardLetter
from koepel.platform import files
from koepel.platform.jobs import dispatch_pending, enqueue
from koepel.platform.models import AuditEvent, Organisation, OrgRole, User
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow

from conftest import client_for, pdf_text


def person(db, slug: str) -> User:
    """The one person of a bidder made by the ``closed_tender`` fixture."""
    return db.session.scalar(
        select(User)
        .join(OrgRole, OrgRole.user_id == User.id)
        .join(Organisation, Organisation.id == OrgRole.organisation_id)
        .where(Organisation.slug == slug)
    )


@pytest.fixture
def award(db, closed_tender, make_org, make_user, run_jobs):  # noqa: F811
    """``award(sent_at)`` opens the tender, scores, decides and sends the letters at
    ``sent_at``; then commits and runs the jobs (the PDFs, the e-mails).

    Lot 1 has three bids, so a losing bidder's letter has another loser to keep quiet
    about: E-COOP-A 90.000 (quality 9) wins with 89,56; E-COOP-B 80.000 (6) has 76,00;
    E-COOP-C 85.000 (5) has 67,65. Lot 2: the consortium of E-PROVIDER with E-COOP-A."""
    ctx = closed_tender
    buyer, (first, second), reviewer = ctx["buyer"], ctx["officials"], ctx["reviewer"]
    coop_c = make_org("cooperative", slug="e-coop-c", name="E-COOP-C")
    make_user(coop_c, "coordinator")
    public = submission.published_tender(ctx["tender_id"])
    with acting_for(coop_c.id):
        user_c = person(db, "e-coop-c")
        bid = submission.start(actor=user_c, bidder=coop_c, tender=public, lot_id=ctx["lot_ids"][0])
        submission.save_draft(
            actor=user_c,
            bidder=coop_c,
            bid=bid,
            content={
                "price": "85.000",
                "answers": {str(ctx["quality"].id): "Plan van e-coop-c"},
                "requirements": {},
            },
        )
        submission.submit(actor=user_c, bidder=coop_c, bid=bid, tender=public)

    def make(sent_at: datetime | None = None, reserved: bool = False) -> dict:
        """``reserved``: E-COOP-D also bids on lot 2 (99.000, quality 4) and, ranked below
        the consortium, wins the 25% reserved for citizen initiatives."""
        sent_at = sent_at or utcnow()
        points = {"E-COOP-A": 9, "E-COOP-B": 6, "E-COOP-C": 5, "E-PROVIDER": 7}
        if reserved:
            points["E-COOP-D"] = 4
            coop_d = make_org("cooperative", slug="e-coop-d", name="E-COOP-D")
            make_user(coop_d, "board")
            with acting_for(coop_d.id):
                user_d = person(db, "e-coop-d")
                bid_d = submission.start(
                    actor=user_d, bidder=coop_d, tender=public, lot_id=ctx["lot_ids"][1]
                )
                submission.save_draft(
                    actor=user_d,
                    bidder=coop_d,
                    bid=bid_d,
                    content={
                        "price": "99.000",
                        "answers": {str(ctx["quality"].id): "Plan van e-coop-d"},
                        "requirements": {},
                    },
                )
                submission.submit(actor=user_d, bidder=coop_d, bid=bid_d, tender=public)
        after = ctx["deadline"] + timedelta(minutes=1)
        with acting_for(buyer.id):
            tender = tenders.get_tender(ctx["tender_id"])
            opening.start(actor=first, buyer=buyer, tender=tender, now=after)
            opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
            evaluation.assign_reviewer(
                actor=first, buyer=buyer, tender=tender, reviewer=reviewer, chair=True
            )
            evaluation.declare_no_conflict(reviewer=reviewer, buyer=buyer, tender=tender)
            bids = {o.bidder_name: o for o in db.session.scalars(select(OpenedBid))}
            for name, given in points.items():
                evaluation.set_consensus(
                    chair=reviewer,
                    buyer=buyer,
                    tender=tender,
                    bid=bids[name],
                    criterion=ctx["quality"],
                    points=Decimal(given),
                    motivation=f"Consensus over {name}",
                )
            evaluation.decide(
                actor=first, buyer=buyer, tender=tender, reasons="Beste prijs-kwaliteit"
            )
            ends = evaluation.send_letters(actor=first, buyer=buyer, tender=tender, now=sent_at)
            names = {b.id: name for name, b in bids.items()}
            sent = {
                names[row.opened_bid_id]: row.id for row in db.session.scalars(select(AwardLetter))
            }
        db.session.commit()  # as the request would: the jobs start after the commit
        dispatch_pending(db.session)
        run_jobs()
        db.session.expire_all()
        return {**ctx, "sent_at": sent_at, "ends": ends, "letters": sent, "opened": bids}

    return make


def letter(db, ctx, name: str) -> AwardLetter:
    with acting_for(ctx["buyer"].id):
        return db.session.get(AwardLetter, ctx["letters"][name])


def test_all_letters_carry_one_instant_and_one_standstill_end(db, award):
    sent = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    ctx = award(sent)
    assert set(ctx["letters"]) == {"E-COOP-A", "E-COOP-B", "E-COOP-C", "E-PROVIDER"}
    with acting_for(ctx["buyer"].id):
        rows = db.session.scalars(select(AwardLetter)).all()
    # Starts the day after sending (2 December), 20 calendar days, to the second.
    ends = datetime(2026, 12, 21, 22, 59, 59, tzinfo=UTC)
    assert {r.sent_at for r in rows} == {sent} and {r.standstill_ends_at for r in rows} == {ends}
    assert {r.content["standstill_ends_at"] for r in rows} == {ends.isoformat()}
    b = letter(db, ctx, "E-COOP-B").content
    assert (b["own"]["rank"], b["own"]["count"], b["own"]["total"]) == (2, 3, "76.00")
    assert b["own"]["is_winner"] is False and b["winner"]["name"] == "E-COOP-A"
    quality = next(s for s in b["own"]["scores"] if s["kind"] == "quality")
    assert (quality["points"], quality["weight"], quality["weighted"]) == ("6.00", "60.00", "36.00")
    assert quality["motivation"] == "Consensus over E-COOP-B"
    # C's price: 10 * 80/85 = 9.41 points; weighted from the exact figure, as its total was.
    c = letter(db, ctx, "E-COOP-C").content["own"]
    price = next(s for s in c["scores"] if s["kind"] == "price")
    assert (price["points"], price["weighted"], c["total"]) == ("9.41", "37.65", "67.65")
    winner = b["winner"]
    assert winner["kind"] == "cooperative" and winner["citizen_initiative"] is True
    assert winner["partners"] == [] and winner["total"] == "89.56"
    assert "motivation" not in winner["scores"][0]  # the winner's reasoning stays the buyer's
    provider = letter(db, ctx, "E-PROVIDER").content
    assert provider["own"]["is_winner"] and provider["winner"]["partners"] == [
        {"organisation": "E-COOP-A", "role": "sub"}
    ]
    # Lot 2 reserves 25% for citizen initiatives and has none: the letter says so.
    assert provider["reserved_unallocated"] == "25.00" and b["reserved_unallocated"] is None


def test_the_pdf_shows_own_rank_and_the_winner_but_no_other_loser(app, db, award):
    ctx = award()
    b, c = letter(db, ctx, "E-COOP-B"), letter(db, ctx, "E-COOP-C")
    for row in (b, c):
        assert row.pdf_sha256 and row.pdf_size and row.rendered_at is not None
        data = files.read(row.tenant_id, row.pdf_name, area=letters.FILE_AREA)
        assert data.startswith(b"%PDF") and len(data) == row.pdf_size
    # The HTML the PDF is made from, and the PDF's own text.
    with acting_for(ctx["buyer"].id):
        html_b = letters.render_html(b)
    assert "plaats 2 van 3" in html_b and "E-COOP-A" in html_b and "89,56" in html_b
    assert "E-COOP-C" not in html_b and "67,65" not in html_b
    assert "23:59:59" in html_b and "Bezwaar maken" in html_b
    text_b = pdf_text(files.read(b.tenant_id, b.pdf_name, area=letters.FILE_AREA))
    assert "plaats 2 van 3" in text_b and "E-COOP-A" in text_b and "89,56" in text_b
    assert "E-COOP-C" not in text_b and "67,65" not in text_b
    text_c = pdf_text(files.read(c.tenant_id, c.pdf_name, area=letters.FILE_AREA))
    assert "plaats 3 van 3" in text_c and "E-COOP-A" in text_c
    assert "E-COOP-B" not in text_c and "76,00" not in text_c
    assert "zorgcoöperatie" in text_c and "burgerinitiatief" in text_c  # the winner's kind


def test_rendering_twice_keeps_one_letter(app, db, award):
    ctx = award()
    row = letter(db, ctx, "E-COOP-B")
    first = (row.pdf_name, row.pdf_sha256, row.rendered_at)
    with acting_for(ctx["buyer"].id):
        again = letters.render(row.id)
        # Enqueueing the job again finds the run that already did the work.
        run = enqueue(
            letters.RENDER_JOB,
            tenant_id=ctx["buyer"].id,
            kwargs={"letter_id": row.id},
            key=f"award-letter:{row.id}",
        )
        assert run.status == "done"
    assert (again.pdf_name, again.pdf_sha256, again.rendered_at) == first
    folder = files.path_of(row.tenant_id, row.pdf_name, area=letters.FILE_AREA).parent
    assert sum(1 for p in folder.glob("*.pdf") if p.name == row.pdf_name) == 1
    with cross_tenant("test reads the audit log"):
        rendered = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "award_letter.rendered", AuditEvent.object_id == str(row.id)
            )
        )
    assert rendered == 1
    # What is served is what was rendered: a changed file is refused.
    path = files.path_of(row.tenant_id, row.pdf_name, area=letters.FILE_AREA)
    path.write_bytes(path.read_bytes() + b"%% changed")
    with pytest.raises(letters.LetterIntegrityError):
        letters.read_pdf(row)


def test_the_mail_carries_the_letter_and_a_link_to_the_bid(app, db, award, mailbox):
    ctx = award()
    messages = [m for m in mailbox() if m["Subject"].startswith("Gunningsbeslissing")]
    by_to = {m["To"]: m.get_content() for m in messages}
    assert len(messages) == len(by_to) == 4  # one per bidder's person, none twice
    body = by_to[person(db, "e-coop-b").email]
    with acting_for(ctx["buyer"].id):
        bid_id = letter(db, ctx, "E-COOP-B").bid_id
    assert "plaats 2 van 3" in body and "E-COOP-A" in body and "89,56" in body
    assert f"/e-coop-b/bids/{bid_id}" in body and "E-COOP-C" not in body
    assert "23:59:59" in body and "Bezwaar maken" in body


def test_only_the_bidder_reads_its_letter(app, db, award, make_org, make_user):
    ctx = award()
    b, c = letter(db, ctx, "E-COOP-B"), letter(db, ctx, "E-COOP-C")
    own_url = f"/e-coop-b/bids/{b.bid_id}/letters/{b.id}.pdf"
    bidder_b = client_for(app, person(db, "e-coop-b"))
    response = bidder_b.get(own_url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")
    # Another bidder's letter, through one's own bid or through the other's: 404.
    assert bidder_b.get(f"/e-coop-b/bids/{b.bid_id}/letters/{c.id}.pdf").status_code == 404
    assert bidder_b.get(f"/e-coop-b/bids/{c.bid_id}/letters/{c.id}.pdf").status_code == 404
    assert bidder_b.get(f"/e-coop-c/bids/{c.bid_id}/letters/{c.id}.pdf").status_code == 404
    bidder_c = client_for(app, person(db, "e-coop-c"))
    assert bidder_c.get(own_url).status_code == 404
    assert bidder_c.get(f"/e-coop-c/bids/{b.bid_id}/letters/{b.id}.pdf").status_code == 404
    assert bidder_c.get(f"/e-coop-c/bids/{b.bid_id}/award").status_code == 404
    # The buyer's officials read every letter; another buyer gets 404, a reviewer 403.
    buyer_url = f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/letters/{b.id}.pdf"
    officer = client_for(app, ctx["officials"][0])
    assert officer.get(buyer_url).data.startswith(b"%PDF")
    assert client_for(app, ctx["reviewer"]).get(buyer_url).status_code == 403
    elders = make_org("municipality", slug="brief-elders")
    stranger = client_for(app, make_user(elders, "procurement_officer"))
    assert stranger.get(buyer_url).status_code == 404
    assert (
        stranger.get(f"/brief-elders/tenders/{ctx['tender_id']}/letters/{b.id}.pdf").status_code
        == 404
    )
    # A partner of a consortium has no letter of its own here (the lead party's letter).
    assert bidder_b.get(f"/e-coop-b/bids/{b.bid_id}/letters/999999.pdf").status_code == 404


def test_the_bidder_page_and_the_bid_page_include(app, db, award):
    ctx = award()
    b = letter(db, ctx, "E-COOP-B")
    bidder_b = client_for(app, person(db, "e-coop-b"))
    page = bidder_b.get(f"/e-coop-b/bids/{b.bid_id}/award").get_data(as_text=True)
    assert "plaats 2 van 3" in page and "E-COOP-A" in page and "E-COOP-C" not in page
    assert f"/e-coop-b/bids/{b.bid_id}/letters/{b.id}.pdf" in page
    assert "Bezwaar indienen" in page and b.pdf_sha256 in page
    # The include for the bid page: the link to the letter and to the objection page.
    org = db.session.scalar(select(Organisation).where(Organisation.slug == "e-coop-b"))
    with app.test_request_context(), acting_for(org.id):
        bid = db.session.get(Bid, b.bid_id)
        html = render_template("bids/letters/_bid_letter.html", org=org, bid=bid)
    assert f"/e-coop-b/bids/{b.bid_id}/letters/{b.id}.pdf" in html
    assert f"/e-coop-b/bids/{b.bid_id}/award" in html and "plaats 2 van 3" in html


def test_the_buyer_sees_the_letters_and_the_state(app, db, award):
    ctx = award()
    officer = client_for(app, ctx["officials"][0])
    page = officer.get(f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/evaluation")
    html = page.get_data(as_text=True)
    assert "Gunningsbrieven" in html and html.count("PDF downloaden") == 4
    assert "Nog niet definitief." in html and "loopt tot en met" in html
    assert "Er is geen bezwaar gemaakt." in html


def test_a_reserved_share_names_its_winner_too(db, award):
    ctx = award(reserved=True)
    provider = letter(db, ctx, "E-PROVIDER").content
    d = letter(db, ctx, "E-COOP-D").content
    # Lot 2: the consortium 40 + 42 = 82,00; E-COOP-D 40 * 95/99 + 24 = 62,38.
    assert provider["own"]["is_winner"] and provider["reserved"]["name"] == "E-COOP-D"
    assert provider["reserved"]["share"] == "25.00" and provider["reserved"]["total"] == "62.38"
    assert provider["reserved_unallocated"] is None
    assert d["own"]["is_reserved_winner"] and not d["own"]["is_winner"]
    assert (d["own"]["rank"], d["own"]["count"]) == (2, 2)
    with acting_for(ctx["buyer"].id):
        text = " ".join(letters.paragraphs(d))
    assert "voorbehouden aan burgerinitiatieven gaat naar u" in text
    assert "E-COOP-D is een zorgcoöperatie en een burgerinitiatief" in text
