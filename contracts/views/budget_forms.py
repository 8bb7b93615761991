"""Forms for the budget pages. Labels and messages in plain Dutch (B1).

Amounts are typed the Dutch way ("8.500.000,00"), percentages as "12,5"; the fields turn
them into ``Decimal`` and say next to the field what to fix. The shares of an allocation
version are one row per partner, read from the request by ``read_shares`` (their number
depends on the budget), and kept as typed when something is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from koepel.bids.views.tender_forms import MoneyField, PercentField, parse_percent
from koepel.contracts.models.budgets import (
    AllocationMethod,
    BudgetKind,
    BudgetPartnerRole,
    SurplusRule,
)
from koepel.platform.i18n import current_language
from koepel.platform.money import MoneyParseError, parse_money

KIND_CHOICES = [
    SelectChoice(BudgetKind.ALLOCATION.value, _l("Vooraf verdelen onder de partners")),
    SelectChoice(
        BudgetKind.DISTRICT.value, _l("Gedeelde wijkpot: achteraf verrekenen wat geleverd is")
    ),
]
ROLE_CHOICES = [
    SelectChoice(BudgetPartnerRole.MAIN.value, _l("Partner of hoofdaannemer")),
    SelectChoice(BudgetPartnerRole.SUB.value, _l("Onderaannemer")),
]
METHOD_CHOICES = [
    SelectChoice(
        AllocationMethod.PROPOSALS.value, _l("Eigen voorstellen: elke partner stelt zijn deel voor")
    ),
    SelectChoice(AllocationMethod.PERCENTAGES.value, _l("Vaste percentages")),
    SelectChoice(AllocationMethod.VOLUME_TARIFF.value, _l("Volume × tarief")),
    SelectChoice(AllocationMethod.EQUAL.value, _l("Gelijke delen")),
]
SURPLUS_CHOICES = [
    SelectChoice(SurplusRule.FUNDERS.value, _l("Terug naar de financiers, naar hun bijdrage")),
    SelectChoice(SurplusRule.CARRY_OVER.value, _l("Blijft in de pot voor de volgende periode")),
]
EXPORT_CHOICES = [
    SelectChoice("allocations", _l("Alle verdeelversies (Excel)")),
    SelectChoice("settlement", _l("De verrekening (Excel)")),
    SelectChoice("statement", _l("Eigen afrekening (PDF)")),
]


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class BudgetForm(FlaskForm):
    title = StringField(
        _l("Naam van de pot"),
        validators=[DataRequired(_l("Geef de pot een naam.")), Length(max=300)],
    )
    kind = RadioField(
        _l("Soort pot"),
        choices=KIND_CHOICES,
        default=BudgetKind.ALLOCATION.value,
        validators=[DataRequired(_l("Kies de soort pot."))],
    )
    period_start = DateField(
        _l("Periode van"), validators=[DataRequired(_l("Vul de eerste dag in."))]
    )
    period_end = DateField(
        _l("Periode tot en met"), validators=[DataRequired(_l("Vul de laatste dag in."))]
    )
    approver = SelectField(
        _l("Wie keurt de verdeling goed?"),
        coerce=_optional_int,
        validate_choice=False,  # checked by the rules against the directory
        validators=[DataRequired(_l("Kies de gemeente, regio of zorgverzekeraar."))],
    )
    description = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=5000)])
    contract_id = IntegerField(_l("Contractnummer"), validators=[Optional(), NumberRange(min=1)])
    share_deliveries = BooleanField(
        _l("De partners zien elkaars geleverde zorg (alleen bij een wijkpot)")
    )
    surplus_rule = SelectField(
        _l("Wat gebeurt er met geld dat overblijft? (wijkpot)"),
        choices=SURPLUS_CHOICES,
        default=SurplusRule.FUNDERS.value,
    )


class FundingForm(FlaskForm):
    funder = SelectField(
        _l("Financier"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Kies de financier."))],
    )
    scheme = StringField(
        _l("Regeling"),
        validators=[DataRequired(_l("Schrijf voor welke regeling het geld is.")), Length(max=200)],
    )
    amount = MoneyField(
        _l("Bedrag"), validators=[DataRequired(_l("Vul een bedrag in.")), Length(max=30)]
    )


class PartnerForm(FlaskForm):
    partner = SelectField(
        _l("Organisatie"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Kies een organisatie."))],
    )
    role = SelectField(_l("Rol"), choices=ROLE_CHOICES, default=BudgetPartnerRole.MAIN.value)
    advance = MoneyField(
        _l("Voorschot al ontvangen (wijkpot)"), validators=[Optional(), Length(max=30)]
    )


class AdvanceForm(FlaskForm):
    partner = SelectField(
        _l("Partner"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Kies een partner."))],
    )
    advance = MoneyField(
        _l("Voorschot al ontvangen"),
        validators=[DataRequired(_l("Vul een bedrag in.")), Length(max=30)],
    )


class VersionForm(FlaskForm):
    """The method, the reserve and a note; the partners' figures come from ``read_shares``."""

    method = SelectField(_l("Hoe wordt verdeeld?"), choices=METHOD_CHOICES)
    reserve_amount = MoneyField(
        _l("Reserve voor burgerinitiatieven: bedrag"), validators=[Optional(), Length(max=30)]
    )
    reserve_percent = PercentField(
        _l("of percentage van het totaal"), validators=[Optional(), Length(max=10)]
    )
    initiatives = TextAreaField(
        _l("Initiatieven die de reserve krijgen"), validators=[Optional(), Length(max=5000)]
    )
    note = TextAreaField(
        _l("Toelichting bij deze versie"), validators=[Optional(), Length(max=5000)]
    )

    def validate_reserve_percent(self, field) -> None:
        if self.reserve_amount.data and (field.data or "").strip():
            raise ValidationError(_("Geef de reserve als bedrag of als percentage, niet allebei."))


