"""Right to Challenge pages.

The challenger (a cooperative, or an umbrella on behalf of a member) prepares a challenge,
submits it and follows its assessment; the municipality keeps its policy (term, criteria,
tasks with their current cost), registers a received challenge, asks for information and
decides. Rules live in ``koepel.bids.challenges``; a refusal is shown next to the field it
is about, and what was typed is kept.
"""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from koepel.bids import challenges as ops
from koepel.bids import submission
from koepel.bids.models.challenges import Challenge, ChallengeDecision, ChallengeStatus
from koepel.bids.views.bidding import org_names
from koepel.bids.views.tender_forms import MoneyField
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import Organisation
from koepel.platform.money import format_money
from koepel.platform.web import OrgView

bp = Blueprint("challenges", __name__)

DECISION_LABELS = {
    ChallengeDecision.REJECTED: _l("Afwijzen"),
    ChallengeDecision.PILOT: _l("Direct een pilot afspreken"),
    ChallengeDecision.TENDER: _l("Een aanbesteding uitschrijven voor deze taak"),
}
OUTCOME_LABELS = {
    ChallengeDecision.REJECTED: _l("afgewezen"),
    ChallengeDecision.PILOT: _l("pilot afgesproken"),
    ChallengeDecision.TENDER: _l("aanbesteding voor deze taak"),
}
STEP_LABELS = {
    "submitted": _l("Challenge ingediend"),
    "registered": _l("Geregistreerd: de termijn loopt"),
    "question": _l("Vraag van de gemeente"),
    "reply": _l("Antwoord van de uitdager"),
    "decided": _l("Besluit"),
}
TEXT_MAX = 20_000


# -- forms ----------------------------------------------------------------------------------
class CountField(StringField):
    """A whole number such as 120; ``number`` holds it."""

    number: int | None = None

    def pre_validate(self, form) -> None:
        self.number = None
        text = (self.data or "").strip().replace(".", "")
        if not text:
            return
        if not text.isdigit() or len(text) > 9:
            raise ValidationError(_("Vul een heel getal in, bijvoorbeeld 120."))
        self.number = int(text)


def met_name(key: str) -> str:
    return f"met-{key}"


def explain_name(key: str) -> str:
    return f"explain-{key}"


class StartForm(FlaskForm):
    municipality = SelectField(
        _l("Welke gemeente daagt u uit?"),
        validators=[DataRequired(_l("Kies een gemeente."))],
    )
    # Checked by the rule (membership on this day), which names the problem plainly.
    on_behalf_of = SelectField(_l("Namens welke coöperatie?"), validate_choice=False)


class ChallengeForm(FlaskForm):
    """Nothing is required here: a draft may be incomplete; ``submit`` checks the rest."""

    task_id = SelectField(_l("Welke taak wilt u overnemen?"))
    task_name = StringField(
        _l("Andere taak"),
        description=_l("Alleen invullen als de taak niet in de lijst van de gemeente staat."),
        validators=[Optional(), Length(max=300)],
    )
    area = StringField(
        _l("Gebied"),
        description=_l("De wijk, het dorp of de kern, bijvoorbeeld Hoogeloon en Casteren."),
        validators=[Length(max=500)],
    )
    target_group = StringField(
        _l("Doelgroep"),
        description=_l("Voor wie is het? Bijvoorbeeld ouderen die thuis wonen."),
        validators=[Length(max=500)],
    )
    motivation = TextAreaField(
        _l("Waarom kunt u dit even goed of beter?"), validators=[Length(max=TEXT_MAX)]
    )
    social_value = TextAreaField(
        _l("Maatschappelijke meerwaarde"),
        description=_l("Wat levert het de buurt op, naast de zorg of ondersteuning zelf?"),
        validators=[Length(max=TEXT_MAX)],
    )
    estimated_budget = MoneyField(
        _l("Geschatte kosten per jaar"),
        description=_l("In euro, bijvoorbeeld 12.500,50."),
        validators=[Length(max=30)],
    )
    supporters = CountField(
        _l("Hoeveel leden of bewoners steunen de challenge?"),
        description=_l("Een heel getal, bijvoorbeeld 120."),
        validators=[Length(max=12)],
    )

    @classmethod
    def for_policy(cls, found: ops.Policy, **kwargs) -> ChallengeForm:
        fields: dict[str, Field] = {}
        for crit in found.criteria:
            fields[met_name(crit.key)] = BooleanField(
                _l("Wij voldoen aan: %(title)s", title=crit.title)
            )
            fields[explain_name(crit.key)] = TextAreaField(
                _l("Toelichting: %(title)s", title=crit.title),
                description=crit.description or None,
                validators=[Length(max=TEXT_MAX)],
            )
        form = type("PolicyChallengeForm", (cls,), fields)(**kwargs)
        form.task_id.choices = [SelectChoice("", _("Een andere taak (hieronder beschrijven)"))] + [
            SelectChoice(str(t.id), _task_label(t)) for t in found.tasks
        ]
        return form

    def checks(self, found: ops.Policy) -> dict[str, tuple[bool, str]]:
        return {
            c.key: (bool(self[met_name(c.key)].data), self[explain_name(c.key)].data or "")
            for c in found.criteria
        }


