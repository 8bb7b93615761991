"""Framework agreements: catalogue, volume agreements, call-offs, reports, adjustments.

Two sides. The buyer (municipality or region, ``framework.view`` to read, ``framework.manage``
to change) drafts the agreement, places call-offs, sees every provider side by side per
period, decides on proposals and exports the figures. A party (provider, or a cooperative
or umbrella that joined) reads its own share and reports units every four weeks with
``framework.report`` — those who report for a party also read its agreement.

Every change goes through ``koepel.contracts.frameworks``; a refusal is shown next to the
field it is about, with what was typed kept.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from koepel.bids.views.tender_forms import DateText, MoneyField, PercentField
from koepel.contracts import framework as fr
from koepel.contracts import frameworks as ops
from koepel.contracts import own_contribution as cak
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.framework import (
    AgreementStatus,
    FrameworkParty,
    ProposalStatus,
)
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import JobRun, Organisation
from koepel.platform.money import MoneyParseError, parse_money
from koepel.platform.web import OrgView

bp = Blueprint("framework", __name__)

STATUS_LABELS = {AgreementStatus.DRAFT: _l("concept"), AgreementStatus.ACTIVE: _l("loopt")}
PROPOSAL_LABELS = {
    ProposalStatus.OPEN: _l("open"),
    ProposalStatus.ACCEPTED: _l("aanvaard"),
    ProposalStatus.REJECTED: _l("afgewezen"),
    ProposalStatus.SUPERSEDED: _l("vervangen door een later voorstel"),
}
EXPORT_LABELS = {
    "periods": _l("De cijfers per periode (budget, plafond, cliënten, eenheden)"),
    "cak": _l("De cijfers voor het CAK (per cliënt en periode)"),
}


# -- fields and forms ------------------------------------------------------------------------
def parse_quantity(text: str) -> Decimal:
    """A number of units as the reader types it ("12,5" in Dutch): at most two decimals,
    not negative. Raises ValueError with a message for the user."""
    try:
        value = parse_money(text, current_language())
    except MoneyParseError:
        raise ValueError(
            _("Schrijf een aantal als 12 of 12,5 (hoogstens twee cijfers achter de komma).")
        ) from None
    if value < 0:
        raise ValueError(_("Een aantal kan niet negatief zijn."))
    return value


class QuantityField(StringField):
    """Units, hours, day parts or rides; ``value`` holds the parsed Decimal (None: empty)."""

    value: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.value = None
        if (self.data or "").strip():
            try:
                self.value = parse_quantity(self.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


class TariffField(StringField):
    """A tariff in euros; a negative one is parsed, so the rule can say what is wrong."""

    amount: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.amount = None
        if (self.data or "").strip():
            try:
                self.amount = parse_money(self.data, current_language())
            except MoneyParseError as exc:
                raise ValidationError(str(exc)) from None


def read_date(field: Field) -> date | None:
    """The date of a date input (YYYY-MM-DD), or None with the problem on the field."""
    text = (field.data or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        field.errors.append(_("Vul een datum in, bijvoorbeeld 2015-03-01."))
        return None


def attach(form: FlaskForm, exc: ValueError) -> None:
    """Put a rule's refusal next to the field it names, else at the top of the form."""
    name = getattr(exc, "field", None)
    target = getattr(form, name, None) if name else None
    (target.errors if isinstance(target, Field) else form.form_errors).append(str(exc))


def _errors(form: FlaskForm) -> list[str]:
    return [str(e) for e in form.form_errors] + [
        str(e) for field in form for e in field.errors if isinstance(e, str)
    ]


def product_choices() -> list[SelectChoice]:
    return [SelectChoice(code, ops.product_label(code)) for code in ops.PRODUCT_CODES]


THRESHOLD_HELP = _l("Een percentage van het afgesproken aantal cliënten, bijvoorbeeld 5.")


class AgreementForm(FlaskForm):
    title = StringField(
        _l("Naam"),
        validators=[DataRequired(_l("Geef de raamovereenkomst een naam.")), Length(max=300)],
    )
    year = IntegerField(
        _l("Jaar"),
        validators=[
            InputRequired(_l("Vul het jaar in, bijvoorbeeld 2015.")),
            NumberRange(2000, 2100, _l("Kies een jaar tussen 2000 en 2100.")),
        ],
    )
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=20000)])
    increase_above = PercentField(
        _l("Budget verhogen bij meer cliënten dan afgesproken: meer dan (%)"),
        default="5",
        validators=[DataRequired(_l("Vul een percentage in, bijvoorbeeld 5."))],
    )
    decrease_below = PercentField(
        _l("Budget verlagen bij minder cliënten dan afgesproken: meer dan (%)"),
        default="10",
        validators=[DataRequired(_l("Vul een percentage in, bijvoorbeeld 10."))],
    )


