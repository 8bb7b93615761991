"""The buyer's tender: draft it with lots, criteria and requirements, publish it, keep its
deadlines honest, cancel it. Deadlines are compared on the server, at the instant.

Functions take the actor and the buyer explicitly, record an audit event and only flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.bids.models import (
    Criterion,
    CriterionKind,
    Lot,
    LotKind,
    Procedure,
    Requirement,
    Tender,
    TenderStatus,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import to_money, validate_weights_sum_100
from koepel.platform.timeutil import utcnow

BUYER_KINDS = (OrgKind.MUNICIPALITY, OrgKind.REGION)


class TenderError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _record(actor, buyer, tender, action, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action=f"tender.{action}",
        obj_type="tender",
        obj_id=tender.id,
        after={"status": tender.status.value, **after},
    )


def _draft_only(tender: Tender) -> None:
    if tender.status != TenderStatus.DRAFT:
        raise TenderError(_("Een gepubliceerde aanbesteding kan zo niet meer worden gewijzigd."))


@dataclass
class TenderData:
    title: str
    procedure: Procedure
    description: str = ""
    estimated_value: Decimal | None = None
    questions_deadline: datetime | None = None
    submission_deadline: datetime | None = None
    standstill_days: int = 20
    price_after_quality: bool = False
    anonymous_evaluation: bool = False
    show_bid_count: bool = False


def create(*, actor: User, buyer: Organisation, data: TenderData) -> Tender:
    if buyer.kind not in BUYER_KINDS:
        raise TenderError(_("Alleen een gemeente of regio schrijft een aanbesteding uit."))
    if not data.title.strip():
        raise TenderError(_("Geef de aanbesteding een titel."), "title")
    if data.standstill_days < 20:
        raise TenderError(_("De opschortende termijn is minstens 20 dagen."), "standstill_days")
    tender = Tender(
        tenant_id=buyer.id,
        title=data.title.strip(),
        description=data.description.strip(),
        procedure=data.procedure,
        estimated_value=to_money(data.estimated_value)
        if data.estimated_value is not None
        else None,
        questions_deadline=data.questions_deadline,
        submission_deadline=data.submission_deadline,
        standstill_days=data.standstill_days,
        price_after_quality=data.price_after_quality,
        anonymous_evaluation=data.anonymous_evaluation,
        show_bid_count=data.show_bid_count,
        created_by_id=actor.id,
    )
    db.session.add(tender)
    db.session.flush()
    _record(actor, buyer, tender, "created", title=tender.title)
    return tender


def add_lot(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    title: str,
    kind: LotKind,
    budget: Decimal,
    reserved_share: Decimal = Decimal(0),
    area: str = "",
    description: str = "",
) -> Lot:
    _draft_only(tender)
    if not title.strip():
        raise TenderError(_("Geef het perceel een naam."), "title")
    budget = to_money(budget)
    if budget <= 0:
        raise TenderError(_("Het budget van een perceel moet groter zijn dan nul."), "budget")
    if not Decimal(0) <= Decimal(reserved_share) <= Decimal(100):
        raise TenderError(
            _("Het voorbehouden deel is een percentage tussen 0 en 100."), "reserved_share"
        )
    number = len(tender.lots) + 1
    lot = Lot(
        tenant_id=buyer.id,
        tender_id=tender.id,
        number=number,
        title=title.strip(),
        kind=kind,
        budget=budget,
        reserved_share=Decimal(reserved_share),
        area=area.strip(),
        description=description.strip(),
    )
    db.session.add(lot)
    db.session.flush()
    db.session.refresh(tender, ["lots"])
    _record(actor, buyer, tender, "lot_added", lot=number, budget=budget)
    return lot


def add_criterion(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    title: str,
    kind: CriterionKind,
    weight: Decimal,
    max_points: Decimal = Decimal(10),
    description: str = "",
) -> Criterion:
    _draft_only(tender)
    weight = Decimal(weight)
    if not title.strip():
        raise TenderError(_("Geef het criterium een naam."), "title")
    if not Decimal(0) < weight <= Decimal(100):
        raise TenderError(
            _("Een weging is een percentage groter dan 0 en hoogstens 100."), "weight"
        )
    if kind == CriterionKind.PRICE and any(c.kind == CriterionKind.PRICE for c in tender.criteria):
        raise TenderError(_("Er is al een criterium voor de prijs."), "kind")
    criterion = Criterion(
        tenant_id=buyer.id,
        tender_id=tender.id,
        title=title.strip(),
        kind=kind,
        weight=weight,
        max_points=Decimal(max_points),
        description=description.strip(),
    )
    db.session.add(criterion)
    db.session.flush()
    db.session.refresh(tender, ["criteria"])
    _record(actor, buyer, tender, "criterion_added", criterion=criterion.title, weight=weight)
    return criterion


def add_requirement(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    title: str,
    description: str = "",
    equivalent: str = "",
) -> Requirement:
    _draft_only(tender)
    if not title.strip():
        raise TenderError(_("Geef de eis een naam."), "title")
    requirement = Requirement(
        tenant_id=buyer.id,
        tender_id=tender.id,
        title=title.strip(),
        description=description.strip(),
        equivalent=equivalent.strip(),
    )
    db.session.add(requirement)
    db.session.flush()
    db.session.refresh(tender, ["requirements"])
    _record(actor, buyer, tender, "requirement_added", requirement=requirement.title)
    return requirement


def publish(
    *, actor: User, buyer: Organisation, tender: Tender, now: datetime | None = None
) -> None:
    """Publish a complete draft: lots, weights that sum to 100, deadlines ahead."""
    now = now or utcnow()
    _draft_only(tender)
    if not tender.lots:
        raise TenderError(_("Voeg minstens één perceel toe."))
    if not tender.criteria:
        raise TenderError(_("Voeg de gunningscriteria toe."))
    try:
        validate_weights_sum_100([c.weight for c in tender.criteria])
    except ValueError as exc:
        raise TenderError(str(exc), "weight") from None
    if tender.submission_deadline is None or tender.submission_deadline <= now:
        raise TenderError(
            _("De sluitingstermijn moet in de toekomst liggen."), "submission_deadline"
        )
    if (
        tender.questions_deadline is not None
        and tender.questions_deadline >= tender.submission_deadline
    ):
        raise TenderError(
            _("Vragen stellen moet kunnen stoppen vóór de sluitingstermijn."), "questions_deadline"
        )
    tender.status, tender.published_at = TenderStatus.PUBLISHED, now
    db.session.flush()
    _record(actor, buyer, tender, "published", deadline=tender.submission_deadline)


def check_new_deadline(tender: Tender, new_deadline: datetime, now: datetime) -> None:
    """May the submission deadline move to ``new_deadline`` at ``now``? A deadline that
    has passed can no longer be changed, and the new one lies ahead."""
    if tender.status != TenderStatus.PUBLISHED:
        raise TenderError(_("Alleen bij een lopende aanbesteding kan de termijn nog veranderen."))
    if tender.submission_deadline <= now:
        raise TenderError(
            _("De sluitingstermijn is al verstreken en kan niet meer veranderen."),
            "submission_deadline",
        )
    if new_deadline <= now:
        raise TenderError(
            _("De nieuwe sluitingstermijn moet in de toekomst liggen."), "submission_deadline"
        )
    if tender.questions_deadline is not None and new_deadline <= tender.questions_deadline:
        raise TenderError(
            _("De sluitingstermijn moet na de termijn voor vragen liggen."), "submission_deadline"
        )


def change_deadline(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    new_deadline: datetime,
    now: datetime | None = None,
    correction: int | None = None,
) -> None:
    """Move the submission deadline. Pages publish this as a correction
    (``koepel.bids.corrections.publish``), which also tells every interested party."""
    now = now or utcnow()
    check_new_deadline(tender, new_deadline, now)
    before = tender.submission_deadline
    tender.submission_deadline = new_deadline
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.deadline_changed",
        obj_type="tender",
        obj_id=tender.id,
        before={"deadline": before},
        after={"deadline": new_deadline, "correction": correction},
    )


def cancel(*, actor: User, buyer: Organisation, tender: Tender, reason: str) -> None:
    if tender.status in (TenderStatus.AWARDED, TenderStatus.CANCELLED):
        raise TenderError(_("Deze aanbesteding is al afgerond."))
    if not reason.strip():
        raise TenderError(_("Schrijf waarom de aanbesteding stopt."), "reason")
    tender.status = TenderStatus.CANCELLED
    db.session.flush()
    _record(actor, buyer, tender, "cancelled", reason=reason.strip())


def accepts_bids(tender: Tender, now: datetime | None = None) -> bool:
    """Open for submission: published and before the deadline, to the instant."""
    now = now or utcnow()
    return (
        tender.status == TenderStatus.PUBLISHED
        and tender.submission_deadline is not None
        and now < tender.submission_deadline
    )


def get_tender(tender_id: int) -> Tender | None:
    """One of the acting buyer's tenders (scoped)."""
    return db.session.scalar(select(Tender).where(Tender.id == tender_id))
