"""Questions and answers on a published tender, and the nota van inlichtingen.

A bidder registers interest and asks questions (per lot, if it likes) until the questions
deadline. The buyer must never learn who asked: the question is filed with the buyer as a
row *without* the asker (``TenderQuestion``), and the asker keeps its own link to it
(``AskedQuestion``). The buyer assigns a question to a colleague, drafts the answer, and
publishes a batch of answers at one instant as a numbered nota van inlichtingen: a PDF that
becomes a tender document. Every interested party gets an e-mail at that moment.

Interested parties are the organisations that registered interest, asked a question, have
a bid on the tender or are a partner in one. Who they are is read only inside
``interested_parties``, to send notifications; no page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from koepel.bids import documents
from koepel.bids.models import Bid, BidPartner, Lot, Tender, TenderStatus
from koepel.bids.models.questions import (
    AskedQuestion,
    DocumentKind,
    TenderInterest,
    TenderNota,
    TenderQuestion,
)
from koepel.platform import audit, files, pdf, policy
from koepel.platform.extensions import db
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgKind, OrgRole, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import format_datetime_local, utcnow

BIDDER_KINDS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA, OrgKind.PROVIDER)
MAX_QUESTION = 5000
MAX_ANSWER = 20000
NOTA_LOCALE = "nl"


class QuestionError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- interest ------------------------------------------------------------------------------
def _open_to_bidders(bidder: Organisation, tender: Tender, now: datetime) -> None:
    if bidder.kind not in BIDDER_KINDS:
        raise QuestionError(_("Alleen een zorgcoöperatie, koepel of zorgaanbieder kan dit."))
    if tender.status != TenderStatus.PUBLISHED or (
        tender.submission_deadline is not None and now >= tender.submission_deadline
    ):
        raise QuestionError(_("Deze aanbesteding is gesloten."))


def has_interest(tender_id: int) -> bool:
    """Has the acting bidder registered interest in this tender? (scoped)"""
    return (
        db.session.scalar(select(TenderInterest.id).where(TenderInterest.tender_id == tender_id))
        is not None
    )


def register_interest(
    *, actor: User, bidder: Organisation, tender: Tender, now: datetime | None = None
) -> TenderInterest:
    """Register the bidder as interested: it then hears of every nota and correction.
    Registering twice keeps the first registration."""
    now = now or utcnow()
    _open_to_bidders(bidder, tender, now)
    existing = db.session.scalar(
        select(TenderInterest).where(TenderInterest.tender_id == tender.id)
    )
    if existing is not None:
        return existing
    interest = TenderInterest(
        tenant_id=bidder.id, tender_id=tender.id, registered_by_id=actor.id, registered_at=now
    )
    db.session.add(interest)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=bidder.id,
        action="tender.interest_registered",
        obj_type="tender",
        obj_id=tender.id,
    )
    return interest


# -- asking --------------------------------------------------------------------------------
def questions_deadline(tender: Tender) -> datetime | None:
    """Until when questions may be asked: the questions deadline, else the submission one."""
    return tender.questions_deadline or tender.submission_deadline


def questions_open(tender: Tender, now: datetime | None = None) -> bool:
    now = now or utcnow()
    until = questions_deadline(tender)
    return tender.status == TenderStatus.PUBLISHED and until is not None and now < until


def ask(
    *,
    actor: User,
    asker: Organisation,
    tender: Tender,
    text: str,
    lot_id: int | None = None,
    now: datetime | None = None,
) -> AskedQuestion:
    """File a question with the buyer, without the asker's name; decided at this instant."""
    now = now or utcnow()
    _open_to_bidders(asker, tender, now)
    if not questions_open(tender, now):
        raise QuestionError(
            _(
                "De termijn voor vragen is voorbij (%(until)s). U kunt geen vragen meer "
                "stellen over deze aanbesteding.",
                until=format_datetime_local(questions_deadline(tender)),
            )
        )
    text = (text or "").strip()
    if not text:
        raise QuestionError(_("Schrijf uw vraag op."), "text")
    if len(text) > MAX_QUESTION:
        raise QuestionError(
            _("Uw vraag is te lang: hoogstens %(n)d tekens.", n=MAX_QUESTION), "text"
        )
    if lot_id is not None and lot_id not in {lot.id for lot in tender.lots}:
        raise QuestionError(_("Kies een perceel van deze aanbesteding."), "lot_id")
    question = _file_with_buyer(tender, text, lot_id, now)
    asked = AskedQuestion(
        tenant_id=asker.id,
        tender_id=tender.id,
        question_id=question.id,
        asked_by_id=actor.id,
        asked_at=now,
    )
    db.session.add(asked)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=asker.id,
        action="tender.question_asked",
        obj_type="tender",
        obj_id=tender.id,
        after={"question": question.id, "lot": lot_id},
    )
    return asked


