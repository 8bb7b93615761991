"""Corrections (rectificaties) of a published tender, and re-confirmation of bids.

Once a tender is published, a change to it — a new or replaced document, a withdrawn
document, a later deadline, a changed text — is published explicitly as the next numbered
correction, with a reason. At that instant every interested party gets an e-mail (queued in
the same transaction) and every bid already submitted is marked as needing
re-confirmation: its bidder confirms the bid still stands, or withdraws and resubmits it
(a resubmission clears the mark too). The opening record states, per bid, whether it was
re-confirmed after the last correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from koepel.bids import documents, questions, tenders
from koepel.bids.models import Bid, BidStatus, Tender, TenderStatus
from koepel.bids.models.questions import TenderCorrection
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import format_datetime_local, utcnow


class CorrectionError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewDocument:
    """A document uploaded with a correction; ``replaces_id`` names the version it replaces."""

    title: str
    filename: str
    data: bytes
    replaces_id: int | None = None


def _refusal(exc: tenders.TenderError | documents.DocumentError) -> CorrectionError:
    return CorrectionError(str(exc), exc.field)


def publish(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    reason: str,
    deadline: datetime | None = None,
    description: str | None = None,
    document: NewDocument | None = None,
    withdraw_id: int | None = None,
    now: datetime | None = None,
) -> TenderCorrection:
    """Publish the changes together as the next numbered correction. Everything is checked
    before anything changes, so a refusal leaves the tender as it was."""
    now = now or utcnow()
    if tender.status != TenderStatus.PUBLISHED:
        raise CorrectionError(
            _("Alleen een gepubliceerde, lopende aanbesteding kan worden gerectificeerd.")
        )
    if tender.submission_deadline <= now:
        raise CorrectionError(
            _("De sluitingstermijn is al verstreken. De aanbesteding verandert niet meer.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise CorrectionError(_("Schrijf op waarom de aanbesteding verandert."), "reason")
    if description is not None:
        description = description.strip()
        if description == (tender.description or ""):
            description = None  # unchanged
    if deadline is not None and deadline == tender.submission_deadline:
        deadline = None
    if deadline is None and description is None and document is None and withdraw_id is None:
        raise CorrectionError(
            _(
                "Er verandert nog niets. Kies een nieuwe sluitingstermijn, pas de omschrijving "
                "aan, voeg een document toe of trek er een in."
            )
        )
    try:
        if deadline is not None:
            tenders.check_new_deadline(tender, deadline, now)
        if document is not None:
            documents.check(document.title, document.filename, document.data)
            documents.replaceable(tender, document.replaces_id, "replaces")
        if withdraw_id is not None:
            documents.replaceable(tender, withdraw_id, "withdraw")
            if document is not None and document.replaces_id == withdraw_id:
                raise documents.DocumentError(
                    _("Dit document wordt al vervangen door het nieuwe."), "withdraw"
                )
    except (tenders.TenderError, documents.DocumentError) as exc:
        raise _refusal(exc) from None

    lock_tender(tender)
    number = (
        db.session.scalar(
            select(func.max(TenderCorrection.number)).where(TenderCorrection.tender_id == tender.id)
        )
        or 0
    ) + 1
    correction = TenderCorrection(
        tenant_id=buyer.id,
        tender_id=tender.id,
        number=number,
        reason=reason,
        changes={},
        published_at=now,
        published_by_id=actor.id,
    )
    db.session.add(correction)
    db.session.flush()
    changes: dict[str, Any] = {}
    if deadline is not None:
        before = tender.submission_deadline
        tenders.change_deadline(
            actor=actor,
            buyer=buyer,
            tender=tender,
            new_deadline=deadline,
            now=now,
            correction=number,
        )
        changes["deadline"] = {"before": before.isoformat(), "after": deadline.isoformat()}
    text_before = None
    if description is not None:
        text_before, tender.description = tender.description, description
        changes["description"] = True
    if withdraw_id is not None:
        gone = documents.withdraw(
            actor=actor,
            buyer=buyer,
            tender=tender,
            document_id=withdraw_id,
            correction=correction,
            now=now,
        )
        changes["withdrawn"] = [gone.title]
    if document is not None:
        added = documents.add(
            actor=actor,
            buyer=buyer,
            tender=tender,
            title=document.title,
            filename=document.filename,
            data=document.data,
            replaces_id=document.replaces_id,
            correction=correction,
            now=now,
        )
        changes["documents"] = [{"title": added.title, "version": added.version}]
    correction.changes = changes
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.corrected",
        obj_type="tender",
        obj_id=tender.id,
        before={"description": text_before} if text_before is not None else None,
        after={
            "correction": number,
            "reason": reason,
            "changes": changes,
            **({"description": description} if description is not None else {}),
        },
    )
    _ask_reconfirmation(tender, number)
    questions.notify_interested_parties(
        tender,
        subject=_("Rectificatie %(number)d: %(title)s", number=number, title=tender.title),
        body=_mail_body(tender, number, reason, changes),
    )
    return correction


def lock_tender(tender: Tender) -> None:
    """Serialise numbering (corrections, notas) per tender: a second publisher waits, so
    the numbers run 1, 2, ... without a clash."""
    db.session.execute(select(Tender.id).where(Tender.id == tender.id).with_for_update())


def describe(changes: dict[str, Any]) -> list[str]:
    """What a correction changed, in plain words, for pages and e-mails."""
    lines = []
    if "deadline" in changes:
        lines.append(
            _(
                "De sluitingstermijn is nu %(after)s (was %(before)s).",
                after=_moment(changes["deadline"]["after"]),
                before=_moment(changes["deadline"]["before"]),
            )
        )
    if changes.get("description"):
        lines.append(_("De omschrijving van de aanbesteding is aangepast."))
    for title in changes.get("withdrawn", []):
        lines.append(_("Het document %(title)s is vervallen.", title=title))
    for added in changes.get("documents", []):
        lines.append(
            _(
                "Nieuw document: %(title)s (versie %(version)d).",
                title=added["title"],
                version=added["version"],
            )
        )
    return lines


def _moment(iso: str) -> str:
    return format_datetime_local(datetime.fromisoformat(iso), current_language(), "long")


def _mail_body(tender: Tender, number: int, reason: str, changes: dict[str, Any]) -> str:
    lines = [
        _(
            "De aanbesteding %(title)s is gewijzigd. Dit is rectificatie %(number)d.",
            title=tender.title,
            number=number,
        ),
        "",
        _("Reden: %(reason)s", reason=reason),
        "",
        _("Wat er verandert:"),
        *("- " + line for line in describe(changes)),
        "",
        _(
            "Heeft u al ingeschreven? Bevestig dan vóór de sluitingstermijn dat uw inschrijving "
            "blijft staan, of trek haar in en dien haar opnieuw in. U doet dat op de pagina "
            "van uw inschrijving."
        ),
    ]
    return "\n".join(str(line) for line in lines) + "\n"


def _ask_reconfirmation(tender: Tender, number: int) -> None:
    """Mark every submitted bid as needing re-confirmation. The buyer learns nothing from
    it: the bids stay sealed, and each event is in the bidder's own log."""
    with cross_tenant("a correction asks every bidder of the tender to re-confirm its bid"):
        bids = db.session.scalars(
            select(Bid).where(Bid.tender_id == tender.id, Bid.status == BidStatus.SUBMITTED)
        ).all()
        for bid in bids:
            bid.needs_reconfirmation, bid.reconfirmed_at = True, None
        db.session.flush()
        for bid in bids:
            audit.record(
                db.session,
                actor=None,
                tenant_id=bid.tenant_id,
                action="bid.reconfirmation_needed",
                obj_type="bid",
                obj_id=bid.id,
                after={"correction": number},
            )


