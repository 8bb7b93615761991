"""The evaluation on the buyer's side (municipality or region), after the opening.

One page per tender: the procurement officer assigns reviewers (one of them the chair);
each reviewer declares no conflict of interest and only then sees the bids, scores every
quality criterion with a motivation and sees the colleagues' scores; the chair records
the consensus. The officer may exclude a bid that fails a requirement, opens the price
envelopes (two-envelope tenders, after quality), decides the award from the ranking and
sends the letters, which fixes the end of the standstill period.

Every change goes through the rules in ``koepel.bids.evaluation`` (and
``koepel.bids.opening.reveal_prices``); a refusal is shown next to the field it names,
with what was typed kept (status 200); a success redirects back with a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from koepel.bids import anonymity, dossier, evaluation, scoring, tenders
from koepel.bids import opening as opening_ops
from koepel.bids.models import (
    AwardDecision,
    ConsensusScore,
    Criterion,
    CriterionKind,
    OpenedBid,
    ReviewerAssignment,
    ReviewerScore,
    Tender,
    TenderStatus,
)
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import OrgRole, User
from koepel.platform.timeutil import format_datetime_local
from koepel.platform.web import OrgView

bp = Blueprint("evaluation", __name__)

# Who may be assigned as a reviewer: the roles that may evaluate at a buyer.
REVIEWER_ROLES = ("reviewer", "procurement_officer")
# The tender states in which the opened bids exist and the page shows the evaluation.
AFTER_OPENING = (TenderStatus.OPENED, TenderStatus.EVALUATED, TenderStatus.AWARDED)
TIE_STEPS = {
    "quality": _l("gelijke totaalscore; de hogere kwaliteitsscore gaf de doorslag"),
    "submitted_at": _l("gelijke totaal- en kwaliteitsscore; eerder ingediend"),
    "bid_id": _l("gelijke totaal- en kwaliteitsscore en indieningsmoment; lager nummer"),
}

# "7", "7,5", "7.5", "10,25": points as people type them.
_POINTS = re.compile(r"[0-9]{1,3}(?:[,.][0-9]{1,2})?")


def points_text(value: Decimal | None) -> str:
    """Points the way the reader writes them: 7,5 (nl), 7.5 (en); 8, not 8,00."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##", locale=current_language())


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- forms ---------------------------------------------------------------------------------
class PointsField(StringField):
    """A number of points such as 7 or 7,5; ``value`` holds the parsed Decimal. Whether it
    is within the criterion's range is for the rules."""

    value: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.value = None
        text = (self.data or "").strip()
        if not text:
            return
        if not _POINTS.fullmatch(text):
            raise ValidationError(_("Schrijf het aantal punten als 7 of 7,5."))
        self.value = Decimal(text.replace(",", "."))


class AssignForm(FlaskForm):
    reviewer = SelectField(
        _l("Beoordelaar"),
        coerce=_optional_int,
        validate_choice=False,  # checked against the buyer's people in the view
        validators=[DataRequired(_l("Kies wie beoordeelt."))],
    )
    chair = BooleanField(_l("Voorzitter: legt na overleg de consensusscore vast"))


class DeclareForm(FlaskForm):
    declaration = BooleanField(
        _l("Ik verklaar dat ik geen belangenconflict heb met de inschrijvers"),
        validators=[
            DataRequired(
                _l("Vink de verklaring aan. Zonder verklaring ziet u de inschrijvingen niet.")
            )
        ],
    )


class ScoreForm(FlaskForm):
    points = PointsField(
        _l("Uw score"),
        validators=[DataRequired(_l("Vul het aantal punten in.")), Length(max=10)],
    )
    motivation = TextAreaField(
        _l("Uw motivering"),
        validators=[DataRequired(_l("Schrijf een motivering bij de score.")), Length(max=5000)],
    )