def _file_with_buyer(tender: Tender, text: str, lot_id: int | None, now: datetime):
    """The buyer's copy of a question: the text and lot, never who asked. Its audit event
    names no actor (not even an assisting umbrella), so the buyer's log does not either."""
    with cross_tenant("a bidder's question is filed with the buyer without the asker's name"):
        question = TenderQuestion(
            tenant_id=tender.tenant_id, tender_id=tender.id, lot_id=lot_id, text=text, asked_at=now
        )
        db.session.add(question)
        db.session.flush()
        with audit.acting_on_behalf(None):
            audit.record(
                db.session,
                actor=None,
                tenant_id=tender.tenant_id,
                action="tender.question_received",
                obj_type="tender",
                obj_id=tender.id,
                after={"question": question.id, "lot": lot_id},
            )
    return question


@dataclass(frozen=True)
class OwnQuestion:
    """A question as its asker follows it: answered only once the answer is published."""

    id: int
    text: str
    lot: str | None
    asked_at: datetime
    nota: int | None
    number: int | None
    answer: str | None


def _lot_label(number: int | None, title: str | None) -> str | None:
    if number is None:
        return None
    return _("Perceel %(number)d: %(title)s", number=number, title=title)


def own_questions(tender_id: int) -> list[OwnQuestion]:
    """The acting bidder's questions on a tender, with the published answers."""
    ids = list(
        db.session.scalars(
            select(AskedQuestion.question_id)
            .where(AskedQuestion.tender_id == tender_id)
            .order_by(AskedQuestion.asked_at, AskedQuestion.id)
        )
    )
    if not ids:
        return []
    # Plain columns, not entities: nothing of the buyer's stays in the session.
    with cross_tenant("a bidder follows the questions it asked itself"):
        rows = db.session.execute(
            select(
                TenderQuestion.id,
                TenderQuestion.text,
                TenderQuestion.asked_at,
                TenderQuestion.number,
                TenderQuestion.answer,
                Lot.number,
                Lot.title,
                TenderNota.number,
            )
            .outerjoin(Lot, Lot.id == TenderQuestion.lot_id)
            .outerjoin(TenderNota, TenderNota.id == TenderQuestion.nota_id)
            .where(TenderQuestion.id.in_(ids))
        ).all()
    found = {
        qid: OwnQuestion(
            id=qid,
            text=text,
            lot=_lot_label(lot_number, lot_title),
            asked_at=asked_at,
            nota=nota,
            number=number if nota else None,
            answer=answer if nota else None,  # a draft answer stays with the buyer
        )
        for qid, text, asked_at, number, answer, lot_number, lot_title, nota in rows
    }
    return [found[i] for i in ids if i in found]


# -- the buyer's side ----------------------------------------------------------------------
def questions_of(tender: Tender) -> list[TenderQuestion]:
    """The acting buyer's questions on its tender (scoped), oldest first."""
    return list(
        db.session.scalars(
            select(TenderQuestion)
            .where(TenderQuestion.tender_id == tender.id)
            .order_by(TenderQuestion.asked_at, TenderQuestion.id)
        )
    )


def question_of(tender: Tender, question_id: int) -> TenderQuestion | None:
    return db.session.scalar(
        select(TenderQuestion).where(
            TenderQuestion.id == question_id, TenderQuestion.tender_id == tender.id
        )
    )


def answerers(buyer: Organisation) -> list[User]:
    """The buyer's people who may answer questions (and so may get one assigned)."""
    roles = policy.ACTIONS["tenders.answer"]
    return list(
        db.session.scalars(
            select(User)
            .join(OrgRole, OrgRole.user_id == User.id)
            .where(
                OrgRole.organisation_id == buyer.id,
                OrgRole.role.in_(roles),
                User.is_active_account.is_(True),
            )
            .distinct()
            .order_by(User.display_name, User.id)
        )
    )


def _unpublished(question: TenderQuestion) -> None:
    if question.published:
        raise QuestionError(
            _(
                "Deze vraag is al beantwoord in nota %(number)d. Dat antwoord blijft staan.",
                number=question.nota.number,
            )
        )


