"""Questions and answers, the nota van inlichtingen, tender documents and corrections.

The buyer's side (municipality or region): the questions of a tender (never who asked),
assigning them to a colleague, answering, publishing a nota; the documents with their
versions, and corrections (rectificaties). The bidder's side: registering interest, asking
questions and following them, reading the published answers, downloading documents, and
re-confirming a submitted bid after a correction.

Every change goes through the rules in ``koepel.bids.questions``, ``documents`` and
``corrections``; a refusal is shown next to the field it is about, with what was typed kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from koepel.bids import corrections, documents, questions, submission, tenders
from koepel.bids.models import Bid, BidStatus, Tender, TenderStatus
from koepel.bids.models.questions import TenderDocument
from koepel.bids.views.tender_forms import (
    NO_DOCUMENT,
    AnswerForm,
    AssignForm,
    CorrectionForm,
    DocumentForm,
    NotaForm,
    QuestionForm,
)
from koepel.platform.extensions import db
from koepel.platform.models import User
from koepel.platform.web import OrgView

bp = Blueprint("questions", __name__)


def attach(form: FlaskForm, exc: ValueError, aliases: dict[str, str] | None = None) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    field = getattr(exc, "field", None) or ""
    name = (aliases or {}).get(field, field)
    target = getattr(form, name, None) if name else None
    (target.errors if isinstance(target, Field) else form.form_errors).append(str(exc))


def _send(document: TenderDocument) -> Response:
    try:
        data = documents.content(document)
    except FileNotFoundError:
        abort(404)
    return Response(
        data,
        mimetype=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{_ascii(document.filename)}"'},
    )


def _ascii(name: str) -> str:
    """A file name safe inside the header's quotes."""
    safe = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return safe or "document"


def _document_choices(listing: documents.Listing, empty: SelectChoice) -> list[SelectChoice]:
    return [empty] + [
        SelectChoice(
            str(d.id), _("%(title)s (versie %(version)d)", title=d.title, version=d.version)
        )
        for d in listing.current
        if d.kind.value == "document"
    ]


# -- the buyer's side ------------------------------------------------------------------------
class BuyerTenderView(OrgView):
    action = "tenders.view"
    kinds = tenders.BUYER_KINDS

    def load(self, tender_id: int, **kwargs) -> None:
        self.tender: Tender = tenders.get_tender(tender_id)  # scoped: a foreign one is None
        if self.tender is None:
            abort(404)


class BuyerQuestions(BuyerTenderView):
    """The questions of one tender, as the buyer holds them: without who asked."""

    def get(self, tender_id: int, **kwargs):
        return self.render()

    def back(self):
        return redirect(
            url_for("questions.buyer", org_slug=self.org.slug, tender_id=self.tender.id)
        )

    def render(self, submitted: dict[int, FlaskForm] | None = None, nota_form=None):
        """``submitted`` holds the posted form of one question, with its errors."""
        submitted = submitted or {}
        rows = questions.questions_of(self.tender)
        people = questions.answerers(self.org)
        choices = [SelectChoice("", _("Niemand"))] + [
            SelectChoice(str(u.id), u.display_name) for u in people
        ]
        may_manage = self.can("tenders.manage")
        forms = {}
        for question in rows:
            assign_form = submitted.get(("assign", question.id)) or AssignForm(
                prefix=f"assign-{question.id}",
                formdata=None,
                data={"assignee": question.assigned_to_id},
            )
            assign_form.assignee.choices = choices
            answer_form = submitted.get(("answer", question.id)) or AnswerForm(
                prefix=f"answer-{question.id}", formdata=None, data={"text": question.answer}
            )
            forms[question.id] = (assign_form, answer_form)
        ready = [q for q in rows if q.answer and not q.published]
        open_ = self.tender.status == TenderStatus.PUBLISHED and tenders.accepts_bids(self.tender)
        names = {u.id: u.display_name for u in people}
        missing = {q.assigned_to_id for q in rows if q.assigned_to_id} - set(names)
        if missing:  # someone who no longer holds an answering role
            names.update(
                dict(
                    db.session.execute(
                        select(User.id, User.display_name).where(User.id.in_(missing))
                    )
                )
            )
        return render_template(
            "bids/questions/buyer.html",
            org=self.org,
            tender=self.tender,
            questions=rows,
            forms=forms,
            names=names,
            notas=questions.notas_of(self.tender),
            ready=ready,
            nota_form=nota_form or NotaForm(prefix="nota", formdata=None),
            may_manage=may_manage,
            may_answer={q.id: questions.may_answer(current_user, self.roles, q) for q in rows},
            open=open_,
            questions_deadline=questions.questions_deadline(self.tender),
        )