class ThresholdForm(FlaskForm):
    increase_above = PercentField(
        _l("Verhogen bij meer cliënten: meer dan (%)"),
        validators=[DataRequired(_l("Vul een percentage in, bijvoorbeeld 5."))],
    )
    decrease_below = PercentField(
        _l("Verlagen bij minder cliënten: meer dan (%)"),
        validators=[DataRequired(_l("Vul een percentage in, bijvoorbeeld 10."))],
    )


class ProductForm(FlaskForm):
    product = SelectField(_l("Product"))  # choices per request (translated labels)
    unit = StringField(
        _l("Eenheid"),
        validators=[Optional(), Length(max=30)],
        description=_l("Bijvoorbeeld uur, dagdeel of rit. Leeg: de gewone eenheid."),
    )
    tariff = TariffField(
        _l("Tarief per eenheid"),
        validators=[DataRequired(_l("Vul het tarief in, bijvoorbeeld 55,00.")), Length(max=30)],
    )
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=5000)])
    reason = StringField(
        _l("Reden van de wijziging"),
        validators=[Optional(), Length(max=500)],
        description=_l(
            "Nodig als de raamovereenkomst al loopt: het tarief krijgt een nieuwe versie."
        ),
    )


class IndicatorForm(FlaskForm):
    name = StringField(
        _l("Kwaliteitsindicator"),
        validators=[DataRequired(_l("Geef de indicator een naam.")), Length(max=200)],
    )
    bonus = PercentField(_l("Bonus als de indicator gehaald is (%)"), default="0")
    malus = PercentField(_l("Malus als de indicator niet gehaald is (%)"), default="0")


class PartyForm(FlaskForm):
    organisation = SelectField(
        _l("Partij"), coerce=int, validators=[InputRequired(_l("Kies een partij."))]
    )
    clients = IntegerField(
        _l("Afgesproken aantal cliënten"),
        validators=[
            InputRequired(_l("Vul het aantal cliënten in.")),
            NumberRange(1, 1_000_000, _l("Spreek minstens één cliënt af.")),
        ],
    )


class VolumeForm(FlaskForm):
    """Clients plus, per product, ``volume-<id>`` and ``historical-<id>``."""

    clients = IntegerField(
        _l("Afgesproken aantal cliënten"),
        validators=[
            InputRequired(_l("Vul het aantal cliënten in.")),
            NumberRange(1, 1_000_000, _l("Spreek minstens één cliënt af.")),
        ],
    )

    @classmethod
    def for_products(cls, products, **kwargs) -> VolumeForm:
        fields: dict[str, Any] = {}
        for p in products:
            label = ops.product_label(ops.fr.code(p.product_group, p.level))
            fields[f"volume-{p.id}"] = QuantityField(
                _l("Volume %(product)s (%(unit)s)", product=label, unit=p.unit),
                validators=[Optional(), Length(max=20)],
            )
            fields[f"historical-{p.id}"] = QuantityField(
                _l("Vorig jaar %(product)s (%(unit)s)", product=label, unit=p.unit),
                validators=[Optional(), Length(max=20)],
            )
        return type("PartyVolumeForm", (cls,), fields)(**kwargs)


class CallOffForm(FlaskForm):
    party = SelectField(
        _l("Aanbieder"), coerce=int, validators=[InputRequired(_l("Kies een aanbieder."))]
    )
    client = StringField(
        _l("Cliëntnummer"),
        validators=[DataRequired(_l("Vul het cliëntnummer in.")), Length(max=24)],
        description=_l("Een pseudoniem, nooit een naam. Bijvoorbeeld GO-0042."),
    )
    product = SelectField(
        _l("Product"), coerce=int, validators=[InputRequired(_l("Kies een product."))]
    )
    quantity = QuantityField(
        _l("Aantal eenheden"),
        validators=[DataRequired(_l("Vul het aantal in.")), Length(max=20)],
    )
    start = DateText(_l("Van"), validators=[DataRequired(_l("Vul de eerste dag in."))])
    end = DateText(_l("Tot en met"), validators=[DataRequired(_l("Vul de laatste dag in."))])
    allow_over_ceiling = BooleanField(
        _l("Toch afroepen als het plafond bereikt is (de afroep wordt gemarkeerd)")
    )
    note = StringField(_l("Opmerking"), validators=[Optional(), Length(max=500)])