def assign(
    *, actor: User, buyer: Organisation, question: TenderQuestion, assignee_id: int | None
) -> None:
    """Give the question to a colleague who may answer it (None: to nobody)."""
    _unpublished(question)
    assignee = None
    if assignee_id is not None:
        assignee = next((u for u in answerers(buyer) if u.id == assignee_id), None)
        if assignee is None:
            raise QuestionError(_("Kies een collega die vragen mag beantwoorden."), "assignee")
    before = question.assigned_to_id
    question.assigned_to_id = assignee.id if assignee else None
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.question_assigned",
        obj_type="tender",
        obj_id=question.tender_id,
        before={"question": question.id, "assigned_to": before},
        after={"question": question.id, "assigned_to": question.assigned_to_id},
    )
    if assignee is not None and assignee.id != actor.id:
        queue_email(
            to=assignee.email,
            subject=_("Een vraag om te beantwoorden"),
            body=_(
                "%(name)s vraagt u een vraag over een aanbesteding te beantwoorden:\n\n"
                "%(text)s\n\nU vindt de vraag onder Vragen en antwoorden bij de aanbesteding.\n",
                name=actor.display_name,
                text=question.text,
            ),
            tenant_id=buyer.id,
        )


def may_answer(user: User, roles: set[str], question: TenderQuestion) -> bool:
    """Procurement officers answer any question; a policy officer the ones assigned to
    them."""
    if policy.can(roles, "tenders.manage"):
        return True
    return policy.can(roles, "tenders.answer") and question.assigned_to_id == user.id


def answer(
    *,
    actor: User,
    roles: set[str],
    buyer: Organisation,
    question: TenderQuestion,
    text: str,
    now: datetime | None = None,
) -> None:
    """Draft (or change) the answer; it stays with the buyer until a nota publishes it."""
    if not may_answer(actor, roles, question):
        raise QuestionError(
            _("U kunt alleen vragen beantwoorden die aan u zijn toegewezen."), "text"
        )
    _unpublished(question)
    text = (text or "").strip()
    if not text:
        raise QuestionError(_("Schrijf het antwoord op."), "text")
    if len(text) > MAX_ANSWER:
        raise QuestionError(_("Het antwoord is te lang: hoogstens %(n)d tekens.", n=MAX_ANSWER))
    question.answer, question.answered_by_id = text, actor.id
    question.answered_at = now or utcnow()
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.question_answered",
        obj_type="tender",
        obj_id=question.tender_id,
        after={"question": question.id},
    )


def ready_to_publish(tender: Tender) -> list[TenderQuestion]:
    """Answered questions not yet in a nota."""
    return [q for q in questions_of(tender) if q.answer and not q.published]


def _nota_order(question: TenderQuestion) -> tuple[int, datetime, int]:
    """General questions first, then per lot; within each, in the order they came in."""
    return (question.lot.number if question.lot else 0, question.asked_at, question.id)