def amount_text(amount) -> str:
    """An amount as the reader types it (12.500,50 in Dutch), for an input field."""
    if amount is None:
        return ""
    return format_decimal(amount, format="#,##0.00", locale=current_language())


def _task_label(task) -> str:
    if task.current_yearly_cost is None:
        return task.name
    return _(
        "%(name)s (nu %(cost)s per jaar)",
        name=task.name,
        cost=format_money(task.current_yearly_cost, current_language()),
    )


class ReplyForm(FlaskForm):
    answer = TextAreaField(
        _l("Uw antwoord"),
        validators=[DataRequired(_l("Schrijf uw antwoord op.")), Length(max=TEXT_MAX)],
    )


class AskForm(FlaskForm):
    question = TextAreaField(
        _l("Uw vraag aan de uitdager"),
        description=_l("Tot het antwoord binnen is, staat de termijn stil."),
        validators=[DataRequired(_l("Schrijf uw vraag op.")), Length(max=TEXT_MAX)],
    )


class DecideForm(FlaskForm):
    decision = RadioField(
        _l("Besluit"),
        choices=[SelectChoice(d.value, label) for d, label in DECISION_LABELS.items()],
        validators=[DataRequired(_l("Kies een besluit."))],
    )
    reasons = TextAreaField(
        _l("Motivering"),
        description=_l("Verplicht bij afwijzen. De uitdager leest dit."),
        validators=[Length(max=TEXT_MAX)],
    )


class TermForm(FlaskForm):
    term_weeks = CountField(
        _l("Termijn voor de beoordeling (weken)"),
        validators=[DataRequired(_l("Vul het aantal weken in.")), Length(max=3)],
    )


class CriterionForm(FlaskForm):
    title = StringField(
        _l("Criterium"),
        validators=[DataRequired(_l("Geef het criterium een naam.")), Length(max=300)],
    )
    description = TextAreaField(_l("Uitleg"), validators=[Optional(), Length(max=5000)])


class TaskForm(FlaskForm):
    name = StringField(
        _l("Taak"), validators=[DataRequired(_l("Geef de taak een naam.")), Length(max=300)]
    )
    current_yearly_cost = MoneyField(
        _l("Wat kost deze taak de gemeente nu per jaar?"),
        description=_l("Laat leeg als u het niet weet. Bijvoorbeeld 96.000,00."),
        validators=[Optional(), Length(max=30)],
    )
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=5000)])


def attach(form: FlaskForm, exc: ValueError) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    name = getattr(exc, "field", None) or ""
    if name.startswith("check:"):
        name = explain_name(name.removeprefix("check:"))
    target = form._fields.get(name)
    (target.errors if target is not None else form.form_errors).append(str(exc))


def _status(form: FlaskForm):
    """A form with errors answers 200 (the page shows them), or 400 for a lost CSRF token."""
    return 400 if form.errors.get("csrf_token") else 200


# -- the challenger's pages -----------------------------------------------------------------
class ChallengerView(OrgView):
    action = "bids.view"
    kinds = ops.CHALLENGER_KINDS


