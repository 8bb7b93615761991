"""Award letters as PDF and objections during the standstill period, on both sides.

The buyer works on the evaluation page (``EvaluationView`` includes
``bids/objections/_award.html`` with what ``award_context`` gives): the letters with their
PDFs, the state of the award (standstill running, objections open, final), every objection
with a form to answer it, and withdrawing the award after an upheld objection. Its answer
and withdrawal forms post here and, when refused, show the evaluation page again with what
was typed and the message next to the field.

The bidder reaches its letter from its bid page (``bids/letters/_bid_letter.html``, fed by
the template global ``award_letter_summary``) and has a page to read the letter, lodge an
objection until the standstill ends and read the answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from koepel.bids import letters, objections, submission
from koepel.bids.models import Bid, TenderStatus
from koepel.bids.models.objections import AwardLetter, Objection, ObjectionGround
from koepel.bids.views.evaluation_views import EvaluationView, attach
from koepel.platform import pdf
from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.web import OrgView

bp = Blueprint("objections", __name__)


# -- forms ---------------------------------------------------------------------------------
class ObjectionForm(FlaskForm):
    grounds = RadioField(
        _l("Waar gaat uw bezwaar over?"),
        choices=[SelectChoice(g.value, objections.GROUND_LABELS[g]) for g in ObjectionGround],
        validate_choice=False,  # the rule names a wrong choice in plain words
        validators=[InputRequired(_l("Kies waar uw bezwaar over gaat."))],
    )
    text = TextAreaField(
        _l("Uw bezwaar"),
        validators=[
            DataRequired(_l("Schrijf op wat uw bezwaar is en waarom.")),
            Length(max=objections.MAX_TEXT),
        ],
    )


class AnswerForm(FlaskForm):
    outcome = RadioField(
        _l("Uitkomst"),
        choices=[
            SelectChoice("rejected", _l("Ongegrond: de gunning blijft staan")),
            SelectChoice("upheld", _l("Gegrond: de gunning moet opnieuw worden bekeken")),
        ],
        validate_choice=False,
        validators=[InputRequired(_l("Kies of het bezwaar gegrond of ongegrond is."))],
    )
    answer = TextAreaField(
        _l("Uw antwoord aan de inschrijver"),
        validators=[
            DataRequired(_l("Schrijf uw antwoord op het bezwaar.")),
            Length(max=objections.MAX_TEXT),
        ],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Waarom trekt u de gunning in?"),
        validators=[
            DataRequired(_l("Schrijf waarom de gunning wordt ingetrokken.")),
            Length(max=objections.MAX_TEXT),
        ],
    )


# -- the buyer's side ----------------------------------------------------------------------
def award_context(view: EvaluationView, forms: dict[tuple[Any, ...], FlaskForm]) -> dict:
    """What the evaluation page shows of letters and objections (for those who see the
    outcome); adds the answer and withdrawal forms for whoever may award."""
    tender = view.tender
    may_award = view.can("tenders.award")
    state = objections.award_state(tender)
    all_letters = db.session.scalars(
        select(AwardLetter)
        .where(AwardLetter.tender_id == tender.id)
        .order_by(AwardLetter.sent_at.desc(), AwardLetter.lot_id, AwardLetter.id)
    ).all()
    lodged = objections.for_tender(tender)
    if may_award:
        for objection in lodged:
            if objection.answered_at is None:
                forms[("answer", objection.id)] = AnswerForm(
                    prefix=f"answer-{objection.id}", formdata=None
                )
        if tender.status == TenderStatus.AWARDED and state.upheld and not state.open_objections:
            forms[("withdraw",)] = WithdrawForm(prefix="withdraw", formdata=None)
    return {
        "award_state": state,
        "award_letters": all_letters,
        "letters_by_id": {letter.id: letter for letter in all_letters},
        "objections": lodged,
        "may_award": may_award,
        "ground_labels": objections.GROUND_LABELS,
        "outcome_labels": objections.OUTCOME_LABELS,
    }


class BuyerLetter(EvaluationView):
    """A letter's PDF, for the officials who award."""

    action = "tenders.award"

    def load(self, tender_id: int, letter_id: int) -> None:
        super().load(tender_id)
        self.letter = db.session.scalar(
            select(AwardLetter).where(
                AwardLetter.id == letter_id, AwardLetter.tender_id == tender_id
            )
        )
        # An assigned reviewer who has not declared sees no bidder's name, here neither.
        if self.letter is None or self.letter.pdf_name is None or self.blocked:
            abort(404)

    def get(self, tender_id: int, letter_id: int):
        return pdf.download(letters.read_pdf(self.letter), letters.filename(self.letter))


class Answer(EvaluationView):
    action = "tenders.award"

    def load(self, tender_id: int, objection_id: int) -> None:
        super().load(tender_id)
        self.objection = db.session.scalar(
            select(Objection).where(Objection.id == objection_id, Objection.tender_id == tender_id)
        )
        if self.objection is None:
            abort(404)

    def post(self, tender_id: int, objection_id: int):
        form = AnswerForm(prefix=f"answer-{objection_id}")
        if form.validate_on_submit():
            if self.blocked:
                form.form_errors.append(_("Verklaar eerst dat u geen belangenconflict heeft."))
            else:
                try:
                    objections.answer(
                        actor=current_user,
                        buyer=self.org,
                        objection=self.objection,
                        outcome=form.outcome.data or "",
                        text=form.answer.data or "",
                    )
                except objections.ObjectionError as exc:
                    attach(form, exc)
                else:
                    flash(_("Uw antwoord is vastgelegd en naar de inschrijver gemaild."), "success")
                    return self.redirect_back(f"objection-{objection_id}")
        return self.render(submitted=(("answer", objection_id), form))