class QuestionAction(BuyerQuestions):
    def load(self, tender_id: int, question_id: int) -> None:
        super().load(tender_id)
        self.question = questions.question_of(self.tender, question_id)
        if self.question is None:
            abort(404)


class AssignQuestion(QuestionAction):
    action = "tenders.manage"

    def post(self, tender_id: int, question_id: int):
        form = AssignForm(prefix=f"assign-{question_id}")
        form.assignee.choices = []
        if form.validate_on_submit():
            try:
                questions.assign(
                    actor=current_user,
                    buyer=self.org,
                    question=self.question,
                    assignee_id=form.assignee.data,
                )
            except questions.QuestionError as exc:
                attach(form, exc)
            else:
                flash(_("De vraag is toegewezen."), "success")
                return self.back()
        return self.render({("assign", question_id): form})


class AnswerQuestion(QuestionAction):
    action = "tenders.answer"

    def post(self, tender_id: int, question_id: int):
        form = AnswerForm(prefix=f"answer-{question_id}")
        if form.validate_on_submit():
            try:
                questions.answer(
                    actor=current_user,
                    roles=self.roles,
                    buyer=self.org,
                    question=self.question,
                    text=form.text.data or "",
                )
            except questions.QuestionError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "Het antwoord is opgeslagen. Inschrijvers zien het pas als het in een "
                        "nota van inlichtingen staat."
                    ),
                    "success",
                )
                return self.back()
        return self.render({("answer", question_id): form})


class PublishNota(BuyerQuestions):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = NotaForm(prefix="nota")
        if form.validate_on_submit():
            try:
                nota = questions.publish_nota(
                    actor=current_user,
                    buyer=self.org,
                    tender=self.tender,
                    question_ids=form.questions.data or [],
                )
            except questions.QuestionError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "Nota van inlichtingen %(number)d is gepubliceerd. Alle belangstellenden "
                        "krijgen een e-mail.",
                        number=nota.number,
                    ),
                    "success",
                )
                return self.back()
        return self.render(nota_form=form)


class BuyerDocuments(BuyerTenderView):
    """The documents of a tender with their versions, and its corrections."""

    def get(self, tender_id: int):
        return self.render()

    def back(self):
        return redirect(
            url_for("questions.documents", org_slug=self.org.slug, tender_id=self.tender.id)
        )

    def render(self, document_form=None, correction_form=None):
        listing = documents.listing(documents.documents_of(self.tender))
        may_manage = self.can("tenders.manage")
        draft = self.tender.status == TenderStatus.DRAFT
        document_form = document_form or DocumentForm(prefix="document", formdata=None)
        document_form.replaces.choices = _document_choices(listing, NO_DOCUMENT)
        correction_form = correction_form or CorrectionForm(
            prefix="correction", formdata=None, data={"description": self.tender.description}
        )
        correction_form.replaces.choices = _document_choices(listing, NO_DOCUMENT)
        correction_form.withdraw.choices = _document_choices(listing, SelectChoice("", _("Geen")))
        return render_template(
            "bids/tenders/documents.html",
            org=self.org,
            tender=self.tender,
            listing=listing,
            corrections=corrections.corrections_of(self.tender),
            document_form=document_form,
            correction_form=correction_form,
            show_document_form=may_manage and draft,
            show_correction_form=may_manage and tenders.accepts_bids(self.tender),
        )


class AddDocument(BuyerDocuments):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = DocumentForm(prefix="document")
        form.replaces.choices = []
        if form.validate_on_submit():
            upload = form.file.data
            try:
                document = documents.add(
                    actor=current_user,
                    buyer=self.org,
                    tender=self.tender,
                    title=form.title.data or "",
                    filename=upload.filename or "",
                    data=upload.read(),
                    replaces_id=form.replaces.data,
                )
            except documents.DocumentError as exc:
                attach(form, exc)
            else:
                flash(_("Het document %(title)s is toegevoegd.", title=document.title), "success")
                return self.back()
        return self.render(document_form=form)