class ReportForm(FlaskForm):
    """The period, plus ``line-<call-off id>`` for every call-off running in it."""

    period = HiddenField()
    note = TextAreaField(
        _l("Toelichting voor de opdrachtgever"), validators=[Optional(), Length(max=5000)]
    )

    @classmethod
    def for_call_offs(cls, state: ops.State, call_offs, **kwargs) -> ReportForm:
        fields: dict[str, Any] = {}
        for c in call_offs:
            product = state.product_by_id[c.product_id]
            fields[ops.line_field(c.id)] = QuantityField(
                _l(
                    "Afroep %(id)s · %(client)s · %(product)s (%(unit)s)",
                    id=c.id,
                    client=c.client,
                    product=ops.product_label(state.code(c.product_id)),
                    unit=product.unit,
                ),
                validators=[Optional(), Length(max=20)],
            )
        return type("PeriodReportForm", (cls,), fields)(**kwargs)


class DecisionForm(FlaskForm):
    decision = StringField(
        validators=[AnyOf(["accept", "reject"], _l("Kies aanvaarden of afwijzen."))]
    )
    reason = StringField(_l("Toelichting"), validators=[Optional(), Length(max=1000)])
    back = HiddenField()


class SupplementForm(FlaskForm):
    individual = SelectField(_l("Van individuele ondersteuning"), coerce=int)
    group = SelectField(_l("Naar groepsbegeleiding"), coerce=int)
    units = QuantityField(
        _l("Aantal omgezette eenheden"),
        validators=[DataRequired(_l("Vul het aantal eenheden in.")), Length(max=20)],
    )
    equal_quality = BooleanField(_l("De groepsbegeleiding is even goed als de individuele"))
    note = StringField(_l("Toelichting"), validators=[Optional(), Length(max=1000)])


class PostCalculationForm(FlaskForm):
    """The advances paid plus ``met-<indicator id>`` per quality indicator."""

    advances = MoneyField(
        _l("Betaalde voorschotten"),
        validators=[
            DataRequired(_l("Vul de betaalde voorschotten in (0 als er geen waren).")),
            Length(max=30),
        ],
    )

    @classmethod
    def for_indicators(cls, indicators, **kwargs) -> PostCalculationForm:
        fields = {
            f"met-{i.id}": BooleanField(_l("%(name)s is gehaald", name=i.name)) for i in indicators
        }
        return type("IndicatorPostCalculationForm", (cls,), fields)(**kwargs)


class ExportForm(FlaskForm):
    kind = RadioField(
        _l("Wat wilt u downloaden?"),
        choices=[SelectChoice(k, v) for k, v in EXPORT_LABELS.items()],
        validators=[InputRequired(_l("Kies wat u wilt downloaden."))],
    )


class ButtonForm(FlaskForm):
    """Only the CSRF token: the agreement itself is what gets checked."""


# -- the buyer's pages -------------------------------------------------------------------------
class BuyerView(OrgView):
    kinds = ops.BUYER_KINDS
    action = "framework.view"


class AgreementList(BuyerView):
    def get(self):
        rows = ops.agreements(self.org)
        counts = dict(
            db.session.execute(
                select(FrameworkParty.agreement_id, func.count()).group_by(
                    FrameworkParty.agreement_id
                )
            ).all()
        )
        return render_template(
            "contracts/framework/list.html",
            org=self.org,
            agreements=rows,
            counts=counts,
            status_labels=STATUS_LABELS,
            may_manage=self.can("framework.manage"),
        )


class AgreementNew(BuyerView):
    action = "framework.manage"

    def get(self):
        return render_template("contracts/framework/new.html", org=self.org, form=AgreementForm())

    def post(self):
        form = AgreementForm()
        if form.validate_on_submit():
            try:
                agreement = ops.create(
                    actor=current_user,
                    buyer=self.org,
                    title=form.title.data or "",
                    year=form.year.data,
                    description=form.description.data or "",
                    increase_above=form.increase_above.value,
                    decrease_below=form.decrease_below.value,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "De raamovereenkomst is opgeslagen. Zet nu de catalogus en de partijen "
                        "erin."
                    ),
                    "success",
                )
                return redirect(self.url("framework.detail", agreement))
        return render_template("contracts/framework/new.html", org=self.org, form=form)

    def url(self, endpoint, agreement, **kwargs):
        return url_for(endpoint, org_slug=self.org.slug, agreement_id=agreement.id, **kwargs)


class AgreementView(BuyerView):
    """One agreement of the acting buyer (404 for another buyer's)."""

    def load(self, agreement_id: int, **kwargs) -> None:
        agreement = ops.get_agreement(agreement_id)
        if agreement is None:
            abort(404)
        self.agreement, self.state = agreement, ops.buyer_state(agreement)

    def url(self, endpoint: str, **kwargs) -> str:
        return url_for(endpoint, org_slug=self.org.slug, agreement_id=self.agreement.id, **kwargs)

    def back(self, endpoint: str = "framework.detail", **kwargs):
        return redirect(self.url(endpoint, **kwargs))

    def common(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "agreement": self.agreement,
            "state": self.state,
            "status_labels": STATUS_LABELS,
            "product_label": ops.product_label,
            "period_label": ops.period_label,
            "may_manage": self.can("framework.manage"),
        }


