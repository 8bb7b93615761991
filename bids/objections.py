"""Objections (bezwaar) during the standstill period, the buyer's answers, and whether the
award is final.

A bidder that received an award letter may object until the letter's standstill end (to the
second, decided on the server). The buyer answers every objection in writing, upheld
(gegrond) or rejected (ongegrond); the bidder is e-mailed through the outbox. The award
becomes final only when the standstill period is over and every objection is answered and
none was upheld; after an upheld objection the buyer withdraws the award, evaluates again
and sends new letters (a new standstill period).

Objections belong to the buyer; the bidder writes and reads its own only through the named
functions ``lodge`` and ``for_bidder``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koepel.bids import letters as letter_ops
from koepel.bids.models import AwardDecision, Tender, TenderStatus
from koepel.bids.models.objections import (
    AwardLetter,
    Objection,
    ObjectionGround,
    ObjectionOutcome,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgRole, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import format_datetime_local, utcnow

GROUND_LABELS = {
    ObjectionGround.SCORES: _l("de beoordeling van mijn inschrijving (scores)"),
    ObjectionGround.EXCLUSION: _l("de uitsluiting van mijn inschrijving"),
    ObjectionGround.WINNER: _l("de winnende inschrijving"),
    ObjectionGround.PROCEDURE: _l("de procedure of de motivering"),
    ObjectionGround.OTHER: _l("iets anders"),
}
OUTCOME_LABELS = {
    ObjectionOutcome.UPHELD: _l("gegrond"),
    ObjectionOutcome.REJECTED: _l("ongegrond"),
}
MAX_TEXT = 20000


class ObjectionError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- the state of the award ------------------------------------------------------------------
@dataclass(frozen=True)
class AwardState:
    sent_at: datetime | None
    standstill_ends_at: datetime | None
    running: bool  # the standstill period has not ended yet
    open_objections: int  # not answered yet
    upheld: int  # answered as upheld: the award must be revised
    final: bool


def current_letters(tender: Tender) -> list[AwardLetter]:
    """The letters of the award that stands (not of a withdrawn one), in the buyer's scope."""
    return list(
        db.session.scalars(
            select(AwardLetter)
            .where(AwardLetter.tender_id == tender.id, AwardLetter.withdrawn_at.is_(None))
            .order_by(AwardLetter.lot_id, AwardLetter.id)
        )
    )


def award_state(tender: Tender, now: datetime | None = None) -> AwardState:
    now = now or utcnow()
    decisions = db.session.scalars(
        select(AwardDecision).where(AwardDecision.tender_id == tender.id)
    ).all()
    sent = [d for d in decisions if d.letters_sent_at is not None]
    if tender.status != TenderStatus.AWARDED or not sent:
        return AwardState(None, None, False, 0, 0, False)
    ends = max(d.standstill_ends_at for d in sent)
    objections = db.session.scalars(
        select(Objection)
        .join(AwardLetter, AwardLetter.id == Objection.letter_id)
        .where(Objection.tender_id == tender.id, AwardLetter.withdrawn_at.is_(None))
    ).all()
    unanswered = sum(1 for o in objections if o.answered_at is None)
    upheld = sum(1 for o in objections if o.outcome == ObjectionOutcome.UPHELD)
    running = now <= ends
    return AwardState(
        sent_at=min(d.letters_sent_at for d in sent),
        standstill_ends_at=ends,
        running=running,
        open_objections=unanswered,
        upheld=upheld,
        final=not running and unanswered == 0 and upheld == 0,
    )


def award_final(tender: Tender, now: datetime | None = None) -> bool:
    """Whether the award is final: letters sent, the standstill period over, every objection
    answered and none upheld."""
    return award_state(tender, now).final


# -- the bidder's side ---------------------------------------------------------------------
def may_lodge(letter: AwardLetter, now: datetime | None = None) -> bool:
    return letter.withdrawn_at is None and (now or utcnow()) <= letter.standstill_ends_at