def publish_correction(view: OrgView, **changes) -> corrections.CorrectionError | None:
    """Publish a correction for a page (flashing what happens next), or return the refusal."""
    try:
        correction = corrections.publish(
            actor=current_user, buyer=view.org, tender=view.tender, **changes
        )
    except corrections.CorrectionError as exc:
        return exc
    flash(
        _(
            "Rectificatie %(number)d is gepubliceerd. Alle belangstellenden krijgen een e-mail; "
            "wie al heeft ingeschreven, moet de inschrijving opnieuw bevestigen.",
            number=correction.number,
        ),
        "success",
    )
    return None


class PublishCorrection(BuyerDocuments):
    action = "tenders.manage"

    def post(self, tender_id: int):
        form = CorrectionForm(prefix="correction")
        form.replaces.choices = form.withdraw.choices = []
        if form.validate_on_submit():
            upload = form.document_file.data
            document = None
            if upload and upload.filename:
                document = corrections.NewDocument(
                    title=form.document_title.data or "",
                    filename=upload.filename,
                    data=upload.read(),
                    replaces_id=form.replaces.data,
                )
            refusal = publish_correction(
                self,
                reason=form.reason.data or "",
                deadline=form.submission_deadline,
                description=form.description.data,
                document=document,
                withdraw_id=form.withdraw.data,
            )
            if refusal is None:
                return self.back()
            attach(
                form,
                refusal,
                {
                    "submission_deadline": "submission_date",
                    "title": "document_title",
                    "file": "document_file",
                },
            )
        return self.render(correction_form=form)


class BuyerDocumentFile(BuyerTenderView):
    def get(self, tender_id: int, document_id: int):
        document = documents.document_of(self.tender, document_id)
        if document is None:
            abort(404)
        return _send(document)


# -- the bidder's side -----------------------------------------------------------------------
class BidderTenderView(OrgView):
    action = "bids.view"
    kinds = submission.BIDDER_KINDS

    def load(self, tender_id: int, **kwargs) -> None:
        tender = submission.published_tender(tender_id)  # any bidder; never a draft
        if tender is None:
            abort(404)
        self.tender: Tender = tender

    def to_tender(self):
        return redirect(url_for("bidding.tender", org_slug=self.org.slug, tender_id=self.tender.id))


class RegisterInterest(BidderTenderView):
    action = "bids.manage"

    def post(self, tender_id: int):
        try:
            questions.register_interest(actor=current_user, bidder=self.org, tender=self.tender)
        except questions.QuestionError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _(
                    "U staat nu geregistreerd als belangstellende. U krijgt een e-mail bij elke "
                    "nota van inlichtingen en rectificatie."
                ),
                "success",
            )
        return self.to_tender()


class BidderQuestions(BidderTenderView):
    """Ask a question, follow one's own questions, read the published answers."""

    post_action = "bids.manage"

    def form(self, posted: bool = False) -> QuestionForm:
        form = QuestionForm(prefix="question", **({} if posted else {"formdata": None}))
        form.lot.choices = [SelectChoice("", _("De hele aanbesteding"))] + [
            SelectChoice(
                str(lot.id), _("Perceel %(number)d: %(title)s", number=lot.number, title=lot.title)
            )
            for lot in self.tender.lots
        ]
        return form

    def render(self, form: QuestionForm | None = None):
        may_ask = self.can("bids.manage") and questions.questions_open(self.tender)
        return render_template(
            "bids/questions/bidder.html",
            org=self.org,
            tender=self.tender,
            own=questions.own_questions(self.tender.id),
            notas=questions.published_notas(self.tender.id),
            # A posted form is shown again even when asking just closed: its text is kept
            # beside the message why it was not sent.
            form=form if form is not None else (self.form() if may_ask else None),
            questions_deadline=questions.questions_deadline(self.tender),
            questions_open=questions.questions_open(self.tender),
        )

    def get(self, tender_id: int):
        return self.render()

    def post(self, tender_id: int):
        form = self.form(posted=True)
        if form.validate_on_submit():
            try:
                questions.ask(
                    actor=current_user,
                    asker=self.org,
                    tender=self.tender,
                    text=form.text.data or "",
                    lot_id=form.lot.data,
                )
            except questions.QuestionError as exc:
                attach(form, exc, {"lot_id": "lot"})
            else:
                flash(
                    _(
                        "Uw vraag is verstuurd, zonder de naam van uw organisatie. Het antwoord "
                        "komt in een nota van inlichtingen voor alle inschrijvers."
                    ),
                    "success",
                )
                return redirect(
                    url_for("questions.ask", org_slug=self.org.slug, tender_id=self.tender.id)
                )
        return self.render(form)