class ConsensusForm(FlaskForm):
    points = PointsField(
        _l("Consensusscore"),
        validators=[DataRequired(_l("Vul het aantal punten in.")), Length(max=10)],
    )
    motivation = TextAreaField(
        _l("Motivering van de consensus"),
        validators=[DataRequired(_l("Schrijf een motivering bij de score.")), Length(max=5000)],
    )


class ExcludeForm(FlaskForm):
    reason = TextAreaField(
        _l("Waarom voldoet de inschrijving niet?"),
        validators=[
            DataRequired(_l("Schrijf waarom de inschrijving niet voldoet.")),
            Length(max=5000),
        ],
    )


class DecideForm(FlaskForm):
    reasons = TextAreaField(
        _l("Motivering van de gunning"),
        validators=[
            DataRequired(_l("Schrijf de motivering van de gunning.")),
            Length(max=20000),
        ],
    )


class ButtonForm(FlaskForm):
    """Only the CSRF token: the tender itself is what gets checked."""


def attach(form: FlaskForm, exc: ValueError) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    name = getattr(exc, "field", None)
    target = getattr(form, name, None) if name else None
    (target.errors if isinstance(target, Field) else form.form_errors).append(str(exc))


def _errors(form: FlaskForm) -> list[str]:
    return [str(e) for e in form.form_errors] + [
        str(e) for field in form for e in field.errors if isinstance(e, str)
    ]


