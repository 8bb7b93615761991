"""Forms for contracts and partnership agreements. Labels and messages in plain Dutch (B1).

Amounts are typed the Dutch way ("8.500.000,00"), numbers as "7,5", dates picked or typed
as YYYY-MM-DD; the fields turn them into ``Decimal`` and ``date`` and put any problem next
to the field it is about, keeping what was typed.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateInput

from koepel.bids.views.tender_forms import MoneyField, PercentField, optional_id
from koepel.contracts.models.core import (
    ContractKind,
    KpiDirection,
    KpiPeriod,
    PartyRole,
    PaymentFrequency,
)

KIND_LABELS = {
    ContractKind.AWARD: _l("Na een aanbesteding"),
    ContractKind.SUBSIDY: _l("Subsidie"),
    ContractKind.PILOT: _l("Pilot na een Right to Challenge"),
    ContractKind.INSURER: _l("Contract met een zorgverzekeraar"),
    ContractKind.TRANSITIONAL: _l("Overgangscontract"),
    ContractKind.OTHER: _l("Ander contract"),
}
ROLE_LABELS = {
    PartyRole.BUYER: _l("opdrachtgever"),
    PartyRole.FUNDER: _l("financier"),
    PartyRole.LEAD: _l("penvoerder"),
    PartyRole.MAIN: _l("hoofdaannemer"),
    PartyRole.SUB: _l("onderaannemer"),
    PartyRole.MEMBER: _l("deelnemend lid"),
}
FREQUENCY_LABELS = {
    PaymentFrequency.MONTHS: _l("per maand"),
    PaymentFrequency.FOUR_WEEKS: _l("per vier weken (13 perioden)"),
}
DIRECTION_LABELS = {
    KpiDirection.HIGHER: _l("hoger is beter"),
    KpiDirection.LOWER: _l("lager is beter"),
}
PERIOD_LABELS = {
    KpiPeriod.MONTH: _l("per maand"),
    KpiPeriod.QUARTER: _l("per kwartaal"),
    KpiPeriod.YEAR: _l("per jaar"),
}


def choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key.value, label) for key, label in labels.items()]


# "7", "7,5", "-3,25", "1.234,5" (nl) or "1234.5": at most two decimals.
_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]{1,2})?|-?[0-9]+\.[0-9]{1,2}")


def parse_number(text: str) -> Decimal:
    """A number as people type it: "7,5", "1.234,5", "-2" (or "7.5"). ValueError else."""
    text = (text or "").strip().replace(" ", "")
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    if "," in text or re.fullmatch(r"-?[0-9]{1,3}(?:\.[0-9]{3})+", text):
        text = text.replace(".", "").replace(",", ".")
    return Decimal(text)


class NumberField(StringField):
    """A number such as 7,5 or 450; ``value`` holds the parsed Decimal."""

    value: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.value = None
        if not (self.data or "").strip():
            return
        try:
            self.value = parse_number(self.data)
        except ValueError:
            raise ValidationError(
                _("Schrijf een getal, zoals 7,5 of 450 (hoogstens twee cijfers achter de komma).")
            ) from None


class DayField(StringField):
    """A date picked or typed as YYYY-MM-DD; ``day`` holds the parsed date."""

    widget = DateInput()
    day: date | None = None

    def pre_validate(self, form) -> None:
        self.day = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            self.day = date.fromisoformat(text)
        except ValueError:
            raise ValidationError(_("Vul een geldige datum in, bijvoorbeeld 2026-01-01.")) from None


# -- contracts --------------------------------------------------------------------------------
class ContractForm(FlaskForm):
    title = StringField(
        _l("Titel"), validators=[DataRequired(_l("Geef het contract een titel.")), Length(max=300)]
    )
    kind = SelectField(_l("Soort contract"), choices=[])
    challenge = SelectField(
        _l("Right to Challenge"), coerce=optional_id, validate_choice=False, choices=[]
    )
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=20000)])
    value = MoneyField(_l("Waarde van de eerste looptijd"), validators=[Optional(), Length(max=30)])
    yearly_amount = MoneyField(_l("Bedrag per jaar"), validators=[Optional(), Length(max=30)])
    payment_frequency = SelectField(_l("Voorschotten"), choices=choices(FREQUENCY_LABELS))
    start_date = DayField(_l("Begindatum"), validators=[DataRequired(_l("Vul de begindatum in."))])
    initial_months = IntegerField(
        _l("Looptijd (maanden)"),
        default=24,
        validators=[
            DataRequired(_l("Vul de looptijd in maanden in.")),
            NumberRange(1, 240, _l("De looptijd is 1 tot 240 maanden.")),
        ],
    )
    option_reminder_days = IntegerField(
        _l("Herinnering over opties (dagen vooraf)"),
        default=90,
        validators=[
            Optional(),
            NumberRange(0, 730, _l("Kies 0 tot 730 dagen.")),
        ],
    )
    kpi_window_days = IntegerField(
        _l("Termijn om indicatoren te melden (dagen na de periode)"),
        default=60,
        validators=[Optional(), NumberRange(0, 365, _l("Kies 0 tot 365 dagen."))],
    )
    shares_figures = BooleanField(_l("Alle partijen zien elkaars betalingen"))


class FromAwardForm(FlaskForm):
    """Definitive awards (award:bid) that become one draft contract."""

    awards = SelectMultipleField(_l("Gunningen"), choices=[], validate_choice=False)
    start_date = DayField(_l("Begindatum"), validators=[Optional()])
    initial_months = IntegerField(
        _l("Looptijd (maanden)"),
        default=24,
        validators=[
            DataRequired(_l("Vul de looptijd in maanden in.")),
            NumberRange(1, 240, _l("De looptijd is 1 tot 240 maanden.")),
        ],
    )

    def chosen(self) -> tuple[list[int], list[int]]:
        award_ids, bid_ids = [], []
        for value in self.awards.data or []:
            award, _sep, bid = str(value).partition(":")
            if award.isdigit() and bid.isdigit():
                award_ids.append(int(award))
                bid_ids.append(int(bid))
        return award_ids, bid_ids


class PartyForm(FlaskForm):
    organisation = SelectField(_l("Organisatie"), choices=[], validate_choice=False)
    role = SelectField(_l("Rol in het contract"), choices=[])


class RemovePartyForm(FlaskForm):
    """Only the CSRF token: the party is in the URL."""


class SignForm(FlaskForm):
    counterparty = SelectField(
        _l("Tekenen met"), coerce=optional_id, validate_choice=False, choices=[]
    )


class OptionForm(FlaskForm):
    months = IntegerField(
        _l("Verlenging (maanden)"),
        default=12,
        validators=[
            DataRequired(_l("Vul het aantal maanden in.")),
            NumberRange(1, 120, _l("Een optie verlengt met 1 tot 120 maanden.")),
        ],
    )
    decision_date = DayField(
        _l("Beslisdatum"), validators=[DataRequired(_l("Vul de beslisdatum in."))]
    )


class DecideOptionForm(FlaskForm):
    decision = RadioField(
        _l("Beslissing"),
        choices=[
            SelectChoice("exercise", _l("Optie lichten: het contract wordt verlengd")),
            SelectChoice("decline", _l("Optie niet lichten")),
        ],
        validators=[DataRequired(_l("Kies of u de optie licht."))],
    )
    note = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=5000)])


class StatusForm(FlaskForm):
    step = HiddenField()
    reason = TextAreaField(_l("Reden"), validators=[Optional(), Length(max=5000)])


class ContractDocumentForm(FlaskForm):
    title = StringField(
        _l("Titel van het document"),
        validators=[DataRequired(_l("Geef het document een titel.")), Length(max=300)],
    )
    file = FileField(_l("Bestand"), validators=[FileRequired(_l("Kies een bestand."))])


# -- KPIs and payments ------------------------------------------------------------------------
class KpiForm(FlaskForm):
    name = StringField(
        _l("Naam van de indicator"),
        validators=[DataRequired(_l("Geef de indicator een naam.")), Length(max=200)],
    )
    unit = StringField(
        _l("Eenheid"),
        validators=[DataRequired(_l("Vul de eenheid in, bijvoorbeeld procent.")), Length(max=40)],
    )
    target = NumberField(
        _l("Streefwaarde"), validators=[DataRequired(_l("Vul de streefwaarde in.")), Length(max=30)]
    )
    direction = SelectField(_l("Richting"), choices=choices(DIRECTION_LABELS))
    period = SelectField(_l("Rapportageperiode"), choices=choices(PERIOD_LABELS))
    description = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=5000)])


class KpiValueForm(FlaskForm):
    kpi = HiddenField()
    period = SelectField(_l("Periode"), choices=[], validate_choice=False)
    value = NumberField(
        _l("Waarde"), validators=[DataRequired(_l("Vul de waarde in.")), Length(max=30)]
    )
    note = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=5000)])


class AdvancesForm(FlaskForm):
    party = SelectField(_l("Aan"), coerce=optional_id, validate_choice=False, choices=[])
    year = IntegerField(
        _l("Jaar"),
        validators=[
            DataRequired(_l("Vul het jaar in.")),
            NumberRange(2000, 2100, _l("Kies een jaar.")),
        ],
    )
    yearly_amount = MoneyField(_l("Bedrag per jaar"), validators=[Optional(), Length(max=30)])


class SupplementForm(FlaskForm):
    party = SelectField(_l("Aan"), coerce=optional_id, validate_choice=False, choices=[])
    year = IntegerField(
        _l("Jaar"),
        validators=[
            DataRequired(_l("Vul het jaar in.")),
            NumberRange(2000, 2100, _l("Kies een jaar.")),
        ],
    )
    amount = MoneyField(
        _l("Bedrag"), validators=[DataRequired(_l("Vul het bedrag in.")), Length(max=30)]
    )
    reason = TextAreaField(
        _l("Waarvoor"),
        validators=[DataRequired(_l("Schrijf op waarvoor de toeslag is.")), Length(max=2000)],
    )
    settled = BooleanField(
        _l("Verrekenen bij de eindafrekening (zet dit uit voor een innovatietoeslag)"),
        default=True,
    )


class PaidForm(FlaskForm):
    paid_on = DayField(_l("Betaald op"), validators=[Optional()])


class SettlementForm(FlaskForm):
    party = SelectField(_l("Met"), coerce=optional_id, validate_choice=False, choices=[])
    year = IntegerField(
        _l("Jaar"),
        validators=[
            DataRequired(_l("Vul het jaar in.")),
            NumberRange(2000, 2100, _l("Kies een jaar.")),
        ],
    )
    delivered = MoneyField(
        _l("Waarde van wat geleverd is"),
        validators=[DataRequired(_l("Vul de waarde van wat geleverd is in.")), Length(max=30)],
    )


# -- partnership agreements -------------------------------------------------------------------
class AgreementForm(FlaskForm):
    title = StringField(
        _l("Titel"), validators=[DataRequired(_l("Geef de afspraak een titel.")), Length(max=300)]
    )
    partner = SelectField(_l("Partner"), choices=[], validate_choice=False)
    starts_on = DayField(
        _l("Geldt vanaf"), validators=[DataRequired(_l("Vul in vanaf wanneer de afspraak geldt."))]
    )
    mission = TextAreaField(_l("Missie"), validators=[Optional(), Length(max=20000)])
    way_of_working = TextAreaField(_l("Werkwijze"), validators=[Optional(), Length(max=20000)])
    own_contact = StringField(
        _l("Contactpersoon bij ons"), validators=[Optional(), Length(max=300)]
    )
    partner_contact = StringField(
        _l("Contactpersoon bij de partner"), validators=[Optional(), Length(max=300)]
    )
    money_description = TextAreaField(
        _l("Afspraken over geld"), validators=[Optional(), Length(max=20000)]
    )
    money_percentage = PercentField(
        _l("Deel van het geld (%)"), validators=[Optional(), Length(max=10)]
    )
    money_amount = MoneyField(_l("Bedrag per jaar"), validators=[Optional(), Length(max=30)])
    responsible = RadioField(
        _l("Wie is eindverantwoordelijk?"),
        choices=[SelectChoice("own", _l("Wij")), SelectChoice("partner", _l("De partner"))],
        default="own",
        validators=[DataRequired(_l("Kies wie eindverantwoordelijk is."))],
    )
    responsibility_note = TextAreaField(
        _l("Toelichting op de verantwoordelijkheid"), validators=[Optional(), Length(max=5000)]
    )
    professional_share = PercentField(
        _l("Beroepskracht (%)"),
        validators=[DataRequired(_l("Vul een percentage in; 0 mag ook.")), Length(max=10)],
    )
    volunteer_share = PercentField(
        _l("Vrijwilliger (%)"),
        validators=[DataRequired(_l("Vul een percentage in; 0 mag ook.")), Length(max=10)],
    )
    family_share = PercentField(
        _l("Mantelzorger (%)"),
        validators=[DataRequired(_l("Vul een percentage in; 0 mag ook.")), Length(max=10)],
    )
    deviations = TextAreaField(
        _l("Afgesproken afwijkingen van regels"), validators=[Optional(), Length(max=20000)]
    )


class AgreementCriterionForm(FlaskForm):
    title = StringField(
        _l("Kwaliteitscriterium"),
        validators=[DataRequired(_l("Geef het kwaliteitscriterium een naam.")), Length(max=300)],
    )
    description = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=5000)])


class AgreeForm(FlaskForm):
    """Only the CSRF token: the partner agrees to the agreement as it stands."""


class EndAgreementForm(FlaskForm):
    ended_on = DayField(_l("Laatste dag"), validators=[DataRequired(_l("Vul de laatste dag in."))])
    reason = TextAreaField(
        _l("Waarom eindigt de afspraak?"),
        validators=[DataRequired(_l("Schrijf op waarom de afspraak eindigt.")), Length(max=5000)],
    )
    successor = SelectField(
        _l("Nieuwe partner die het overneemt"), choices=[], validate_choice=False
    )