class BidderDocumentFile(BidderTenderView):
    def get(self, tender_id: int, document_id: int):
        document = documents.public_document(self.tender.id, document_id)
        if document is None:
            abort(404)
        return _send(document)


class Reconfirm(OrgView):
    """The bidder confirms its submitted bid stands after a correction."""

    action = "bids.manage"
    kinds = submission.BIDDER_KINDS

    def load(self, bid_id: int) -> None:
        # Scoped to the acting organisation: another organisation's bid is not found.
        self.bid = db.session.scalar(select(Bid).where(Bid.id == bid_id).with_for_update())
        if self.bid is None:
            abort(404)
        self.tender = submission.published_tender(self.bid.tender_id)
        if self.tender is None:
            abort(404)

    def post(self, bid_id: int):
        try:
            corrections.reconfirm(
                actor=current_user, bidder=self.org, bid=self.bid, tender=self.tender
            )
        except corrections.CorrectionError as exc:
            flash(str(exc), "error")
        else:
            flash(_("U heeft bevestigd dat uw inschrijving blijft staan."), "success")
        return redirect(url_for("bidding.bid", org_slug=self.org.slug, bid_id=bid_id))


# -- what the bidder's tender and bid pages show of this (their views are elsewhere) ---------
@dataclass(frozen=True)
class BidderTenderExtras:
    interest: bool
    listing: documents.Listing
    notas: list[questions.PublishedNota]
    corrections: list[corrections.PublicCorrection]
    questions_open: bool
    questions_deadline: datetime | None


@bp.app_template_global()
def bidder_tender_extras(tender: Tender) -> BidderTenderExtras:
    """Interest, documents, notas and corrections for ``bids/bidding/tender.html``: public
    to every bidder, plus whether the acting organisation registered interest."""
    return BidderTenderExtras(
        interest=questions.has_interest(tender.id),
        listing=documents.listing(documents.public_documents(tender.id)),
        notas=questions.published_notas(tender.id),
        corrections=corrections.public_corrections(tender.id),
        questions_open=questions.questions_open(tender),
        questions_deadline=questions.questions_deadline(tender),
    )


@bp.app_template_global()
def reconfirmation_notice(bid: Bid) -> corrections.PublicCorrection | None:
    """The correction a submitted bid still has to be re-confirmed after, if any."""
    if bid.status != BidStatus.SUBMITTED or not bid.needs_reconfirmation:
        return None
    published = corrections.public_corrections(bid.tender_id)
    return published[-1] if published else None


_buyer = "/<org_slug>/tenders/<int:tender_id>"
_bidder = "/<org_slug>/opportunities/<int:tender_id>"
bp.add_url_rule(f"{_buyer}/questions", view_func=BuyerQuestions.as_view("buyer"))
bp.add_url_rule(
    f"{_buyer}/questions/<int:question_id>/assign",
    view_func=AssignQuestion.as_view("assign"),
    methods=["POST"],
)
bp.add_url_rule(
    f"{_buyer}/questions/<int:question_id>/answer",
    view_func=AnswerQuestion.as_view("answer"),
    methods=["POST"],
)
bp.add_url_rule(f"{_buyer}/notas", view_func=PublishNota.as_view("publish_nota"), methods=["POST"])
bp.add_url_rule(f"{_buyer}/documents", view_func=BuyerDocuments.as_view("documents"))
bp.add_url_rule(
    f"{_buyer}/documents/new", view_func=AddDocument.as_view("add_document"), methods=["POST"]
)
bp.add_url_rule(
    f"{_buyer}/documents/<int:document_id>", view_func=BuyerDocumentFile.as_view("document")
)
bp.add_url_rule(
    f"{_buyer}/corrections",
    view_func=PublishCorrection.as_view("publish_correction"),
    methods=["POST"],
)
bp.add_url_rule(
    f"{_bidder}/interest", view_func=RegisterInterest.as_view("interest"), methods=["POST"]
)
bp.add_url_rule(
    f"{_bidder}/questions", view_func=BidderQuestions.as_view("ask"), methods=["GET", "POST"]
)
bp.add_url_rule(
    f"{_bidder}/documents/<int:document_id>",
    view_func=BidderDocumentFile.as_view("bidder_document"),
)
bp.add_url_rule(
    "/<org_slug>/bids/<int:bid_id>/reconfirm",
    view_func=Reconfirm.as_view("reconfirm"),
    methods=["POST"],
)