# -- reading -------------------------------------------------------------------------------
def reviewer_candidates(org_id: int) -> list[User]:
    """The people of the buyer who may be assigned: its reviewers and procurement officers."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active_account.is_(True),
                User.id.in_(
                    select(OrgRole.user_id).where(
                        OrgRole.organisation_id == org_id, OrgRole.role.in_(REVIEWER_ROLES)
                    )
                ),
            )
            .order_by(User.display_name, User.id)
        )
    )


def quality_criteria(tender: Tender) -> list[Criterion]:
    return [c for c in tender.criteria if c.kind != CriterionKind.PRICE]


def missing_consensus(
    tender: Tender, bids: Iterable[OpenedBid], consensus: dict[tuple[int, int], ConsensusScore]
) -> bool:
    """Whether a bid still in the race lacks a consensus score for a quality criterion."""
    quality = quality_criteria(tender)
    return any(
        (bid.id, criterion.id) not in consensus
        for bid in bids
        if bid.excluded_reason is None
        for criterion in quality
    )


def flagged_low(
    tender: Tender,
    bids: Sequence[OpenedBid],
    consensus: dict[tuple[int, int], ConsensusScore],
) -> set[int]:
    """The opened bids whose price is possibly abnormally low, per lot (as
    ``evaluation.results`` builds its ``BidScores``)."""
    flagged: set[int] = set()
    for lot in tender.lots:
        on_lot = [
            scoring.BidScores(
                bid_id=bid.id,
                lot_id=bid.lot_id,
                price=bid.price,
                scores={
                    str(c.id): consensus[(bid.id, c.id)].points
                    for c in quality_criteria(tender)
                    if (bid.id, c.id) in consensus
                },
                submitted_at=bid.submitted_at,
                excluded=bid.excluded_reason is not None,
                reserved_eligible=bid.citizen_initiative,
            )
            for bid in bids
            if bid.lot_id == lot.id and bid.price is not None
        ]
        try:
            flagged |= scoring.abnormally_low(on_lot)
        except ValueError:  # a price of 0: nothing to compare with
            continue
    return flagged


# -- the page ------------------------------------------------------------------------------
class EvaluationView(OrgView):
    action = "tenders.view"
    kinds = tenders.BUYER_KINDS

    def load(self, tender_id: int) -> None:
        self.tender = tenders.get_tender(tender_id)  # scoped: another buyer's tender is None
        if self.tender is None:
            abort(404)
        self.assignment = db.session.scalar(
            select(ReviewerAssignment).where(
                ReviewerAssignment.tender_id == tender_id,
                ReviewerAssignment.reviewer_id == current_user.id,
            )
        )

    # The state of the tender and of the current user in it.
    @property
    def opened(self) -> bool:
        return self.tender.opened_at is not None and self.tender.status in AFTER_OPENING

    @property
    def evaluating(self) -> bool:
        """Scores, exclusions, prices and the decision may still change."""
        return self.tender.status == TenderStatus.OPENED

    @property
    def declared(self) -> bool:
        return self.assignment is not None and self.assignment.no_conflict_declared_at is not None

    @property
    def blocked(self) -> bool:
        """Assigned, but no declaration yet: this user sees no bid, name or price."""
        return self.assignment is not None and self.assignment.no_conflict_declared_at is None

    def get(self, tender_id: int):
        return self.render()

    def redirect_back(self, anchor: str | None = None):
        return redirect(
            url_for(
                "evaluation.view",
                org_slug=self.org.slug,
                tender_id=self.tender.id,
                _anchor=anchor,
            )
        )

    def refusal(self, *, evaluating: bool = True) -> str | None:
        """Why nothing can change on this tender now (or None)."""
        if self.tender.status == TenderStatus.CANCELLED:
            return _("De aanbesteding is ingetrokken. Er wordt niets meer beoordeeld.")
        if not self.opened:
            return _(
                "De inschrijvingen zijn nog niet geopend. De beoordeling begint na de opening."
            )
        if evaluating and not self.evaluating:
            return _("De gunning is vastgelegd. De beoordeling kan niet meer veranderen.")
        return None

    def target(self) -> tuple[OpenedBid, Criterion | None]:
        """The opened bid (and criterion) a per-bid form is about: 400 when the request does
        not name them, 404 when they are not this tender's."""
        bid_id = request.form.get("bid", type=int)
        if bid_id is None:
            abort(400)
        bid = db.session.scalar(
            select(OpenedBid).where(OpenedBid.id == bid_id, OpenedBid.tender_id == self.tender.id)
        )
        if bid is None:
            abort(404)
        if "criterion" not in request.form:
            return bid, None
        criterion_id = request.form.get("criterion", type=int)
        criterion = next((c for c in self.tender.criteria if c.id == criterion_id), None)
        if criterion is None:
            abort(404)
        return bid, criterion

    def render(
        self,
        problems: Sequence[str] = (),
        submitted: tuple[tuple[Any, ...], FlaskForm] | None = None,
    ):
        """The page; ``submitted`` is the form that was sent (key, form), with its errors and
        values. A refusal for a form the page does not show goes to the top."""
        tender = self.tender
        may_manage, may_evaluate, may_award = (
            self.can("tenders.manage"),
            self.can("tenders.evaluate"),
            self.can("tenders.award"),
        )
        problems = list(problems)
        forms: dict[tuple[Any, ...], FlaskForm] = {}
        context: dict[str, Any] = {}
        opened = self.opened and tender.status != TenderStatus.CANCELLED
        bid_count = db.session.scalar(
            select(func.count(OpenedBid.id)).where(OpenedBid.tender_id == tender.id)
        )
        sees_bids = opened and self.declared
        # The ranking and the award: declared reviewers, and the officials who award (unless
        # they are themselves an assigned reviewer who has not declared yet).
        sees_outcome = opened and not self.blocked and (sees_bids or may_award)
        if opened:
            assignments = db.session.scalars(
                select(ReviewerAssignment)
                .where(ReviewerAssignment.tender_id == tender.id)
                .order_by(ReviewerAssignment.id)
            ).all()
            people_ids = {a.reviewer_id for a in assignments}
            candidates: list[User] = []
            if may_manage and self.evaluating:
                candidates = reviewer_candidates(self.org.id)
                form = AssignForm(prefix="assign", formdata=None)
                form.reviewer.choices = [("", _("Kies een persoon"))] + [
                    (u.id, f"{u.display_name} ({u.email})") for u in candidates
                ]
                forms[("assign",)] = form
            if self.blocked and may_evaluate:
                forms[("declare",)] = DeclareForm(prefix="declare", formdata=None)
            context.update(assignments=assignments, candidates=candidates)
        if sees_bids or sees_outcome:
            hidden = anonymity.hides_names(tender, self.assignment)
            bids = db.session.scalars(
                select(OpenedBid)
                .where(OpenedBid.tender_id == tender.id)
                .order_by(OpenedBid.submitted_at, OpenedBid.id)
            ).all()
            consensus = {
                (row.opened_bid_id, row.criterion_id): row
                for row in db.session.scalars(
                    select(ConsensusScore)
                    .join(OpenedBid, OpenedBid.id == ConsensusScore.opened_bid_id)
                    .where(OpenedBid.tender_id == tender.id)
                )
            }
            context.update(
                bids=bids,
                bid_names=anonymity.display_names(bids, hidden),
                hide_names=hidden,
                bids_by_id={b.id: b for b in bids},
                bids_by_lot={
                    lot.id: [b for b in bids if b.lot_id == lot.id] for lot in tender.lots
                },
                consensus=consensus,
                sealed=any(b.price is None for b in bids),
            )
        if sees_bids:
            scores: dict[tuple[int, int], list[ReviewerScore]] = {}
            for row in db.session.scalars(
                select(ReviewerScore)
                .join(OpenedBid, OpenedBid.id == ReviewerScore.opened_bid_id)
                .where(OpenedBid.tender_id == tender.id)
                .order_by(ReviewerScore.scored_at, ReviewerScore.id)
            ):
                scores.setdefault((row.opened_bid_id, row.criterion_id), []).append(row)
                people_ids.add(row.reviewer_id)
            own = {
                key: next((r for r in rows if r.reviewer_id == current_user.id), None)
                for key, rows in scores.items()
            }
            is_chair = bool(self.assignment and self.assignment.is_chair)
            for bid in bids:
                for criterion in quality_criteria(tender):
                    key = (bid.id, criterion.id)
                    mine = own.get(key)
                    if may_evaluate and self.evaluating:
                        forms[("score", *key)] = ScoreForm(
                            prefix=f"score-{bid.id}-{criterion.id}",
                            formdata=None,
                            data={
                                "points": points_text(mine.points) if mine else "",
                                "motivation": mine.motivation if mine else "",
                            },
                        )
                    if is_chair and may_evaluate and self.evaluating:
                        agreed = consensus.get(key)
                        forms[("consensus", *key)] = ConsensusForm(
                            prefix=f"consensus-{bid.id}-{criterion.id}",
                            formdata=None,
                            data={
                                "points": points_text(agreed.points) if agreed else "",
                                "motivation": agreed.motivation if agreed else "",
                            },
                        )
                if may_award and self.evaluating and bid.excluded_reason is None:
                    forms[("exclude", bid.id)] = ExcludeForm(
                        prefix=f"exclude-{bid.id}", formdata=None
                    )
            context.update(
                scores=scores,
                own=own,
                is_chair=is_chair,
                answers={b.id: b.quality.get("answers", {}) for b in bids},
                requirement_answers={b.id: b.quality.get("requirements", {}) for b in bids},
                # Listed from the sealed quality envelopes; downloaded through dossier.
                opened_attachments=dossier.opened_attachments(
                    reader=current_user, tender=tender, opened=bids
                ),
            )
        if opened:
            context["names"] = {
                u.id: u.display_name
                for u in db.session.scalars(select(User).where(User.id.in_(people_ids)))
            }
        if sees_outcome:
            ranking: dict[int, list[scoring.Ranked]] = {}
            ranking_problem = None
            try:
                ranking = evaluation.results(
                    tender, bids=context["bids"], consensus_rows=consensus.values()
                )
            except ValueError as exc:  # EvaluationError: scores missing, prices sealed
                ranking_problem = str(exc)
            decisions = db.session.scalars(
                select(AwardDecision).where(AwardDecision.tender_id == tender.id)
            ).all()
            price_criterion = next(
                (c for c in tender.criteria if c.kind == CriterionKind.PRICE), None
            )
            if may_award and self.evaluating:
                if context["sealed"]:
                    forms[("reveal",)] = ButtonForm(prefix="reveal", formdata=None)
                if ranking_problem is None:
                    forms[("decide",)] = DecideForm(prefix="decide", formdata=None)
            if may_award and tender.status == TenderStatus.EVALUATED:
                forms[("send",)] = ButtonForm(prefix="send", formdata=None)
            tie_rule = next(
                (r.tie_rule for rows in ranking.values() for r in rows), scoring.TIE_RULE
            )
            context.update(
                ranking=ranking,
                ranking_problem=ranking_problem,
                quality_missing=missing_consensus(tender, context["bids"], consensus),
                low=flagged_low(tender, context["bids"], consensus)
                if ranking_problem is None
                else set(),
                price_criterion=price_criterion,
                tie_rule_text=scoring.TIE_RULES.get(tie_rule, ""),
                tie_steps=TIE_STEPS,
                decisions={d.lot_id: d for d in decisions},
                letters=next((d for d in decisions if d.letters_sent_at), None),
            )
            # Letters, objections and whether the award is final (a cycle: imported here).
            from koepel.bids.views.objection_views import award_context

            context.update(award_context(self, forms))
        if submitted is not None:
            key, form = submitted
            if key in forms:
                forms[key] = form
                if key == ("assign",):
                    form.reviewer.choices = [("", _("Kies een persoon"))] + [
                        (u.id, f"{u.display_name} ({u.email})") for u in context["candidates"]
                    ]
            else:
                problems.extend(_errors(form))
        return render_template(
            "bids/evaluation/evaluation.html",
            org=self.org,
            tender=tender,
            opened=opened,
            evaluating=self.evaluating,
            bid_count=bid_count,
            assignment=self.assignment,
            blocked=self.blocked and opened,
            sees_bids=sees_bids,
            sees_outcome=sees_outcome,
            quality=quality_criteria(tender),
            points_text=points_text,
            forms=forms,
            problems=problems,
            **context,
        )

    def bid_name(self, bid: OpenedBid) -> str:
        """The bidder as this reviewer may see it: a label in an anonymous evaluation."""
        if not anonymity.hides_names(self.tender, self.assignment):
            return bid.bidder_name
        bids = db.session.scalars(select(OpenedBid).where(OpenedBid.tender_id == self.tender.id))
        return anonymity.labels(bids.all())[bid.id]