class MyChallenges(ChallengerView):
    def get(self):
        own = db.session.scalars(
            select(Challenge).order_by(Challenge.created_at.desc(), Challenge.id.desc())
        ).all()
        found = ops.exchanges(own)
        behalf = ops.filed_on_behalf_of(self.org)
        names = org_names(
            {c.municipality_id for c in own}
            | {c.on_behalf_of_id for c in own if c.on_behalf_of_id}
            | {b.umbrella_id for b in behalf}
            | {b.municipality_id for b in behalf}
        )
        return render_template(
            "bids/challenges/list.html",
            org=self.org,
            own=own,
            exchanges=found,
            behalf=behalf,
            names=names,
            today=ops.today_local(),
            may_manage=self.can("challenges.submit"),
            **labels(),
        )


class NewChallenge(ChallengerView):
    action = "challenges.submit"

    def form(self, posted: bool = False) -> StartForm:
        form = StartForm(**({} if posted else {"formdata": None}))
        form.municipality.choices = [SelectChoice("", _("Kies een gemeente"))] + [
            SelectChoice(str(m.id), m.name) for m in ops.municipalities()
        ]
        form.on_behalf_of.choices = [SelectChoice("", _("Kies een coöperatie"))] + [
            SelectChoice(str(m.id), m.name) for m in ops.members_of(self.org)
        ]
        return form

    def render(self, form: StartForm):
        return render_template(
            "bids/challenges/new.html",
            org=self.org,
            form=form,
            umbrella=self.org.kind.value == "umbrella",
            municipalities=ops.municipalities(),
        )

    def get(self):
        return self.render(self.form())

    def post(self):
        form = self.form(posted=True)
        if not form.validate_on_submit():
            return self.render(form), _status(form)
        municipality = db.session.get(Organisation, int(form.municipality.data))
        behalf_id = _int(form.on_behalf_of.data)
        behalf = db.session.get(Organisation, behalf_id) if behalf_id else None
        try:
            challenge = ops.start(
                actor=current_user,
                challenger=self.org,
                municipality=municipality,
                on_behalf_of=behalf,
            )
        except ops.ChallengeError as exc:
            attach(form, exc)
            return self.render(form)
        flash(_("Uw challenge is aangemaakt als concept."), "success")
        return redirect(
            url_for("challenges.detail", org_slug=self.org.slug, challenge_id=challenge.id)
        )