class AgreementDetail(AgreementView):
    def get(self, agreement_id: int):
        return self.render()

    def render(self, **submitted: FlaskForm):
        state, draft = self.state, self.state.is_draft
        may_manage = self.can("framework.manage")
        joined = {p.organisation_id for p in state.parties}
        candidates = db.session.scalars(
            select(Organisation)
            .where(Organisation.kind.in_(ops.PARTY_KINDS), Organisation.is_active.is_(True))
            .order_by(Organisation.name)
        ).all()
        forms: dict[str, FlaskForm] = {
            "product_form": ProductForm(prefix="product", formdata=None),
            "party_form": PartyForm(prefix="party", formdata=None),
            "threshold_form": ThresholdForm(
                prefix="threshold",
                formdata=None,
                data={
                    "increase_above": _percent(self.agreement.increase_above),
                    "decrease_below": _percent(self.agreement.decrease_below),
                },
            ),
            "indicator_form": IndicatorForm(prefix="indicator", formdata=None),
            "activate_form": ButtonForm(prefix="activate", formdata=None),
            "export_form": ExportForm(prefix="export", formdata=None),
        }
        forms.update(submitted)
        forms["product_form"].product.choices = product_choices()
        forms["party_form"].organisation.choices = [
            SelectChoice(o.id, o.name) for o in candidates if o.id not in joined
        ]
        shown = {
            "product_form": may_manage,
            "party_form": may_manage,
            "threshold_form": may_manage,
            "indicator_form": may_manage,
            "activate_form": may_manage and draft,
            "export_form": not draft,
        }
        problems = [e for name, form in submitted.items() if not shown[name] for e in _errors(form)]
        figures = state.figures(state.through) if state.parties and not draft else {}
        return render_template(
            "contracts/framework/detail.html",
            **self.common(),
            figures=figures,
            shown=shown,
            problems=problems,
            exports=ops.exports(self.agreement),
            export_labels=EXPORT_LABELS,
            **forms,
        )


def _percent(value: Decimal) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.##", locale=current_language())


class SetProduct(AgreementDetail):
    action = "framework.manage"

    def post(self, agreement_id: int):
        form = ProductForm(prefix="product")
        form.product.choices = product_choices()
        if form.validate_on_submit():
            code = form.product.data
            unit = (form.unit.data or "").strip() or ops.DEFAULT_UNITS.get(
                code.split("/")[0], ops.TRANSPORT_UNIT
            )
            try:
                ops.set_product(
                    actor=current_user,
                    agreement=self.agreement,
                    code=code,
                    unit=unit,
                    tariff=form.tariff.amount,
                    description=form.description.data or "",
                    reason=form.reason.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("%(product)s staat in de catalogus.", product=ops.product_label(code)),
                    "success",
                )
                return self.back()
        return self.render(product_form=form)


class AddParty(AgreementDetail):
    action = "framework.manage"

    def post(self, agreement_id: int):
        form = PartyForm(prefix="party")
        form.organisation.choices = None  # validated below against the directory
        form.organisation.validate_choice = False
        if form.validate_on_submit():
            organisation = db.session.get(Organisation, form.organisation.data)
            try:
                if organisation is None or not organisation.is_active:
                    raise ContractRuleError(_("Kies een partij."), "organisation")
                party = ops.add_party(
                    actor=current_user,
                    agreement=self.agreement,
                    organisation=organisation,
                    clients=form.clients.data,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("%(name)s doet mee. Maak nu de volumeafspraak.", name=organisation.name),
                    "success",
                )
                return self.back("framework.provider", party_id=party.id)
        return self.render(party_form=form)