# -- the forms' handlers ---------------------------------------------------------------------


class Assign(EvaluationView):
    action = "tenders.manage"

    def post(self, tender_id: int):
        refused = self.refusal()
        if refused:
            return self.render(problems=[refused])
        form = AssignForm(prefix="assign")
        form.reviewer.choices = []  # filled again by render()
        if form.validate_on_submit():
            reviewer = next(
                (u for u in reviewer_candidates(self.org.id) if u.id == form.reviewer.data), None
            )
            if reviewer is None:
                form.reviewer.errors.append(
                    _("Kies een inkoper of beoordelaar van %(org)s.", org=self.org.name)
                )
            else:
                try:
                    evaluation.assign_reviewer(
                        actor=current_user,
                        buyer=self.org,
                        tender=self.tender,
                        reviewer=reviewer,
                        chair=bool(form.chair.data),
                    )
                except evaluation.EvaluationError as exc:
                    attach(form, exc)
                else:
                    if form.chair.data:
                        message = _(
                            "%(name)s beoordeelt deze aanbesteding, als voorzitter.",
                            name=reviewer.display_name,
                        )
                    else:
                        message = _(
                            "%(name)s beoordeelt deze aanbesteding.", name=reviewer.display_name
                        )
                    flash(message, "success")
                    return self.redirect_back("reviewers")
        return self.render(submitted=(("assign",), form))