class ChallengePage(ChallengerView):
    """One of this organisation's challenges: the draft form, or what was submitted with
    its countdown and timeline."""

    post_action = "challenges.submit"

    def load(self, challenge_id: int) -> None:
        stmt = select(Challenge).where(Challenge.id == challenge_id)  # scoped: own only
        if request.method == "POST":
            stmt = stmt.with_for_update()  # one change at a time
        self.challenge = db.session.scalar(stmt)
        if self.challenge is None:
            abort(404)
        self.municipality = db.session.get(Organisation, self.challenge.municipality_id)
        self.policy = ops.published_policy(self.municipality)

    def url(self) -> str:
        return url_for("challenges.detail", org_slug=self.org.slug, challenge_id=self.challenge.id)

    def draft_form(self) -> ChallengeForm:
        c = self.challenge
        listed = self.policy.task(c.task_id) is not None  # the municipality may withdraw it
        data = {
            "task_id": str(c.task_id) if listed else "",
            "task_name": "" if listed else c.task_name,
            "area": c.area,
            "target_group": c.target_group,
            "motivation": c.motivation,
            "social_value": c.social_value,
            "estimated_budget": amount_text(c.estimated_budget),
            "supporters": str(c.supporters) if c.supporters is not None else "",
        }
        for check in c.checks:
            data[met_name(check.criterion_key)] = check.met
            data[explain_name(check.criterion_key)] = check.explanation
        return ChallengeForm.for_policy(self.policy, formdata=None, data=data)

    def render(self, form: ChallengeForm | None = None, reply_form: ReplyForm | None = None):
        c = self.challenge
        ex = ops.exchange(c)
        draft = c.status == ChallengeStatus.DRAFT
        may_manage = self.can("challenges.submit")
        names = org_names({c.tenant_id, c.municipality_id} | ({c.on_behalf_of_id} - {None}))
        cost = ops.current_cost(c, self.policy)
        if form is not None and draft:
            # What was just typed, before it is saved.
            chosen = self.policy.task(_int(form.task_id.data))
            cost = chosen.current_yearly_cost if chosen else None
        estimate = form.estimated_budget.amount if form is not None else c.estimated_budget
        open_request = ex.open_request
        return render_template(
            "bids/challenges/challenge.html",
            org=self.org,
            challenge=c,
            names=names,
            policy=self.policy,
            form=(form or self.draft_form()) if draft and may_manage else None,
            comparison=ops.compare_cost(estimate, cost),
            exchange=ex,
            clock=ex.countdown(),
            steps=ops.timeline(c, ex, names[c.tenant_id], names[c.municipality_id]),
            reply_form=(reply_form or ReplyForm(formdata=None))
            if open_request is not None and may_manage
            else None,
            open_request=open_request,
            tender=_published(ex),
            **labels(),
        )

    def get(self, challenge_id: int):
        return self.render()

    def save(self, form: ChallengeForm) -> list[str]:
        """Save what is valid; return the fields whose input could not be read."""
        unreadable = [n for n in ("estimated_budget", "supporters") if form[n].errors]
        c = self.challenge
        data = ops.ChallengeData(
            task_id=_int(form.task_id.data),
            task_name=form.task_name.data or "",
            area=form.area.data or "",
            target_group=form.target_group.data or "",
            motivation=form.motivation.data or "",
            social_value=form.social_value.data or "",
            # Unreadable input keeps the value saved before; the field shows the problem.
            estimated_budget=c.estimated_budget
            if "estimated_budget" in unreadable
            else form.estimated_budget.amount,
            supporters=c.supporters if "supporters" in unreadable else form.supporters.number,
            checks=form.checks(self.policy),
        )
        ops.save_draft(
            actor=current_user, challenger=self.org, challenge=c, data=data, found=self.policy
        )
        return unreadable

    def posted_form(self):
        """The posted form, or a response when it cannot be saved at all."""
        if self.challenge.status != ChallengeStatus.DRAFT:
            flash(_("Deze challenge is al ingediend."), "error")
            return None, redirect(self.url())
        form = ChallengeForm.for_policy(self.policy)
        form.validate_on_submit()
        blocking = {n for n, errors in form.errors.items() if errors} - {
            "estimated_budget",
            "supporters",
        }
        if blocking:
            return None, (self.render(form=form), _status(form))
        return form, None

    def post(self, challenge_id: int):
        """Opslaan: keep the draft (unreadable amounts are named, the rest is kept)."""
        form, response = self.posted_form()
        if response is not None:
            return response
        try:
            unreadable = self.save(form)
        except ops.ChallengeError as exc:
            attach(form, exc)
            return self.render(form=form)
        flash(_("Het concept is opgeslagen."), "success")
        if unreadable:
            return self.render(form=form)
        return redirect(self.url())


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _published(ex: ops.Exchange):
    """The tender opened for the challenge, once the buyer has published it."""
    a = ex.assessment
    return submission.published_tender(a.tender_id) if a and a.tender_id else None


def state(challenge: Challenge, ex: ops.Exchange | None) -> str:
    """Where a challenge stands, in a few words."""
    if challenge.status == ChallengeStatus.DRAFT:
        return _("concept")
    if ex is None or ex.assessment is None:
        return _("ingediend, nog niet geregistreerd")
    if ex.decided:
        return str(OUTCOME_LABELS[ex.assessment.decision])
    if ex.open_request is not None:
        return _("wacht op antwoord van de uitdager")
    return _("in beoordeling")


def labels() -> dict[str, object]:
    return {"decision_labels": OUTCOME_LABELS, "step_labels": STEP_LABELS, "state": state}


class SubmitChallenge(ChallengePage):
    action = "challenges.submit"

    def post(self, challenge_id: int):
        """Indienen: save what was posted (nothing typed is lost), then submit."""
        form, response = self.posted_form()
        if response is not None:
            return response
        try:
            unreadable = self.save(form)
            if unreadable:
                return self.render(form=form)
            ops.submit(
                actor=current_user, challenger=self.org, challenge=self.challenge, found=self.policy
            )
        except ops.ChallengeError as exc:
            attach(form, exc)
            return self.render(form=form)
        flash(_("Uw challenge is ingediend bij %(name)s.", name=self.municipality.name), "success")
        return redirect(self.url())