@dataclass(frozen=True)
class PublicCorrection:
    number: int
    reason: str
    changes: dict[str, Any]
    published_at: datetime

    @property
    def lines(self) -> list[str]:
        return describe(self.changes)


def corrections_of(tender: Tender) -> list[PublicCorrection]:
    """The acting buyer's corrections of its tender (scoped)."""
    rows = db.session.execute(
        select(
            TenderCorrection.number,
            TenderCorrection.reason,
            TenderCorrection.changes,
            TenderCorrection.published_at,
        )
        .where(TenderCorrection.tender_id == tender.id)
        .order_by(TenderCorrection.number)
    ).all()
    return [PublicCorrection(*row) for row in rows]


def public_corrections(tender_id: int) -> list[PublicCorrection]:
    """The corrections of a published tender, as every bidder sees them."""
    with cross_tenant("bidders read the corrections of a published tender"):
        rows = db.session.execute(
            select(
                TenderCorrection.number,
                TenderCorrection.reason,
                TenderCorrection.changes,
                TenderCorrection.published_at,
            )
            .join(Tender, Tender.id == TenderCorrection.tender_id)
            .where(TenderCorrection.tender_id == tender_id, Tender.status != TenderStatus.DRAFT)
            .order_by(TenderCorrection.number)
        ).all()
    return [PublicCorrection(*row) for row in rows]