class Declare(EvaluationView):
    action = "tenders.evaluate"

    def post(self, tender_id: int):
        refused = self.refusal(evaluating=False)
        if refused:
            return self.render(problems=[refused])
        form = DeclareForm(prefix="declare")
        if form.validate_on_submit():
            try:
                evaluation.declare_no_conflict(
                    reviewer=current_user, buyer=self.org, tender=self.tender
                )
            except evaluation.EvaluationError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "U hebt verklaard dat u geen belangenconflict heeft. "
                        "U ziet nu de inschrijvingen."
                    ),
                    "success",
                )
                return self.redirect_back()
        return self.render(submitted=(("declare",), form))


class PointsView(EvaluationView):
    """Score and consensus are the same form for a bid and a criterion; only the rule that
    records the points, the form and the message differ."""

    key: str
    form_class: type

    def save(self, bid, criterion, points, motivation) -> None:
        raise NotImplementedError

    def saved_message(self, bid, criterion) -> str:
        raise NotImplementedError

    def post(self, tender_id: int):
        refused = self.refusal()
        if refused:
            return self.render(problems=[refused])
        bid, criterion = self.target()
        if criterion is None:
            abort(400)
        form = self.form_class(prefix=f"{self.key}-{bid.id}-{criterion.id}")
        if form.validate_on_submit():
            try:
                self.save(bid, criterion, form.points.value, form.motivation.data or "")
            except evaluation.EvaluationError as exc:
                attach(form, exc)
            else:
                flash(self.saved_message(bid, criterion), "success")
                return self.redirect_back(f"bid-{bid.id}")
        return self.render(submitted=((self.key, bid.id, criterion.id), form))