class ReplyChallenge(ChallengePage):
    action = "challenges.submit"

    def post(self, challenge_id: int):
        form = ReplyForm()
        if not form.validate_on_submit():
            if ops.exchange(self.challenge).open_request is None:
                flash(_("Er staat geen vraag open."), "error")
                return redirect(self.url())
            return self.render(reply_form=form), _status(form)
        try:
            ops.reply(
                actor=current_user,
                challenger=self.org,
                challenge=self.challenge,
                answer=form.answer.data,
            )
        except ops.ChallengeError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Uw antwoord is verstuurd. De termijn loopt weer."), "success")
        return redirect(self.url())


class PublishedCriteria(ChallengerView):
    """A municipality's published criteria, term and tasks with their current cost."""

    def get(self, municipality_id: int):
        municipality = db.session.get(Organisation, municipality_id)
        if municipality is None or municipality.kind not in ops.ASSESSOR_KINDS:
            abort(404)
        return render_template(
            "bids/challenges/criteria.html",
            org=self.org,
            municipality=municipality,
            policy=ops.published_policy(municipality),
        )


# -- the municipality's pages ---------------------------------------------------------------
class MunicipalityView(OrgView):
    action = "challenges.view"
    kinds = ops.ASSESSOR_KINDS


class Received(MunicipalityView):
    def get(self):
        received = ops.submitted_to(self.org)
        return render_template(
            "bids/challenges/received.html",
            org=self.org,
            received=received,
            exchanges=ops.exchanges(received),
            names=org_names({c.tenant_id for c in received}),
            today=ops.today_local(),
            **labels(),
        )


class Assessment(MunicipalityView):
    def load(self, challenge_id: int) -> None:
        self.challenge = ops.submitted_challenge(self.org, challenge_id)  # never a draft
        if self.challenge is None:
            abort(404)

    def url(self) -> str:
        return url_for(
            "challenges.assessment", org_slug=self.org.slug, challenge_id=self.challenge.id
        )

    def render(self, **submitted: FlaskForm):
        c = self.challenge
        ex = ops.exchange(c)
        names = org_names({c.tenant_id} | ({c.on_behalf_of_id} - {None}))
        names[self.org.id] = self.org.name
        may_assess = self.can("challenges.assess")
        registered, decided = ex.assessment is not None, ex.decided
        forms = {
            "register_form": FlaskForm(prefix="register", formdata=None)
            if may_assess and not registered
            else None,
            "ask_form": AskForm(prefix="ask", formdata=None)
            if may_assess and registered and not decided and ex.open_request is None
            else None,
            "decide_form": DecideForm(prefix="decide", formdata=None)
            if may_assess and registered and not decided
            else None,
        }
        forms.update(submitted)
        return render_template(
            "bids/challenges/assessment.html",
            org=self.org,
            challenge=c,
            names=names,
            comparison=ops.compare_cost(c.estimated_budget, c.cost_at_submission),
            exchange=ex,
            clock=ex.countdown(),
            steps=ops.timeline(c, ex, names[c.tenant_id], self.org.name),
            **forms,
            **labels(),
        )

    def get(self, challenge_id: int):
        return self.render()


class Register(Assessment):
    action = "challenges.assess"

    def post(self, challenge_id: int):
        form = FlaskForm(prefix="register")
        if not form.validate_on_submit():
            return self.render(register_form=form), _status(form)
        try:
            ops.register(actor=current_user, municipality=self.org, challenge=self.challenge)
        except ops.ChallengeError as exc:
            flash(str(exc), "error")
        else:
            flash(_("De challenge is geregistreerd. De termijn loopt vanaf vandaag."), "success")
        return redirect(self.url())


