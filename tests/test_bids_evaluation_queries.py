"""The evaluation page takes the same number of SQL statements for 2 or 7 opened bids, for a
reviewer who sees every bid with its forms, its attachments and the ranking (issue 7: the
page read the reviewer's assignment again for every bid)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.bids import evaluation, opening, submission, tenders
from koepel.bids.models import Bid, CriterionKind, LotKind, Procedure
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

from conftest import client_for


def _opened_tender(db, make_org, make_user, buyer, officials, *, bids: int, anonymous: bool):
    """A tender of ``buyer`` with ``bids`` submitted bids, opened by the two officials; the
    first official is a declared reviewer. Returns the tender's id."""
    first, second = officials
    deadline = utcnow() + timedelta(days=1)
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=first,
            buyer=buyer,
            data=tenders.TenderData(
                title=f"Ondersteuning thuis ({bids})",
                procedure=Procedure.SOCIAL,
                submission_deadline=deadline,
                anonymous_evaluation=anonymous,
            ),
        )
        lot = tenders.add_lot(
            actor=first,
            buyer=buyer,
            tender=tender,
            title="Heel de gemeente",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("100000.00"),
        )
        tenders.add_criterion(
            actor=first,
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=40,
        )
        quality = [
            tenders.add_criterion(
                actor=first,
                buyer=buyer,
                tender=tender,
                title=title,
                kind=CriterionKind.QUALITY,
                weight=30,
            )
            for title in ("Plan", "Team")
        ]
        tenders.publish(actor=first, buyer=buyer, tender=tender)
        tender_id = tender.id
    for n in range(bids):
        org = make_org("cooperative")
        user = make_user(org, "coordinator")
        public = submission.published_tender(tender_id)
        with acting_for(org.id):
            bid = submission.start(actor=user, bidder=org, tender=public, lot_id=lot.id)
            submission.save_draft(
                actor=user,
                bidder=org,
                bid=bid,
                content={
                    "price": f"{80_000 + 1_000 * n}",
                    "answers": {str(c.id): f"Antwoord {n}" for c in quality},
                    "requirements": {},
                },
            )
            bid = db.session.scalar(select(Bid).where(Bid.id == bid.id))
            submission.submit(actor=user, bidder=org, bid=bid, tender=public)
    after = deadline + timedelta(minutes=1)
    with acting_for(buyer.id):
        tender = tenders.get_tender(tender_id)
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
        evaluation.assign_reviewer(actor=first, buyer=buyer, tender=tender, reviewer=first)
        evaluation.declare_no_conflict(reviewer=first, buyer=buyer, tender=tender)
        db.session.flush()
    return tender_id


@pytest.mark.parametrize("anonymous", [False, True], ids=["names", "anonymous"])
def test_the_evaluation_page_takes_the_same_queries_for_2_or_7_bids(
    app, db, make_org, make_user, count_queries, anonymous
):
    buyer = make_org("municipality")
    officials = [make_user(buyer, "procurement_officer") for _ in range(2)]
    client = client_for(app, officials[0])

    def statements(bids: int) -> int:
        tender_id = _opened_tender(
            db, make_org, make_user, buyer, officials, bids=bids, anonymous=anonymous
        )
        url = f"/{buyer.slug}/tenders/{tender_id}/evaluation"
        client.get(url)  # warm up: templates compiled, session loaded
        with count_queries() as counter:
            page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        # The reviewer sees every bid with its score forms (not only the count).
        assert html.count('class="koepel-card" id="bid-') == bids
        assert html.count("Score opslaan") == 2 * bids
        return counter.count

    assert statements(2) == statements(7)