class Score(PointsView):
    action = "tenders.evaluate"
    key, form_class = "score", ScoreForm

    def save(self, bid, criterion, points, motivation) -> None:
        evaluation.score(
            reviewer=current_user,
            buyer=self.org,
            tender=self.tender,
            bid=bid,
            criterion=criterion,
            points=points,
            motivation=motivation,
        )

    def saved_message(self, bid, criterion) -> str:
        return _(
            "Uw score voor %(criterion)s van %(bidder)s is opgeslagen.",
            criterion=criterion.title,
            bidder=self.bid_name(bid),
        )


class Consensus(PointsView):
    action = "tenders.evaluate"
    key, form_class = "consensus", ConsensusForm

    def save(self, bid, criterion, points, motivation) -> None:
        evaluation.set_consensus(
            chair=current_user,
            buyer=self.org,
            tender=self.tender,
            bid=bid,
            criterion=criterion,
            points=points,
            motivation=motivation,
        )

    def saved_message(self, bid, criterion) -> str:
        return _(
            "De consensusscore voor %(criterion)s van %(bidder)s is vastgelegd.",
            criterion=criterion.title,
            bidder=self.bid_name(bid),
        )


class Exclude(EvaluationView):
    action = "tenders.award"

    def post(self, tender_id: int):
        refused = self.refusal()
        if refused:
            return self.render(problems=[refused])
        bid, _criterion = self.target()
        form = ExcludeForm(prefix=f"exclude-{bid.id}")
        if form.validate_on_submit():
            if not self.declared:
                # Judging a bid means reading it: only after the declaration.
                form.form_errors.append(_("Verklaar eerst dat u geen belangenconflict heeft."))
            elif bid.excluded_reason is not None:
                form.form_errors.append(_("Deze inschrijving is al uitgesloten."))
            else:
                try:
                    evaluation.exclude(
                        actor=current_user,
                        buyer=self.org,
                        bid=bid,
                        reason=form.reason.data or "",
                    )
                except evaluation.EvaluationError as exc:
                    attach(form, exc)
                else:
                    flash(
                        _(
                            "De inschrijving van %(bidder)s is uitgesloten.",
                            bidder=self.bid_name(bid),
                        ),
                        "success",
                    )
                    return self.redirect_back(f"bid-{bid.id}")
        return self.render(submitted=(("exclude", bid.id), form))