def lodge(
    *,
    actor: User,
    bidder: Organisation,
    letter_id: int,
    grounds: str,
    text: str,
    now: datetime | None = None,
) -> Objection:
    """A bidder objects against the award letter it received, before the standstill ends."""
    now = now or utcnow()
    with cross_tenant("a bidder lodges an objection against the award letter it received"):
        letter = db.session.scalar(
            select(AwardLetter).where(
                AwardLetter.id == letter_id, AwardLetter.bidder_id == bidder.id
            )
        )
        if letter is None:
            raise ObjectionError(_("U kunt alleen bezwaar maken tegen uw eigen gunningsbrief."))
        if letter.withdrawn_at is not None:
            raise ObjectionError(
                _("Deze gunningsbeslissing is ingetrokken. Er komt een nieuwe beslissing.")
            )
        if now > letter.standstill_ends_at:
            raise ObjectionError(
                _(
                    "De opschortende termijn is voorbij (tot en met %(end)s). Bezwaar maken "
                    "kan niet meer.",
                    end=format_datetime_local(
                        letter.standstill_ends_at, current_language(), "long"
                    ),
                )
            )
        try:
            ground = ObjectionGround(grounds)
        except ValueError:
            raise ObjectionError(_("Kies waar uw bezwaar over gaat."), "grounds") from None
        text = (text or "").strip()
        if not text:
            raise ObjectionError(_("Schrijf op wat uw bezwaar is en waarom."), "text")
        if len(text) > MAX_TEXT:
            raise ObjectionError(
                _("Uw bezwaar is te lang: houd het onder %(n)d tekens.", n=MAX_TEXT), "text"
            )
        objection = Objection(
            tenant_id=letter.tenant_id,
            tender_id=letter.tender_id,
            letter_id=letter.id,
            bidder_id=bidder.id,
            grounds=ground,
            text=text,
            lodged_at=now,
            lodged_by_id=actor.id,
        )
        db.session.add(objection)
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=letter.tenant_id,
            action="award.objection_lodged",
            obj_type="objection",
            obj_id=objection.id,
            after={"letter": letter.id, "bidder": bidder.slug, "grounds": ground.value},
        )
        _tell_buyer(letter, bidder, objection)
        db.session.expunge(objection)
    return objection


def _tell_buyer(letter: AwardLetter, bidder: Organisation, objection: Objection) -> None:
    """The buyer's procurement officers hear of a new objection (no content in the mail)."""
    officers = db.session.execute(
        select(User.email, User.locale)
        .join(OrgRole, OrgRole.user_id == User.id)
        .where(
            OrgRole.organisation_id == letter.tenant_id,
            OrgRole.role == "procurement_officer",
            User.is_active_account.is_(True),
        )
        .distinct()
    ).all()
    link = letter_ops.external_url(
        "evaluation.view",
        org_slug=db.session.scalar(
            select(Organisation.slug).where(Organisation.id == letter.tenant_id)
        ),
        tender_id=letter.tender_id,
        _anchor=f"objection-{objection.id}",
    )
    title = letter.content["tender"]["title"]
    for email, locale in officers:
        with force_locale(locale or letter_ops.LETTER_LOCALE):
            queue_email(
                to=email,
                subject=_("Bezwaar tegen de gunning: %(tender)s", tender=title),
                body="\n\n".join(
                    [
                        _(
                            "%(bidder)s maakt bezwaar tegen de gunningsbeslissing voor "
                            "%(tender)s, perceel %(lot)s.",
                            bidder=bidder.name,
                            tender=title,
                            lot=letter.content["lot"]["title"],
                        ),
                        _(
                            "Beantwoord het bezwaar schriftelijk. Zolang het niet is "
                            "beantwoord, wordt de gunning niet definitief: %(link)s",
                            link=link,
                        ),
                    ]
                ),
                tenant_id=letter.tenant_id,
            )