@dataclass
class TypedShares:
    """What was typed per partner (kept as text) and what it means (parsed)."""

    typed: dict[str, str] = field(default_factory=dict)  # input name -> text
    errors: dict[str, str] = field(default_factory=dict)  # input name -> message
    values: dict[int, dict[str, Decimal]] = field(default_factory=dict)


def share_name(partner_id: int, what: str) -> str:
    return f"share-{partner_id}-{what}"


_VOLUME = re.compile(r"[0-9]{1,9}(?:[,.][0-9]{1,2})?")


def read_shares(formdata, partner_ids: list[int], method: AllocationMethod) -> TypedShares:
    """The partners' figures for ``method`` from the request, each checked on its own
    (whether they fit together is for the rules)."""
    result = TypedShares()
    wanted = {
        AllocationMethod.PERCENTAGES: ("percentage",),
        AllocationMethod.VOLUME_TARIFF: ("volume", "tariff"),
        AllocationMethod.PROPOSALS: ("proposed",),
    }.get(method, ())
    for pid in partner_ids:
        parsed: dict[str, Decimal] = {}
        for what in wanted:
            name = share_name(pid, what)
            text = (formdata.get(name) or "").strip()[:40]
            result.typed[name] = text
            if not text:
                result.errors[name] = {
                    "percentage": _("Vul een percentage in (0 mag ook)."),
                    "volume": _("Vul het volume in."),
                    "tariff": _("Vul het tarief in."),
                    "proposed": _("Vul een bedrag in."),
                }[what]
                continue
            try:
                if what == "percentage":
                    parsed[what] = parse_percent(text)
                elif what == "volume":
                    if not _VOLUME.fullmatch(text):
                        raise ValueError(text)
                    parsed[what] = Decimal(text.replace(",", "."))
                else:
                    parsed[what] = parse_money(text, current_language())
                    if parsed[what] < 0:
                        raise MoneyParseError(_("Een bedrag kan niet negatief zijn."))
            except MoneyParseError as exc:
                result.errors[name] = str(exc)
            except ValueError:
                result.errors[name] = (
                    _("Schrijf een percentage als 12,5 (hoogstens twee cijfers achter de komma).")
                    if what == "percentage"
                    else _("Schrijf het volume als 1200 of 1200,5.")
                )
        if len(parsed) == len(wanted):
            result.values[pid] = parsed
    return result