class Ask(Assessment):
    action = "challenges.assess"

    def post(self, challenge_id: int):
        form = AskForm(prefix="ask")
        if form.validate_on_submit():
            try:
                ops.ask(
                    actor=current_user,
                    municipality=self.org,
                    challenge=self.challenge,
                    question=form.question.data,
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                flash(
                    _("Uw vraag is verstuurd. De termijn staat stil tot het antwoord."), "success"
                )
                return redirect(self.url())
        return self.render(ask_form=form), _status(form)


class Decide(Assessment):
    action = "challenges.assess"

    def post(self, challenge_id: int):
        form = DecideForm(prefix="decide")
        if form.validate_on_submit():
            try:
                assessment = ops.decide(
                    actor=current_user,
                    municipality=self.org,
                    challenge=self.challenge,
                    decision=ChallengeDecision(form.decision.data),
                    reasons=form.reasons.data or "",
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                if assessment.tender_id:
                    flash(
                        _(
                            "Het besluit is vastgelegd en de uitdager is bericht. Er staat een "
                            "concept-aanbesteding klaar; vul haar aan en publiceer haar."
                        ),
                        "success",
                    )
                    return redirect(
                        url_for(
                            "tenders.detail", org_slug=self.org.slug, tender_id=assessment.tender_id
                        )
                    )
                flash(_("Het besluit is vastgelegd en de uitdager is bericht."), "success")
                return redirect(self.url())
        return self.render(decide_form=form), _status(form)


# -- the municipality's policy --------------------------------------------------------------
class PolicyPage(MunicipalityView):
    post_action = "challenges.assess"

    def url(self) -> str:
        return url_for("challenges.policy", org_slug=self.org.slug)

    def render(self, **submitted: FlaskForm):
        found = ops.policy_of(self.org)
        may_assess = self.can("challenges.assess")
        forms = {
            "term_form": TermForm(
                prefix="term", formdata=None, data={"term_weeks": str(found.term_weeks)}
            ),
            "criterion_form": CriterionForm(prefix="criterion", formdata=None),
            "task_form": TaskForm(prefix="task", formdata=None),
        }
        forms.update(submitted)
        return render_template(
            "bids/challenges/policy.html",
            org=self.org,
            policy=found,
            may_assess=may_assess,
            **forms,
        )

    def get(self):
        return self.render()

    def post(self):
        """The assessment term."""
        form = TermForm(prefix="term")
        if form.validate_on_submit():
            try:
                ops.set_term(
                    actor=current_user, municipality=self.org, weeks=form.term_weeks.number
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                flash(_("De termijn is opgeslagen."), "success")
                return redirect(self.url())
        return self.render(term_form=form), _status(form)


class AddCriterion(PolicyPage):
    action = "challenges.assess"

    def post(self):
        form = CriterionForm(prefix="criterion")
        if form.validate_on_submit():
            try:
                ops.add_criterion(
                    actor=current_user,
                    municipality=self.org,
                    title=form.title.data,
                    description=form.description.data or "",
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                flash(_("Het criterium is toegevoegd."), "success")
                return redirect(self.url())
        return self.render(criterion_form=form), _status(form)


class EditCriterion(PolicyPage):
    action = "challenges.assess"

    def load(self, key: str) -> None:
        self.criterion = next((c for c in ops.policy_of(self.org).criteria if c.key == key), None)
        if self.criterion is None:
            abort(404)

    def show(self, form: CriterionForm):
        return render_template(
            "bids/challenges/edit_criterion.html", org=self.org, criterion=self.criterion, form=form
        )

    def get(self, key: str):
        c = self.criterion
        return self.show(
            CriterionForm(formdata=None, data={"title": c.title, "description": c.description})
        )

    def post(self, key: str):
        form = CriterionForm()
        if form.validate_on_submit():
            try:
                ops.update_criterion(
                    actor=current_user,
                    municipality=self.org,
                    key=key,
                    title=form.title.data,
                    description=form.description.data or "",
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                flash(_("Het criterium is opgeslagen."), "success")
                return redirect(self.url())
        return self.show(form), _status(form)


class WithdrawCriterion(EditCriterion):
    def post(self, key: str):
        if FlaskForm().validate_on_submit():
            ops.archive_criterion(actor=current_user, municipality=self.org, key=key)
            flash(_("Het criterium is ingetrokken."), "success")
        else:
            flash(_("Het formulier was verlopen. Probeer het nog een keer."), "error")
        return redirect(self.url())


class AddTask(PolicyPage):
    action = "challenges.assess"

    def post(self):
        form = TaskForm(prefix="task")
        if form.validate_on_submit():
            try:
                ops.add_task(
                    actor=current_user,
                    municipality=self.org,
                    name=form.name.data,
                    current_yearly_cost=form.current_yearly_cost.amount,
                    description=form.description.data or "",
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                flash(_("De taak is toegevoegd."), "success")
                return redirect(self.url())
        return self.render(task_form=form), _status(form)


class EditTask(PolicyPage):
    action = "challenges.assess"

    def load(self, task_id: int) -> None:
        self.task = ops.task(task_id)  # scoped: another municipality's task is not found
        if self.task is None:
            abort(404)

    def show(self, form: TaskForm):
        return render_template(
            "bids/challenges/edit_task.html", org=self.org, task=self.task, form=form
        )

    def get(self, task_id: int):
        t = self.task
        data = {
            "name": t.name,
            "description": t.description,
            "current_yearly_cost": amount_text(t.current_yearly_cost),
        }
        return self.show(TaskForm(formdata=None, data=data))

    def post(self, task_id: int):
        form = TaskForm()
        if form.validate_on_submit():
            try:
                ops.update_task(
                    actor=current_user,
                    municipality=self.org,
                    row=self.task,
                    name=form.name.data,
                    current_yearly_cost=form.current_yearly_cost.amount,
                    description=form.description.data or "",
                )
            except ops.ChallengeError as exc:
                attach(form, exc)
            else:
                flash(_("De taak is opgeslagen."), "success")
                return redirect(self.url())
        return self.show(form), _status(form)


class WithdrawTask(EditTask):
    def post(self, task_id: int):
        if FlaskForm().validate_on_submit():
            ops.archive_task(actor=current_user, municipality=self.org, row=self.task)
            flash(_("De taak is ingetrokken."), "success")
        else:
            flash(_("Het formulier was verlopen. Probeer het nog een keer."), "error")
        return redirect(self.url())


# -- URL rules ------------------------------------------------------------------------------
_mine = "/<org_slug>/challenges"
_one = f"{_mine}/<int:challenge_id>"
_received = "/<org_slug>/received-challenges/<int:challenge_id>"
_policy = "/<org_slug>/challenge-policy"
_rules = [
    (_mine, MyChallenges, "mine", ["GET"]),
    (f"{_mine}/new", NewChallenge, "new", ["GET", "POST"]),
    (_one, ChallengePage, "detail", ["GET", "POST"]),
    (f"{_one}/submit", SubmitChallenge, "submit", ["POST"]),
    (f"{_one}/reply", ReplyChallenge, "reply", ["POST"]),
    (f"{_mine}/criteria/<int:municipality_id>", PublishedCriteria, "criteria", ["GET"]),
    ("/<org_slug>/received-challenges", Received, "received", ["GET"]),
    (_received, Assessment, "assessment", ["GET"]),
    (f"{_received}/register", Register, "register", ["POST"]),
    (f"{_received}/ask", Ask, "ask", ["POST"]),
    (f"{_received}/decide", Decide, "decide", ["POST"]),
    (_policy, PolicyPage, "policy", ["GET", "POST"]),
    (f"{_policy}/criteria", AddCriterion, "add_criterion", ["POST"]),
    (f"{_policy}/criteria/<key>", EditCriterion, "edit_criterion", ["GET", "POST"]),
    (f"{_policy}/criteria/<key>/withdraw", WithdrawCriterion, "withdraw_criterion", ["POST"]),
    (f"{_policy}/tasks", AddTask, "add_task", ["POST"]),
    (f"{_policy}/tasks/<int:task_id>", EditTask, "edit_task", ["GET", "POST"]),
    (f"{_policy}/tasks/<int:task_id>/withdraw", WithdrawTask, "withdraw_task", ["POST"]),
]
for _rule, _view, _name, _methods in _rules:
    bp.add_url_rule(_rule, view_func=_view.as_view(_name), methods=_methods)