def for_bidder(bidder: Organisation, letter_ids: Sequence[int]) -> list[Objection]:
    """A bidder's own objections against the given letters, oldest first (detached rows)."""
    if not letter_ids:
        return []
    with cross_tenant("a bidder reads the objections it lodged and their answers"):
        rows = db.session.scalars(
            select(Objection)
            .where(Objection.bidder_id == bidder.id, Objection.letter_id.in_(list(letter_ids)))
            .order_by(Objection.lodged_at, Objection.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


# -- the buyer's side ------------------------------------------------------------------------
def for_tender(tender: Tender) -> list[Objection]:
    return list(
        db.session.scalars(
            select(Objection)
            .where(Objection.tender_id == tender.id)
            .order_by(Objection.lodged_at, Objection.id)
        )
    )


def answer(
    *,
    actor: User,
    buyer: Organisation,
    objection: Objection,
    outcome: str,
    text: str,
    now: datetime | None = None,
) -> Objection:
    """The buyer's written answer; the bidder's people are e-mailed (once each)."""
    now = now or utcnow()
    objection = db.session.scalar(
        select(Objection)
        .where(Objection.id == objection.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if objection.answered_at is not None:
        raise ObjectionError(_("Dit bezwaar is al beantwoord."))
    try:
        result = ObjectionOutcome(outcome)
    except ValueError:
        raise ObjectionError(_("Kies of het bezwaar gegrond of ongegrond is."), "outcome") from None
    text = (text or "").strip()
    if not text:
        raise ObjectionError(_("Schrijf uw antwoord op het bezwaar."), "answer")
    if len(text) > MAX_TEXT:
        raise ObjectionError(
            _("Het antwoord is te lang: houd het onder %(n)d tekens.", n=MAX_TEXT), "answer"
        )
    objection.outcome, objection.answer = result, text
    objection.answered_at, objection.answered_by_id = now, actor.id
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="award.objection_answered",
        obj_type="objection",
        obj_id=objection.id,
        after={"outcome": result.value},
    )
    letter = db.session.get(AwardLetter, objection.letter_id)
    _tell_bidder(letter, objection)
    return objection


def _tell_bidder(letter: AwardLetter, objection: Objection) -> None:
    title = letter.content["tender"]["title"]
    for email, locale in letter_ops.recipients([letter.bidder_id]).get(letter.bidder_id, []):
        with force_locale(locale):
            lines = [
                _(
                    "De opdrachtgever heeft uw bezwaar tegen de gunningsbeslissing voor "
                    "%(tender)s, perceel %(lot)s, beantwoord.",
                    tender=title,
                    lot=letter.content["lot"]["title"],
                ),
                _(
                    "Uw bezwaar van %(date)s ging over: %(grounds)s.",
                    date=format_datetime_local(objection.lodged_at, current_language(), "long"),
                    grounds=GROUND_LABELS[objection.grounds],
                ),
                _(
                    "Uitkomst: het bezwaar is %(outcome)s.",
                    outcome=OUTCOME_LABELS[objection.outcome],
                ),
                _("Antwoord: %(answer)s", answer=objection.answer),
                _(
                    "De opdrachtgever neemt de gunning opnieuw in behandeling. U krijgt "
                    "bericht van de nieuwe beslissing."
                )
                if objection.outcome == ObjectionOutcome.UPHELD
                else _(
                    "De gunning blijft staan. Zij wordt definitief als de opschortende "
                    "termijn voorbij is en alle bezwaren zijn beantwoord."
                ),
            ]
            subject = _("Antwoord op uw bezwaar: %(tender)s", tender=title)
            queue_email(
                to=email, subject=subject, body="\n\n".join(lines), tenant_id=letter.bidder_id
            )


def withdraw_award(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    reason: str,
    now: datetime | None = None,
) -> None:
    """After an upheld objection: withdraw the award. The letters stay on record, marked
    withdrawn; the decisions go (the audit log keeps them) and the tender returns to the
    evaluation, to be decided and sent again with a new standstill period."""
    now = now or utcnow()
    state = award_state(tender, now)
    if tender.status != TenderStatus.AWARDED or state.sent_at is None:
        raise ObjectionError(_("Alleen een verstuurde gunning kan worden ingetrokken."))
    if state.final:
        raise ObjectionError(_("De gunning is definitief. Intrekken kan hier niet meer."))
    if state.open_objections:
        raise ObjectionError(_("Beantwoord eerst alle bezwaren."))
    if not state.upheld:
        raise ObjectionError(_("Intrekken kan nadat een bezwaar gegrond is verklaard."))
    reason = (reason or "").strip()
    if not reason:
        raise ObjectionError(_("Schrijf waarom de gunning wordt ingetrokken."), "reason")
    decisions = db.session.scalars(
        select(AwardDecision).where(AwardDecision.tender_id == tender.id)
    ).all()
    before = {
        "lots": {d.lot_id: d.winner_id for d in decisions},
        "reasons": decisions[0].reasons if decisions else "",
        "sent_at": state.sent_at,
        "standstill_ends_at": state.standstill_ends_at,
    }
    withdrawn = current_letters(tender)
    for letter in withdrawn:
        letter.withdrawn_at = now
    for decision in decisions:
        db.session.delete(decision)
    tender.status = TenderStatus.OPENED
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.award_withdrawn",
        obj_type="tender",
        obj_id=tender.id,
        before=before,
        after={"reason": reason, "letters": [letter.id for letter in withdrawn]},
    )
    _tell_withdrawn(withdrawn, reason)


def _tell_withdrawn(withdrawn: Iterable[AwardLetter], reason: str) -> None:
    letters = list(withdrawn)
    people = letter_ops.recipients({letter.bidder_id for letter in letters})
    for letter in letters:
        for email, locale in people.get(letter.bidder_id, []):
            with force_locale(locale):
                title = letter.content["tender"]["title"]
                queue_email(
                    to=email,
                    subject=_("Gunningsbeslissing ingetrokken: %(tender)s", tender=title),
                    body="\n\n".join(
                        [
                            _(
                                "De opdrachtgever heeft de gunningsbeslissing voor %(tender)s, "
                                "perceel %(lot)s, ingetrokken.",
                                tender=title,
                                lot=letter.content["lot"]["title"],
                            ),
                            _("Reden: %(reason)s", reason=reason),
                            _(
                                "De inschrijvingen worden opnieuw beoordeeld. U krijgt een "
                                "nieuwe gunningsbrief, met een nieuwe opschortende termijn."
                            ),
                        ]
                    ),
                    tenant_id=letter.bidder_id,
                )