class ChangeThresholds(AgreementDetail):
    action = "framework.manage"

    def post(self, agreement_id: int):
        form = ThresholdForm(prefix="threshold")
        if form.validate_on_submit():
            try:
                ops.change_thresholds(
                    actor=current_user,
                    agreement=self.agreement,
                    increase_above=form.increase_above.value,
                    decrease_below=form.decrease_below.value,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De drempels van de aanpassingsregel zijn opgeslagen."), "success")
                return self.back()
        return self.render(threshold_form=form)


class AddIndicator(AgreementDetail):
    action = "framework.manage"

    def post(self, agreement_id: int):
        form = IndicatorForm(prefix="indicator")
        if form.validate_on_submit():
            try:
                ops.add_indicator(
                    actor=current_user,
                    agreement=self.agreement,
                    name=form.name.data or "",
                    bonus=form.bonus.value or Decimal(0),
                    malus=form.malus.value or Decimal(0),
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De kwaliteitsindicator is toegevoegd."), "success")
                return self.back()
        return self.render(indicator_form=form)


class Activate(AgreementDetail):
    action = "framework.manage"

    def post(self, agreement_id: int):
        form = ButtonForm(prefix="activate")
        if form.validate_on_submit():
            try:
                ops.activate(actor=current_user, agreement=self.agreement)
            except ContractRuleError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(_("De raamovereenkomst loopt. Afroepen kan nu."), "success")
                return self.back()
        return self.render(activate_form=form)


class RequestExport(AgreementDetail):
    def post(self, agreement_id: int):
        form = ExportForm(prefix="export")
        if form.validate_on_submit():
            try:
                run = ops.request_export(
                    actor=current_user, agreement=self.agreement, kind=form.kind.data
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                return redirect(url_for("org.job", org_slug=self.org.slug, job_id=run.id))
        return self.render(export_form=form)


class DownloadExport(AgreementView):
    def load(self, agreement_id: int, job_id: str) -> None:
        super().load(agreement_id)
        run = db.session.scalar(select(JobRun).where(JobRun.id == job_id))  # the buyer's own
        if (
            run is None
            or run.name != ops.EXPORT_JOB
            or run.status != "done"
            or run.kwargs.get("agreement_id") != self.agreement.id
        ):
            abort(404)
        path = ops.export_path(self.org.id, run.id)
        if not path.is_file():
            abort(404)
        self.run, self.path = run, path

    def get(self, agreement_id: int, job_id: str):
        kind = self.run.kwargs.get("kind", "cijfers")
        return send_file(
            self.path,
            mimetype=ops.XLSX,
            as_attachment=True,
            download_name=f"raamovereenkomst-{self.agreement.id}-{kind}.xlsx",
            max_age=0,
        )


class CallOffs(AgreementView):
    post_action = "framework.manage"

    def form(self, submitted: bool = True) -> CallOffForm:
        form = CallOffForm(prefix="call_off", **({} if submitted else {"formdata": None}))
        state = self.state
        form.party.choices = [
            SelectChoice(p.id, state.name(p)) for p in sorted(state.parties, key=state.name)
        ]
        form.product.choices = [
            SelectChoice(p.id, f"{ops.product_label(state.code(p.id))} ({p.unit})")
            for p in state.products
        ]
        return form

    def get(self, agreement_id: int):
        return self.render(self.form(submitted=False))

    def post(self, agreement_id: int):
        form = self.form()
        if form.validate_on_submit():
            start, end = read_date(form.start), read_date(form.end)
            party = self.state.party_by_id.get(form.party.data)
            product = self.state.product_by_id.get(form.product.data)
            if start and end and party and product:
                try:
                    row = ops.place_call_off(
                        actor=current_user,
                        state=self.state,
                        party=party,
                        product=product,
                        client=form.client.data or "",
                        quantity=form.quantity.value,
                        start=start,
                        end=end,
                        allow_over_ceiling=form.allow_over_ceiling.data,
                        note=form.note.data or "",
                    )
                except ContractRuleError as exc:
                    attach(form, exc)
                else:
                    message = _("Afroep %(id)s is geplaatst.", id=row.id)
                    if row.over_ceiling:
                        message += " " + _("Let op: deze afroep gaat boven het plafond.")
                    flash(message, "success")
                    return self.back("framework.call_offs")
        return self.render(form)

    def render(self, form: CallOffForm):
        state = self.state
        ceilings = {p.id: state.ceiling(p.id).ceiling for p in state.parties}
        committed = {
            p.id: fr.committed(state.key(p.id), state.catalogue, state.pure_call_offs)
            for p in state.parties
        }
        return render_template(
            "contracts/framework/call_offs.html",
            **self.common(),
            form=form,
            shown=self.can("framework.manage") and not state.is_draft,
            ceilings=ceilings,
            committed=committed,
        )


class Periods(AgreementView):
    """Every party side by side for one period, the chart of budget use against the
    ceiling, closing the period and the open proposals."""

    def get(self, agreement_id: int):
        return self.render()

    def chosen(self) -> int:
        default = max(self.state.agreement.closed_through, 1)
        try:
            index = int(request.args.get("period", default))
        except ValueError:
            index = default
        return index if 1 <= index <= len(self.state.schedule) else default

    def render(self, **submitted: FlaskForm):
        state = self.state
        index = self.chosen()
        rows = []
        if state.parties and not state.is_draft:
            figures = state.figures(index)
            rows = [(p, figures[p.id]) for p in sorted(state.parties, key=state.name)]
        close_form = submitted.get("close_form") or ButtonForm(prefix="close", formdata=None)
        open_proposals = [p for p in state.proposals if p.status == ProposalStatus.OPEN]
        chart = ops.budget_chart(state.series()) if rows else None
        next_period = state.agreement.closed_through + 1
        return render_template(
            "contracts/framework/periods.html",
            **self.common(),
            index=index,
            period=state.schedule[index - 1],
            rows=rows,
            totals=_totals([f for _p, f in rows]),
            chart=chart,
            close_form=close_form,
            next_period=state.schedule[next_period - 1]
            if next_period <= len(state.schedule)
            else None,
            open_proposals=open_proposals,
            proposal_text=lambda p: ops.proposal_text(state, p),
        )


def _totals(figures: list[fr.PeriodFigures]) -> dict[str, Any]:
    zero = Decimal("0.00")
    return {
        "ceiling": sum((f.ceiling for f in figures), zero),
        "committed": sum((f.committed for f in figures), zero),
        "used": sum((f.used for f in figures), zero),
        "used_in_period": sum((f.used_in_period for f in figures), zero),
        "remaining": sum((f.remaining for f in figures), zero),
        "clients": sum(f.clients for f in figures),
        "contracted_clients": sum(f.contracted_clients for f in figures),
    }


class ClosePeriod(Periods):
    action = "framework.manage"

    def post(self, agreement_id: int):
        form = ButtonForm(prefix="close")
        if form.validate_on_submit():
            index = self.agreement.closed_through + 1
            try:
                made = ops.close_period(actor=current_user, agreement=self.agreement)
            except ContractRuleError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(
                    _(
                        "Periode %(p)s is afgesloten; %(n)s voorstel(len) tot aanpassing.",
                        p=index,
                        n=len(made),
                    ),
                    "success",
                )
                return self.back("framework.periods", period=index)
        return self.render(close_form=form)


class Decide(AgreementView):
    action = "framework.manage"

    def load(self, agreement_id: int, proposal_id: int) -> None:
        super().load(agreement_id)
        self.proposal = next((p for p in self.state.proposals if p.id == proposal_id), None)
        if self.proposal is None:
            abort(404)

    def post(self, agreement_id: int, proposal_id: int):
        form = DecisionForm(prefix="decide")
        party_id = self.proposal.party_id
        back = (
            self.url("framework.provider", party_id=party_id)
            if form.back.data == "provider"
            else self.url("framework.periods", period=self.proposal.period)
        )
        if form.validate_on_submit():
            try:
                ops.decide(
                    actor=current_user,
                    state=self.state,
                    proposal=self.proposal,
                    accept=form.decision.data == "accept",
                    reason=form.reason.data or "",
                )
            except ContractRuleError as exc:
                flash(str(exc), "error")
            else:
                if form.decision.data == "accept":
                    flash(_("Het voorstel is aanvaard: het plafond is aangepast."), "success")
                else:
                    flash(_("Het voorstel is afgewezen."), "success")
        else:
            for message in _errors(form):
                flash(message, "error")
        return redirect(back)


class Cak(AgreementView):
    """Per client and period: the hours or costs the CAK needs, from what was reported."""

    def get(self, agreement_id: int):
        state = self.state
        lines = state.cak_lines()
        names = {state.key(p.id): state.name(p) for p in state.parties}
        return render_template(
            "contracts/framework/cak.html",
            **self.common(),
            totals=cak.per_client_period(lines),
            lines=lines,
            names=names,
        )


class ProviderView(AgreementView):
    """One party of the agreement, as the buyer sees it."""

    def load(self, agreement_id: int, party_id: int) -> None:
        super().load(agreement_id)
        self.party = self.state.party_by_id.get(party_id)
        if self.party is None:
            abort(404)

    def get(self, agreement_id: int, party_id: int):
        return self.render()

    def render(self, **submitted: FlaskForm):
        state, party = self.state, self.party
        volumes = {v.product_id: v for v in state.volumes_of(party.id)}
        data = {"clients": party.clients}
        for product_id, v in volumes.items():
            data[f"volume-{product_id}"] = _quantity(v.volume)
            data[f"historical-{product_id}"] = _quantity(v.historical)
        forms: dict[str, FlaskForm] = {
            "volume_form": VolumeForm.for_products(
                state.products, prefix="volume", formdata=None, data=data
            ),
            "supplement_form": SupplementForm(prefix="supplement", formdata=None),
            "post_form": PostCalculationForm.for_indicators(
                state.indicators, prefix="post", formdata=None
            ),
        }
        forms.update(submitted)
        _supplement_choices(state, forms["supplement_form"])
        has_call_offs = any(c.party_id == party.id for c in state.call_offs)
        may_manage = self.can("framework.manage")
        shown = {
            "volume_form": may_manage and not has_call_offs,
            "supplement_form": may_manage and not state.is_draft,
            "post_form": may_manage and not state.is_draft,
        }
        problems = [e for name, form in submitted.items() if not shown[name] for e in _errors(form)]
        return render_template(
            "contracts/framework/provider.html",
            **party_context(state, party),
            **self.common(),
            shown=shown,
            problems=problems,
            **forms,
        )


def _quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.##", locale=current_language())


def _supplement_choices(state: ops.State, form: SupplementForm) -> None:
    def label(p):
        return f"{ops.product_label(state.code(p.id))} ({p.unit})"

    form.individual.choices = [
        SelectChoice(p.id, label(p))
        for p in state.products
        if p.product_group not in (fr.GROUP, fr.TRANSPORT)
    ]
    form.group.choices = [
        SelectChoice(p.id, label(p)) for p in state.products if p.product_group == fr.GROUP
    ]


def party_context(state: ops.State, party: FrameworkParty) -> dict[str, Any]:
    """What the buyer's provider page and the provider's own page both show of one party."""
    volume_agreement = state.volume_agreement(party.id)
    ceiling = fr.ceiling(volume_agreement, state.catalogue)
    series = state.series([party.id])
    figures = [(p, state.figures(p.index)[party.id]) for p, _u, _c in series]
    call_offs = [c for c in state.call_offs if c.party_id == party.id]
    proposals = [p for p in state.proposals if p.party_id == party.id]
    return {
        "party": party,
        "party_name": state.name(party),
        "volume_agreement": volume_agreement,
        "ceiling": ceiling,
        "volumes": state.volumes_of(party.id),
        "chart": ops.budget_chart(series) if series else None,
        "party_figures": figures,
        "call_offs": call_offs,
        "proposals": proposals,
        "proposal_text": lambda p: ops.proposal_text(state, p),
        "proposal_labels": PROPOSAL_LABELS,
        "supplements": [s for s in state.supplements if s.party_id == party.id],
        "post_calculation": next(
            (p for p in state.post_calculations if p.party_id == party.id), None
        ),
        "committed": fr.committed(state.key(party.id), state.catalogue, state.pure_call_offs),
    }


class SetVolumes(ProviderView):
    action = "framework.manage"

    def post(self, agreement_id: int, party_id: int):
        form = VolumeForm.for_products(self.state.products, prefix="volume")
        if form.validate_on_submit():
            volumes = {
                p.id: (form[f"volume-{p.id}"].value, form[f"historical-{p.id}"].value)
                for p in self.state.products
            }
            try:
                ops.set_volumes(
                    actor=current_user,
                    agreement=self.agreement,
                    party=self.party,
                    clients=form.clients.data,
                    volumes=volumes,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("De volumeafspraak is opgeslagen."), "success")
                return self.back("framework.provider", party_id=self.party.id)
        return self.render(volume_form=form)


class AddSupplement(ProviderView):
    action = "framework.manage"

    def post(self, agreement_id: int, party_id: int):
        form = SupplementForm(prefix="supplement")
        _supplement_choices(self.state, form)
        if form.validate_on_submit():
            try:
                row = ops.record_supplement(
                    actor=current_user,
                    state=self.state,
                    party=self.party,
                    individual=self.state.product_by_id[form.individual.data],
                    group=self.state.product_by_id[form.group.data],
                    units=form.units.value,
                    equal_quality=form.equal_quality.data,
                    note=form.note.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("De innovatietoeslag is vastgelegd: %(amount)s.", amount=_money(row.amount)),
                    "success",
                )
                return self.back("framework.provider", party_id=self.party.id)
        return self.render(supplement_form=form)


def _money(amount: Decimal) -> str:
    from koepel.platform.money import format_money

    return format_money(amount, current_language())


class PostCalculate(ProviderView):
    action = "framework.manage"

    def post(self, agreement_id: int, party_id: int):
        form = PostCalculationForm.for_indicators(self.state.indicators, prefix="post")
        if form.validate_on_submit():
            try:
                row = ops.post_calculate(
                    actor=current_user,
                    state=self.state,
                    party=self.party,
                    results={i.id: form[f"met-{i.id}"].data for i in self.state.indicators},
                    advances=form.advances.amount,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "De nacalculatie is gemaakt: eindbedrag %(amount)s.",
                        amount=_money(row.final),
                    ),
                    "success",
                )
                return self.back("framework.provider", party_id=self.party.id)
        return self.render(post_form=form)


# -- the party's pages -------------------------------------------------------------------------
class PartyView(OrgView):
    kinds = ops.PARTY_KINDS
    action = "framework.report"


class Memberships(PartyView):
    def get(self):
        return render_template(
            "contracts/framework/mine.html", org=self.org, memberships=ops.memberships(self.org)
        )


class PartyAgreement(PartyView):
    """The provider's own share of an agreement it is party to, and its report form."""

    def load(self, agreement_id: int) -> None:
        self.state = ops.party_state(self.org, agreement_id)
        if self.state is None:
            abort(404)

    def get(self, agreement_id: int):
        return self.render(self.chosen())

    def chosen(self, value: Any = None) -> int:
        state = self.state
        default = min(state.agreement.closed_through + 1, len(state.schedule))
        try:
            index = int(value if value is not None else request.args.get("period", default))
        except (TypeError, ValueError):
            index = default
        return index if 1 <= index <= len(state.schedule) else default

    def running(self, index: int):
        period = self.state.schedule[index - 1]
        return [c for c in self.state.call_offs if period.overlaps(c.start_on, c.end_on)]

    def render(self, index: int, form: ReportForm | None = None):
        state = self.state
        running = self.running(index)
        done = {r.call_off_id: r.quantity for r in state.lines if r.period == index}
        open_lines = [c for c in running if c.id not in done]
        if form is None:
            form = ReportForm.for_call_offs(
                state, open_lines, prefix="report", formdata=None, data={"period": index}
            )
        reports: dict[int, list[Any]] = {}
        for line in state.lines:
            reports.setdefault(line.period, []).append(line)
        return render_template(
            "contracts/framework/party.html",
            org=self.org,
            state=state,
            agreement=state.agreement,
            status_labels=STATUS_LABELS,
            product_label=ops.product_label,
            period_label=ops.period_label,
            index=index,
            period=state.schedule[index - 1],
            closed=index <= state.agreement.closed_through,
            running=running,
            done=done,
            open_lines=open_lines,
            form=form,
            reports=sorted(reports.items()),
            **party_context(state, state.own_party),
        )


class SubmitReport(PartyAgreement):
    def post(self, agreement_id: int):
        index = self.chosen(request.form.get("report-period"))
        state = self.state
        done = {r.call_off_id for r in state.lines if r.period == index}
        open_lines = [c for c in self.running(index) if c.id not in done]
        form = ReportForm.for_call_offs(state, open_lines, prefix="report")
        if form.validate_on_submit():
            quantities = {
                c.id: form[ops.line_field(c.id)].value
                for c in open_lines
                if form[ops.line_field(c.id)].value is not None
            }
            try:
                ops.submit_report(
                    actor=current_user,
                    provider=self.org,
                    state=state,
                    period=index,
                    quantities=quantities,
                    note=form.note.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Uw melding over periode %(p)s is verstuurd.", p=index), "success")
                return redirect(
                    url_for(
                        "framework.party",
                        org_slug=self.org.slug,
                        agreement_id=agreement_id,
                        period=index,
                    )
                )
        return self.render(index, form)


# -- URLs ------------------------------------------------------------------------------------------
_buyer = "/<org_slug>/framework-agreements"
_one = f"{_buyer}/<int:agreement_id>"
_party = f"{_one}/providers/<int:party_id>"
bp.add_url_rule(_buyer, view_func=AgreementList.as_view("list"))
bp.add_url_rule(f"{_buyer}/new", view_func=AgreementNew.as_view("new"), methods=["GET", "POST"])
bp.add_url_rule(_one, view_func=AgreementDetail.as_view("detail"))
bp.add_url_rule(
    f"{_one}/call-offs", view_func=CallOffs.as_view("call_offs"), methods=["GET", "POST"]
)
bp.add_url_rule(f"{_one}/periods", view_func=Periods.as_view("periods"))
bp.add_url_rule(f"{_one}/cak", view_func=Cak.as_view("cak"))
bp.add_url_rule(f"{_one}/exports/<job_id>.xlsx", view_func=DownloadExport.as_view("download"))
bp.add_url_rule(_party, view_func=ProviderView.as_view("provider"))
for _path, _view, _name in (
    ("products", SetProduct, "set_product"),
    ("parties", AddParty, "add_party"),
    ("thresholds", ChangeThresholds, "thresholds"),
    ("indicators", AddIndicator, "add_indicator"),
    ("activate", Activate, "activate"),
    ("exports", RequestExport, "export"),
    ("periods/close", ClosePeriod, "close_period"),
    ("proposals/<int:proposal_id>", Decide, "decide"),
):
    bp.add_url_rule(f"{_one}/{_path}", view_func=_view.as_view(_name), methods=["POST"])
for _path, _view, _name in (
    ("volumes", SetVolumes, "set_volumes"),
    ("supplements", AddSupplement, "add_supplement"),
    ("post-calculation", PostCalculate, "post_calculate"),
):
    bp.add_url_rule(f"{_party}/{_path}", view_func=_view.as_view(_name), methods=["POST"])

_mine = "/<org_slug>/framework-contracts"
bp.add_url_rule(_mine, view_func=Memberships.as_view("mine"))
bp.add_url_rule(f"{_mine}/<int:agreement_id>", view_func=PartyAgreement.as_view("party"))
bp.add_url_rule(
    f"{_mine}/<int:agreement_id>/reports",
    view_func=SubmitReport.as_view("report"),
    methods=["POST"],
)