def publish_nota(
    *,
    actor: User,
    buyer: Organisation,
    tender: Tender,
    question_ids: list[int] | None = None,
    now: datetime | None = None,
) -> TenderNota:
    """Publish answered questions together, at one instant, as the next numbered nota van
    inlichtingen: a PDF among the tender documents, and an e-mail to every interested
    party. ``question_ids`` chooses among the answered ones (None: all of them)."""
    now = now or utcnow()
    if tender.status != TenderStatus.PUBLISHED or now >= tender.submission_deadline:
        raise QuestionError(
            _("Een nota van inlichtingen kan alleen vóór de sluitingstermijn verschijnen.")
        )
    ready = ready_to_publish(tender)
    if question_ids is not None:
        ready = [q for q in ready if q.id in set(question_ids)]
    if not ready:
        raise QuestionError(
            _("Kies minstens één beantwoorde vraag die nog niet is gepubliceerd."), "questions"
        )
    # A second publisher waits here, so notas are numbered 1, 2, ... without a clash.
    db.session.execute(select(Tender.id).where(Tender.id == tender.id).with_for_update())
    number = (
        db.session.scalar(
            select(func.max(TenderNota.number)).where(TenderNota.tender_id == tender.id)
        )
        or 0
    ) + 1
    ready.sort(key=_nota_order)
    for row, question in enumerate(ready, start=1):
        question.number = row
    # The PDF is made in the same transaction: the nota, its document and the answers
    # appear together or not at all. It is part of the tender documents, so always Dutch;
    # straight from the environment, as the app's context processors want a request.
    with force_locale(NOTA_LOCALE):
        html = current_app.jinja_env.get_template("bids/questions/nota_pdf.html").render(
            tender=tender,
            buyer=buyer,
            number=number,
            published_at=now,
            groups=[(lot, list(rows)) for lot, rows in groupby(ready, key=lambda q: q.lot)],
        )
        title = _("Nota van inlichtingen %(number)d", number=number)
    document = documents.store(
        actor=actor,
        buyer=buyer,
        tender=tender,
        title=title,
        upload=files.Upload(
            f"nota-van-inlichtingen-{number}.pdf", ".pdf", "application/pdf", pdf.render(html)
        ),
        kind=DocumentKind.NOTA,
        now=now,
    )
    nota = TenderNota(
        tenant_id=buyer.id,
        tender_id=tender.id,
        number=number,
        published_at=now,
        published_by_id=actor.id,
        document_id=document.id,
    )
    db.session.add(nota)
    db.session.flush()
    for question in ready:
        question.nota_id = nota.id
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=buyer.id,
        action="tender.nota_published",
        obj_type="tender",
        obj_id=tender.id,
        after={
            "nota": number,
            "questions": [q.id for q in ready],
            "document": document.id,
            "sha256": document.digest,
        },
    )
    notify_interested_parties(
        tender,
        subject=_("Nota van inlichtingen %(number)d: %(title)s", number=number, title=tender.title),
        body=ngettext(
            "De gemeente heeft nota van inlichtingen %(number)d gepubliceerd bij de aanbesteding "
            "%(title)s. Daarin staat %(num)d vraag met het antwoord.\n\n"
            "U vindt de nota bij de documenten van de aanbesteding, onder Aanbestedingen.\n",
            "De gemeente heeft nota van inlichtingen %(number)d gepubliceerd bij de aanbesteding "
            "%(title)s. Daarin staan %(num)d vragen met hun antwoorden.\n\n"
            "U vindt de nota bij de documenten van de aanbesteding, onder Aanbestedingen.\n",
            len(ready),
            number=number,
            title=tender.title,
        ),
    )
    return nota


def notas_of(tender: Tender) -> list[TenderNota]:
    return list(
        db.session.scalars(
            select(TenderNota).where(TenderNota.tender_id == tender.id).order_by(TenderNota.number)
        )
    )


# -- what every bidder sees of a published tender ------------------------------------------
@dataclass(frozen=True)
class PublishedAnswer:
    number: int
    lot: str | None
    question: str
    answer: str


@dataclass(frozen=True)
class PublishedNota:
    number: int
    published_at: datetime
    document_id: int
    answers: list[PublishedAnswer]


def published_notas(tender_id: int) -> list[PublishedNota]:
    """The published notas of a published tender with their answers: the same for every
    bidder, from the instant each was published."""
    with cross_tenant("bidders read the published answers of a published tender"):
        notas = db.session.execute(
            select(
                TenderNota.id, TenderNota.number, TenderNota.published_at, TenderNota.document_id
            )
            .join(Tender, Tender.id == TenderNota.tender_id)
            .where(TenderNota.tender_id == tender_id, Tender.status != TenderStatus.DRAFT)
            .order_by(TenderNota.number)
        ).all()
        rows = db.session.execute(
            select(
                TenderQuestion.nota_id,
                TenderQuestion.number,
                TenderQuestion.text,
                TenderQuestion.answer,
                Lot.number,
                Lot.title,
            )
            .outerjoin(Lot, Lot.id == TenderQuestion.lot_id)
            .where(TenderQuestion.nota_id.in_([n.id for n in notas]))
            .order_by(TenderQuestion.number)
        ).all()
    answers: dict[int, list[PublishedAnswer]] = {}
    for nota_id, number, text, answer_, lot_number, lot_title in rows:
        answers.setdefault(nota_id, []).append(
            PublishedAnswer(number, _lot_label(lot_number, lot_title), text, answer_)
        )
    return [
        PublishedNota(number, published_at, document_id, answers.get(nota_id, []))
        for nota_id, number, published_at, document_id in notas
    ]


