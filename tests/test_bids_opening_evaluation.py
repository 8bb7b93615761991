"""From deadline to award: four-eyes opening, opening record, reviewers, consensus,
ranking, award per lot and the standstill period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.bids import dossier, evaluation, opening, submission, tenders
from koepel.bids.models import (
    CriterionKind,
    LotKind,
    OpenedBid,
    PartnerRole,
    Procedure,
    TenderStatus,
)
from koepel.bids.models.dossier import DossierKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow


@pytest.fixture
def closed_tender(db, make_org, make_user):
    """A published tender with two lots and three bids (two cooperatives, one consortium)."""
    buyer = make_org("municipality", slug="e-laarbeek", name="Gemeente Laarbeek")
    officials = [make_user(buyer, "procurement_officer") for _ in range(2)]
    reviewer = make_user(buyer, "reviewer")
    deadline = utcnow() + timedelta(days=1)
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officials[0],
            buyer=buyer,
            data=tenders.TenderData(
                title="Ondersteuning thuis",
                procedure=Procedure.SOCIAL,
                submission_deadline=deadline,
            ),
        )
        lots = [
            tenders.add_lot(
                actor=officials[0],
                buyer=buyer,
                tender=tender,
                title=t,
                kind=LotKind.GEOGRAPHIC,
                budget=Decimal("100000.00"),
                reserved_share=Decimal("25"),
            )
            for t in ("Beek en Donk", "Lieshout")
        ]
        price = tenders.add_criterion(
            actor=officials[0],
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=40,
        )
        quality = tenders.add_criterion(
            actor=officials[0],
            buyer=buyer,
            tender=tender,
            title="Kwaliteit",
            kind=CriterionKind.QUALITY,
            weight=60,
        )
        tenders.publish(actor=officials[0], buyer=buyer, tender=tender)
        tender_id, lot_ids = tender.id, [lot.id for lot in lots]
    bidders = {}
    for slug, kind, lot_index, price_text in (
        ("e-coop-a", "cooperative", 0, "90.000"),
        ("e-coop-b", "cooperative", 0, "80.000"),
        ("e-provider", "provider", 1, "95.000"),
    ):
        org = make_org(kind, slug=slug, name=slug.upper())
        user = make_user(org, "coordinator" if kind == "cooperative" else "contact")
        bidders[slug] = (org, user)
        public = submission.published_tender(tender_id)
        with acting_for(org.id):
            bid = submission.start(actor=user, bidder=org, tender=public, lot_id=lot_ids[lot_index])
            submission.save_draft(
                actor=user,
                bidder=org,
                bid=bid,
                content={
                    "price": price_text,
                    "answers": {str(quality.id): f"Plan van {slug}"},
                    "requirements": {},
                },
            )
            if slug == "e-provider":  # a consortium: the provider leads, coop A is a subcontractor
                submission.add_partner(
                    actor=user,
                    bidder=org,
                    bid=bid,
                    partner=bidders["e-coop-a"][0],
                    role=PartnerRole.SUB,
                    share=Decimal("25"),
                )
                bid_id = bid.id
        if slug == "e-provider":
            with acting_for(bidders["e-coop-a"][0].id):
                dossier.add_document(  # the partner's own declaration goes with its confirmation
                    actor=None,
                    org=bidders["e-coop-a"][0],
                    kind=DossierKind.UEA,
                    title="Eigen verklaring",
                    filename="uea.pdf",
                    data=b"%PDF-1.4 eigen verklaring",
                )
                submission.confirm_participation(
                    actor=bidders["e-coop-a"][1], partner=bidders["e-coop-a"][0], bid_id=bid_id
                )
        with acting_for(org.id):
            from koepel.bids.models import Bid

            bid = db.session.scalar(select(Bid).where(Bid.tender_id == tender_id))
            submission.submit(actor=user, bidder=org, bid=bid, tender=public)
    return {
        "buyer": buyer,
        "officials": officials,
        "reviewer": reviewer,
        "tender_id": tender_id,
        "deadline": deadline,
        "quality": quality,
        "price": price,
        "lot_ids": lot_ids,
    }


def _tender(ctx):
    return tenders.get_tender(ctx["tender_id"])


def test_opening_needs_the_deadline_and_two_different_officials(db, closed_tender):
    ctx = closed_tender
    buyer, (first, second) = ctx["buyer"], ctx["officials"]
    after = ctx["deadline"] + timedelta(minutes=5)
    with acting_for(buyer.id):
        tender = _tender(ctx)
        with pytest.raises(opening.OpeningError, match="nog niet voorbij"):
            opening.start(
                actor=first, buyer=buyer, tender=tender, now=ctx["deadline"] - timedelta(seconds=1)
            )
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        with pytest.raises(opening.OpeningError, match="tweede"):
            opening.confirm(actor=first, buyer=buyer, tender=tender, now=after)
        with pytest.raises(opening.OpeningError, match="te laat"):
            opening.confirm(
                actor=second, buyer=buyer, tender=tender, now=after + timedelta(hours=3)
            )
        opening.start(
            actor=first, buyer=buyer, tender=tender, now=after + timedelta(hours=3)
        )  # again
        opened = opening.confirm(
            actor=second, buyer=buyer, tender=tender, now=after + timedelta(hours=3, minutes=1)
        )
        assert tender.status == TenderStatus.OPENED and len(opened) == 3
        record = db.session.scalar(select(opening.TenderOpening)).record
        assert [b["bidder"] for b in record["bids"]] == ["E-COOP-A", "E-COOP-B", "E-PROVIDER"]
        assert record["bids"][2]["partners"] == ["E-COOP-A"] and len(record["officials"]) == 2
        prices = {o.bidder_name: o.price for o in db.session.scalars(select(OpenedBid))}
        assert prices == {
            "E-COOP-A": Decimal("90000.00"),
            "E-COOP-B": Decimal("80000.00"),
            "E-PROVIDER": Decimal("95000.00"),
        }


def test_evaluation_ranks_awards_and_fixes_the_standstill(db, closed_tender, mailbox, run_jobs):
    ctx = closed_tender
    buyer, (first, second), reviewer = ctx["buyer"], ctx["officials"], ctx["reviewer"]
    after = ctx["deadline"] + timedelta(minutes=1)
    with acting_for(buyer.id):
        tender = _tender(ctx)
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
        evaluation.assign_reviewer(
            actor=first, buyer=buyer, tender=tender, reviewer=reviewer, chair=True
        )
        bids = {o.bidder_name: o for o in db.session.scalars(select(OpenedBid))}
        with pytest.raises(evaluation.EvaluationError, match="belangenconflict"):
            evaluation.score(
                reviewer=reviewer,
                buyer=buyer,
                tender=tender,
                bid=bids["E-COOP-A"],
                criterion=ctx["quality"],
                points=Decimal(8),
                motivation="Goed plan",
            )
        evaluation.declare_no_conflict(reviewer=reviewer, buyer=buyer, tender=tender)
        with pytest.raises(evaluation.EvaluationError):
            evaluation.set_consensus(
                chair=reviewer,
                buyer=buyer,
                tender=tender,
                bid=bids["E-COOP-A"],
                criterion=ctx["quality"],
                points=Decimal(11),
                motivation="Te veel",
            )
        for name, points in (("E-COOP-A", 9), ("E-COOP-B", 6), ("E-PROVIDER", 7)):
            evaluation.score(
                reviewer=reviewer,
                buyer=buyer,
                tender=tender,
                bid=bids[name],
                criterion=ctx["quality"],
                points=Decimal(points),
                motivation="Toelichting",
            )
            evaluation.set_consensus(
                chair=reviewer,
                buyer=buyer,
                tender=tender,
                bid=bids[name],
                criterion=ctx["quality"],
                points=Decimal(points),
                motivation="Consensus",
            )
        ranking = evaluation.results(tender)
        lot_a = ranking[ctx["lot_ids"][0]]
        # A: 40*80/90 + 60*0.9 = 35.56 + 54 = 89.56; B: 40 + 36 = 76.00
        assert [(r.bid_id, r.total) for r in lot_a] == [
            (bids["E-COOP-A"].id, Decimal("89.56")),
            (bids["E-COOP-B"].id, Decimal("76.00")),
        ]
        decisions = evaluation.decide(
            actor=first, buyer=buyer, tender=tender, reasons="Beste prijs-kwaliteit"
        )
        assert {d.lot_id: d.winner_id for d in decisions} == {
            ctx["lot_ids"][0]: bids["E-COOP-A"].id,
            ctx["lot_ids"][1]: bids["E-PROVIDER"].id,
        }
        sent = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 16:00 in Amsterdam
        ends = evaluation.send_letters(actor=first, buyer=buyer, tender=tender, now=sent)
        # Starts the day after sending (2 Dec), 20 calendar days: ends 21 Dec 23:59:59 Amsterdam.
        assert ends == datetime(2026, 12, 21, 22, 59, 59, tzinfo=UTC)
        assert tender.status == TenderStatus.AWARDED


def test_standstill_across_summer_time():
    sent = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
    # 21 March .. 9 April (20 days); on 9 April Amsterdam is UTC+2.
    assert evaluation.standstill_end(sent, 20) == datetime(2026, 4, 9, 21, 59, 59, tzinfo=UTC)


def test_one_chair_and_plain_point_limits(db, closed_tender, make_user):
    ctx = closed_tender
    buyer, (first, second) = ctx["buyer"], ctx["officials"]
    other = make_user(buyer, "reviewer")
    after = ctx["deadline"] + timedelta(minutes=1)
    with acting_for(buyer.id):
        tender = _tender(ctx)
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
        a = evaluation.assign_reviewer(
            actor=first, buyer=buyer, tender=tender, reviewer=ctx["reviewer"], chair=True
        )
        b = evaluation.assign_reviewer(
            actor=first, buyer=buyer, tender=tender, reviewer=other, chair=True
        )
        assert (a.is_chair, b.is_chair) == (False, True)
        evaluation.declare_no_conflict(reviewer=other, buyer=buyer, tender=tender)
        bid = db.session.scalars(select(OpenedBid)).first()
        with pytest.raises(evaluation.EvaluationError, match="tussen 0 en 10 punten"):
            evaluation.score(
                reviewer=other,
                buyer=buyer,
                tender=tender,
                bid=bid,
                criterion=ctx["quality"],
                points=Decimal(12),
                motivation="x",
            )