class Withdraw(EvaluationView):
    action = "tenders.award"

    def post(self, tender_id: int):
        form = WithdrawForm(prefix="withdraw")
        if form.validate_on_submit():
            if self.blocked:
                form.form_errors.append(_("Verklaar eerst dat u geen belangenconflict heeft."))
            else:
                try:
                    objections.withdraw_award(
                        actor=current_user,
                        buyer=self.org,
                        tender=self.tender,
                        reason=form.reason.data or "",
                    )
                except objections.ObjectionError as exc:
                    attach(form, exc)
                else:
                    flash(
                        _(
                            "De gunning is ingetrokken en de inschrijvers zijn gemaild. "
                            "Beoordeel opnieuw, leg de gunning vast en verstuur nieuwe brieven."
                        ),
                        "success",
                    )
                    return self.redirect_back("ranking")
        return self.render(submitted=(("withdraw",), form))


# -- the bidder's side ---------------------------------------------------------------------
class BidderLetters(OrgView):
    """A bidder's own bid and the award letters it received for it (404 for anything else)."""

    action = "bids.view"
    kinds = submission.BIDDER_KINDS

    def load(self, bid_id: int, **kwargs: Any) -> None:
        self.bid = db.session.scalar(select(Bid).where(Bid.id == bid_id))  # scoped: own bids
        if self.bid is None:
            abort(404)
        self.letters = letters.letters_for_bid(self.org, bid_id)
        if not self.letters:
            abort(404)


class BidderLetter(BidderLetters):
    def load(self, bid_id: int, letter_id: int) -> None:
        super().load(bid_id)
        self.letter = next((row for row in self.letters if row.id == letter_id), None)
        if self.letter is None or self.letter.pdf_name is None:
            abort(404)

    def get(self, bid_id: int, letter_id: int):
        return pdf.download(letters.read_pdf(self.letter), letters.filename(self.letter))


class BidderAward(BidderLetters):
    """The letter, the bidder's objections with their answers, and lodging one."""

    post_action = "bids.manage"

    def render(self, form: ObjectionForm | None = None):
        current = self.letters[0]
        open_ = objections.may_lodge(current)
        may_manage = self.can("bids.manage")
        if form is None and open_ and may_manage:
            form = ObjectionForm(prefix="objection", formdata=None)
        tender = submission.published_tender(self.bid.tender_id)
        return render_template(
            "bids/objections/bidder.html",
            org=self.org,
            bid=self.bid,
            tender=tender,
            letter=current,
            earlier=self.letters[1:],
            paragraphs=letters.paragraphs(current.content),
            objections=objections.for_bidder(self.org, [row.id for row in self.letters]),
            open_for_objections=open_,
            form=form,
            ground_labels=objections.GROUND_LABELS,
            outcome_labels=objections.OUTCOME_LABELS,
        )

    def get(self, bid_id: int):
        return self.render()

    def post(self, bid_id: int):
        form = ObjectionForm(prefix="objection")
        if form.validate_on_submit():
            try:
                objections.lodge(
                    actor=current_user,
                    bidder=self.org,
                    letter_id=self.letters[0].id,
                    grounds=form.grounds.data or "",
                    text=form.text.data or "",
                )
            except objections.ObjectionError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "Uw bezwaar is ingediend. De opdrachtgever beantwoordt het schriftelijk; "
                        "u krijgt het antwoord per e-mail."
                    ),
                    "success",
                )
                return redirect(url_for("objections.bidder", org_slug=self.org.slug, bid_id=bid_id))
        return self.render(form)


@bp.app_template_global("award_letter_summary")
def award_letter_summary(org: Organisation, bid: Bid) -> letters.Summary | None:
    """For the bid page's include: the bidder's latest award letter for this bid, if any."""
    if bid.tenant_id != org.id:
        return None
    return letters.summary_for_bid(org, bid.id)


_tender = "/<org_slug>/tenders/<int:tender_id>"
bp.add_url_rule(f"{_tender}/letters/<int:letter_id>.pdf", view_func=BuyerLetter.as_view("letter"))
bp.add_url_rule(
    f"{_tender}/evaluation/objections/<int:objection_id>/answer",
    view_func=Answer.as_view("answer"),
    methods=["POST"],
)
bp.add_url_rule(
    f"{_tender}/evaluation/award/withdraw", view_func=Withdraw.as_view("withdraw"), methods=["POST"]
)
_bid = "/<org_slug>/bids/<int:bid_id>"
bp.add_url_rule(
    f"{_bid}/letters/<int:letter_id>.pdf", view_func=BidderLetter.as_view("bidder_letter")
)
bp.add_url_rule(f"{_bid}/award", view_func=BidderAward.as_view("bidder"), methods=["GET", "POST"])