# -- notifications -------------------------------------------------------------------------
def interested_parties(tender_id: int) -> set[int]:
    """The organisations that registered interest in, asked a question about, bid on, or
    are a partner in a bid on this tender. Used only to notify them; never shown."""
    with cross_tenant("notifications reach every interested party of a tender"):
        interest = select(TenderInterest.tenant_id).where(TenderInterest.tender_id == tender_id)
        asked = select(AskedQuestion.tenant_id).where(AskedQuestion.tender_id == tender_id)
        bids = select(Bid.tenant_id).where(Bid.tender_id == tender_id)
        partners = (
            select(BidPartner.partner_id)
            .join(Bid, Bid.id == BidPartner.bid_id)
            .where(Bid.tender_id == tender_id)
        )
        return set(db.session.scalars(interest.union(asked, bids, partners)))


def notify_interested_parties(tender: Tender, *, subject: str, body: str) -> None:
    """One e-mail per person who works for an interested party, queued in the caller's
    transaction (so nothing goes out if the change is rolled back)."""
    orgs = interested_parties(tender.id)
    if not orgs:
        return
    rows = db.session.execute(
        select(User.email, OrgRole.organisation_id)
        .join(OrgRole, OrgRole.user_id == User.id)
        .join(Organisation, Organisation.id == OrgRole.organisation_id)
        .where(
            OrgRole.organisation_id.in_(orgs),
            OrgRole.role.in_(policy.ACTIONS["bids.view"]),
            User.is_active_account.is_(True),
            Organisation.is_active.is_(True),
        )
        .order_by(User.email, OrgRole.organisation_id)
    ).all()
    sent: set[str] = set()
    for email, org_id in rows:
        if email in sent:
            continue
        sent.add(email)
        queue_email(to=email, subject=subject, body=body, tenant_id=org_id)


# -- demo ------------------------------------------------------------------------------------
DEMO_TENDER = "Sociaal domein Brunssum: dialoogmodel"
DEMO_QUESTIONS = [
    (
        "contact.kwadraad",
        "kwadraad",
        None,
        "Mogen aanbieders samen één inschrijving doen, met één penvoerder?",
        "Ja. U kunt als samenwerkingsverband inschrijven. Geef per perceel aan wie de "
        "penvoerder is en welke partners hoofdaannemer of onderaannemer zijn.",
    ),
    (
        "contact.puurzuid",
        "puurzuid",
        "Ouderen",
        "Hoort dagbesteding voor mensen met dementie bij het perceel Ouderen?",
        "Ja. Dagbesteding voor ouderen, ook voor mensen met dementie, valt onder het "
        "perceel Ouderen.",
    ),
]


def load_demo(orgs: dict[str, Organisation]) -> int:
    """Brunssum's tender gets its programme of requirements (as correction 1) and nota van
    inlichtingen 1 with two answered questions. Idempotent: once the nota exists, nothing."""
    from koepel.bids import corrections, submission
    from koepel.platform.auth import operations as accounts
    from koepel.platform.demo import demo_email
    from koepel.platform.tenancy import acting_for

    buyer = orgs.get("brunssum")
    officer = accounts.find_user(demo_email("inkoper.brunssum"))
    if buyer is None or officer is None:
        return 0
    with acting_for(buyer.id):
        tender = db.session.scalar(select(Tender).where(Tender.title == DEMO_TENDER))
        if tender is None or notas_of(tender) or not questions_open(tender):
            return 0
        tender_id = tender.id
        if not documents.documents_of(tender):
            html = current_app.jinja_env.get_template(
                "bids/questions/demo_requirements_pdf.html"
            ).render(tender=tender, buyer=buyer)
            corrections.publish(
                actor=officer,
                buyer=buyer,
                tender=tender,
                reason="Het programma van eisen is toegevoegd aan de aanbestedingsdocumenten.",
                document=corrections.NewDocument(
                    "Programma van eisen", "programma-van-eisen.pdf", pdf.render(html)
                ),
            )
    public = submission.published_tender(tender_id)
    lots = {lot.title: lot.id for lot in public.lots}
    for local, slug, lot, text, _answer in DEMO_QUESTIONS:
        asker, user = orgs.get(slug), accounts.find_user(demo_email(local))
        if asker is None or user is None:
            return 0
        with acting_for(asker.id):
            ask(actor=user, asker=asker, tender=public, text=text, lot_id=lots.get(lot))
    answers = {text: answer_ for _l, _s, _lot, text, answer_ in DEMO_QUESTIONS}
    with acting_for(buyer.id):
        tender = db.session.get(Tender, tender_id)
        for question in questions_of(tender):
            if question.text in answers:
                answer(
                    actor=officer,
                    roles={"procurement_officer"},
                    buyer=buyer,
                    question=question,
                    text=answers[question.text],
                )
        publish_nota(actor=officer, buyer=buyer, tender=tender)
    return 1
