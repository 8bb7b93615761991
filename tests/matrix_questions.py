"""Access-matrix entries for the bids module's questions routes (merged into ``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end."""

from __future__ import annotations

from typing import Any

from access_matrix import (  # noqa: F401
    BIDDERS,
    BUYER,
    Covered,
    Org,
    _bid_for,
    _next,
    _system_user,
    _tender_for,
)


def _question_for(db, org) -> dict[str, Any]:
    """A published tender of buyer ``org`` with one question from a cooperative."""
    from datetime import timedelta
    from decimal import Decimal

    from koepel.bids import questions, submission, tenders
    from koepel.bids.models import CriterionKind, LotKind
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import utcnow

    actor = _system_user(db)
    with acting_for(org.id):
        tender_id = _tender_for(db, org)["tender_id"]
        tender = tenders.get_tender(tender_id)
        tender.questions_deadline = utcnow() + timedelta(days=7)
        tenders.add_lot(
            actor=actor,
            buyer=org,
            tender=tender,
            title="Perceel",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("1000"),
        )
        tenders.add_criterion(
            actor=actor,
            buyer=org,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=Decimal(100),
        )
        tenders.publish(actor=actor, buyer=org, tender=tender)
    asker = Organisation(kind=OrgKind.COOPERATIVE, slug=f"vrager-{_next()}", name="Vrager")
    db.session.add(asker)
    db.session.flush()
    with acting_for(asker.id):
        asked = questions.ask(
            actor=actor,
            asker=asker,
            tender=submission.published_tender(tender_id),
            text="Een vraag?",
        )
    return {"tender_id": tender_id, "question_id": asked.question_id}


def _tender_document_for(db, org) -> dict[str, Any]:
    """A draft tender of buyer ``org`` with one document."""
    from koepel.bids import documents, tenders
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        tender_id = _tender_for(db, org)["tender_id"]
        document = documents.add(
            actor=_system_user(db),
            buyer=org,
            tender=tenders.get_tender(tender_id),
            title="Programma van eisen",
            filename="eisen.txt",
            data=b"eisen",
        )
    return {"tender_id": tender_id, "document_id": document.id}


BIDDER_SIDE = "tests/test_bids_documents.py::test_bidder_routes_answer_only_bidders"

ENTRIES: dict[str, object] = {
    # the buyer's questions (an empty POST: a form error, 200; assigning to nobody: 302)
    "questions.buyer": Org("tenders.view", kinds=BUYER, obj=_tender_for),
    "questions.assign": Org(
        "tenders.manage", kinds=BUYER, obj=_question_for, methods=("POST",), ok=302
    ),
    "questions.answer": Org("tenders.answer", kinds=BUYER, obj=_question_for, methods=("POST",)),
    "questions.publish_nota": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)
    ),
    # the buyer's documents and corrections
    "questions.documents": Org("tenders.view", kinds=BUYER, obj=_tender_for),
    "questions.add_document": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)
    ),
    "questions.document": Org("tenders.view", kinds=BUYER, obj=_tender_document_for),
    "questions.publish_correction": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)
    ),
    # the bidder's side: published tenders are open to every bidder, so the harness's
    # foreign-object check (404) does not apply; the named test covers who gets what.
    "questions.interest": Covered(BIDDER_SIDE),
    "questions.ask": Covered(BIDDER_SIDE),
    "questions.bidder_document": Covered(BIDDER_SIDE),
    # a draft bid needs no re-confirmation: refused with a message, back to the bid (302)
    "questions.reconfirm": Org(
        "bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",), ok=302
    ),
}