# -- the bidder's re-confirmation ------------------------------------------------------------
def reconfirm(
    *, actor: User, bidder: Organisation, bid: Bid, tender: Tender, now: datetime | None = None
) -> None:
    """The bidder confirms its submitted bid stands after the latest correction; decided
    on the server before the deadline."""
    now = now or utcnow()
    if bid.status != BidStatus.SUBMITTED or not bid.needs_reconfirmation:
        raise CorrectionError(_("Deze inschrijving hoeft u niet te bevestigen."))
    if not tenders.accepts_bids(tender, now):
        raise CorrectionError(_("De sluitingstermijn is voorbij: bevestigen kan niet meer."))
    latest = public_corrections(tender.id)
    bid.needs_reconfirmation, bid.reconfirmed_at = False, now
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="bid.reconfirmed",
        obj_type="bid",
        obj_id=bid.id,
        after={"correction": latest[-1].number if latest else None, "at": now},
    )


# -- the opening record --------------------------------------------------------------------
NO_CORRECTION = "no_correction"
SUBMITTED_AFTER = "submitted_after"
RECONFIRMED = "reconfirmed"
NOT_RECONFIRMED = "not_reconfirmed"


def last_correction(tender: Tender) -> TenderCorrection | None:
    """The buyer's latest correction of its tender (scoped)."""
    return db.session.scalar(
        select(TenderCorrection)
        .where(TenderCorrection.tender_id == tender.id)
        .order_by(TenderCorrection.number.desc())
        .limit(1)
    )


def reconfirmation_states(tender: Tender, bid_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per opened bid: was it re-confirmed after the last correction? For the opening
    record, made after the deadline, when the buyer may know the bids."""
    last = last_correction(tender)
    with cross_tenant("the opening record states whether each bid was re-confirmed"):
        rows = db.session.execute(
            select(Bid.id, Bid.needs_reconfirmation, Bid.reconfirmed_at, Bid.submitted_at).where(
                Bid.id.in_(bid_ids)
            )
        ).all()
    states: dict[int, dict[str, Any]] = {}
    for bid_id, needed, reconfirmed_at, submitted_at in rows:
        if last is None:
            state, at = NO_CORRECTION, None
        elif needed:
            state, at = NOT_RECONFIRMED, None
        elif reconfirmed_at is not None and reconfirmed_at >= last.published_at:
            state, at = RECONFIRMED, reconfirmed_at.isoformat()
        else:  # submitted (again) after the last correction, knowing it
            state, at = SUBMITTED_AFTER, submitted_at.isoformat()
        states[bid_id] = {
            "state": state,
            "correction": last.number if last else None,
            "at": at,
        }
    return states