class Reveal(EvaluationView):
    action = "tenders.award"

    def post(self, tender_id: int):
        refused = self.refusal()
        if refused:
            return self.render(problems=[refused])
        form = ButtonForm(prefix="reveal")
        if form.validate_on_submit():
            bids = db.session.scalars(
                select(OpenedBid).where(OpenedBid.tender_id == self.tender.id)
            ).all()
            consensus = {
                (row.opened_bid_id, row.criterion_id): row
                for row in db.session.scalars(
                    select(ConsensusScore)
                    .join(OpenedBid, OpenedBid.id == ConsensusScore.opened_bid_id)
                    .where(OpenedBid.tender_id == self.tender.id)
                )
            }
            if self.blocked:
                form.form_errors.append(_("Verklaar eerst dat u geen belangenconflict heeft."))
            elif missing_consensus(self.tender, bids, consensus):
                # Two envelopes: quality is settled before anyone sees a price.
                form.form_errors.append(
                    _(
                        "Leg eerst voor elke inschrijving de consensusscores voor kwaliteit "
                        "vast. Daarna gaan de prijzen open."
                    )
                )
            else:
                try:
                    opening_ops.reveal_prices(
                        actor=current_user, buyer=self.org, tender=self.tender
                    )
                except opening_ops.OpeningError as exc:
                    form.form_errors.append(str(exc))
                else:
                    flash(_("De prijzen zijn geopend."), "success")
                    return self.redirect_back("ranking")
        return self.render(submitted=(("reveal",), form))


class Decide(EvaluationView):
    action = "tenders.award"

    def post(self, tender_id: int):
        refused = self.refusal()
        if refused:
            return self.render(problems=[refused])
        form = DecideForm(prefix="decide")
        if form.validate_on_submit():
            if self.blocked:
                form.form_errors.append(_("Verklaar eerst dat u geen belangenconflict heeft."))
            else:
                try:
                    evaluation.decide(
                        actor=current_user,
                        buyer=self.org,
                        tender=self.tender,
                        reasons=form.reasons.data or "",
                    )
                except evaluation.EvaluationError as exc:
                    attach(form, exc)
                else:
                    flash(
                        _("De gunning is vastgelegd. Verstuur nu de brieven aan de inschrijvers."),
                        "success",
                    )
                    return self.redirect_back("award")
        return self.render(submitted=(("decide",), form))


class SendLetters(EvaluationView):
    action = "tenders.award"

    def post(self, tender_id: int):
        refused = self.refusal(evaluating=False)
        if refused:
            return self.render(problems=[refused])
        form = ButtonForm(prefix="send")
        if form.validate_on_submit():
            try:
                ends = evaluation.send_letters(
                    actor=current_user, buyer=self.org, tender=self.tender
                )
            except evaluation.EvaluationError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "De brieven zijn verstuurd. De opschortende termijn eindigt op "
                        "%(date)s (Nederlandse tijd).",
                        date=format_datetime_local(ends, current_language(), "long"),
                    ),
                    "success",
                )
                return self.redirect_back("award")
        return self.render(submitted=(("send",), form))


_rule = "/<org_slug>/tenders/<int:tender_id>/evaluation"
bp.add_url_rule(_rule, view_func=EvaluationView.as_view("view"))
for _path, _view, _name in (
    ("reviewers", Assign, "assign"),
    ("declaration", Declare, "declare"),
    ("scores", Score, "score"),
    ("consensus", Consensus, "consensus"),
    ("exclusions", Exclude, "exclude"),
    ("prices", Reveal, "reveal"),
    ("decision", Decide, "decide"),
    ("letters", SendLetters, "send"),
):
    bp.add_url_rule(f"{_rule}/{_path}", view_func=_view.as_view(_name), methods=["POST"])