class ProposalForm(FlaskForm):
    proposed = MoneyField(
        _l("Uw voorstel (bedrag)"),
        validators=[DataRequired(_l("Vul een bedrag in.")), Length(max=30)],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Uw opmerking"),
        validators=[DataRequired(_l("Schrijf eerst uw opmerking.")), Length(max=5000)],
    )


class ButtonForm(FlaskForm):
    """Only the CSRF token: the version itself is what gets checked."""


class DeliveryForm(FlaskForm):
    delivered_on = DateField(_l("Datum"), validators=[DataRequired(_l("Vul een datum in."))])
    product = SelectField(
        _l("Regeling"), validate_choice=False, validators=[DataRequired(_l("Kies een regeling."))]
    )
    quantity = StringField(
        _l("Hoeveelheid"), validators=[DataRequired(_l("Vul de hoeveelheid in.")), Length(max=20)]
    )
    unit = StringField(_l("Eenheid"), default="uur", validators=[Optional(), Length(max=30)])
    tariff = MoneyField(
        _l("Tarief per eenheid"),
        validators=[DataRequired(_l("Vul het tarief in.")), Length(max=30)],
    )


class ImportForm(FlaskForm):
    file = FileField(
        _l("Bestand (CSV of Excel)"), validators=[FileRequired(_l("Kies een bestand."))]
    )


class ExportForm(FlaskForm):
    kind = SelectField(_l("Welk bestand?"), choices=EXPORT_CHOICES)
    partner = IntegerField(_l("Partner"), validators=[Optional()])


class SchemeForm(FlaskForm):
    title = StringField(
        _l("Naam van de regeling"),
        validators=[DataRequired(_l("Geef de regeling een naam.")), Length(max=300)],
    )
    year = IntegerField(
        _l("Jaar"),
        validators=[DataRequired(_l("Vul het jaar in.")), NumberRange(2000, 2100)],
    )
    national_cut = PercentField(
        _l("Landelijke korting (procent)"),
        validators=[DataRequired(_l("Vul de landelijke korting in, 0 mag ook.")), Length(max=10)],
    )


LEVEL_CHOICES = [
    SelectChoice("low", _l("laag")),
    SelectChoice("medium", _l("midden")),
    SelectChoice("high", _l("hoog")),
]


class CostForm(FlaskForm):
    complexity = SelectField(_l("Complexiteit"), choices=LEVEL_CHOICES)
    intensity = SelectField(_l("Intensiteit"), choices=LEVEL_CHOICES)
    cost_per_client = MoneyField(
        _l("Kosten per cliënt per jaar"),
        validators=[DataRequired(_l("Vul de kosten in.")), Length(max=30)],
    )
    clients = IntegerField(
        _l("Aantal cliënten"),
        validators=[DataRequired(_l("Vul het aantal cliënten in.")), NumberRange(min=1)],
    )
    source = StringField(
        _l("Bron (bijvoorbeeld aanbieder en jaar)"), validators=[Optional(), Length(max=200)]
    )


class ClientForm(FlaskForm):
    client_ref = StringField(
        _l("Pseudoniem van de cliënt"),
        validators=[DataRequired(_l("Vul een pseudoniem in.")), Length(max=64)],
    )
    arrangement = SelectField(_l("Arrangement"), validate_choice=False)
    provider = SelectField(
        _l("Aanbieder"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Kies een aanbieder."))],
    )
    starts_on = DateField(_l("Van"), validators=[DataRequired(_l("Vul de eerste dag in."))])
    ends_on = DateField(_l("Tot en met"), validators=[DataRequired(_l("Vul de laatste dag in."))])
