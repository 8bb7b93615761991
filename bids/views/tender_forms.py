"""Forms for the buyer's tender pages. Labels and messages in plain Dutch (B1).

Amounts are typed the Dutch way ("1.250.000,00"), percentages as "12,5", and moments as
a date and a time in Dutch wall time (Europe/Amsterdam); the forms turn them into
``Decimal`` and aware UTC datetimes and put any problem next to the field it is about.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateInput, TimeInput

from koepel.bids.models import CriterionKind, LotKind, Procedure
from koepel.platform.i18n import current_language
from koepel.platform.money import MoneyParseError, parse_money
from koepel.platform.timeutil import parse_local, utcnow

PROCEDURE_CHOICES = [
    SelectChoice(Procedure.OPEN.value, _l("Openbare aanbesteding")),
    SelectChoice(Procedure.SOCIAL.value, _l("Maatschappelijk aanbesteden")),
    SelectChoice(Procedure.FRAMEWORK.value, _l("Raamovereenkomst")),
    SelectChoice(Procedure.CHALLENGE.value, _l("Vervolg op Right to Challenge")),
    SelectChoice(Procedure.SUBSIDY.value, _l("Subsidieoproep")),
]
LOT_KIND_CHOICES = [
    SelectChoice(LotKind.GEOGRAPHIC.value, _l("Gebied (wijken, kernen)")),
    SelectChoice(LotKind.THEMATIC.value, _l("Thema (doelgroep, soort zorg)")),
]
CRITERION_KIND_CHOICES = [
    SelectChoice(CriterionKind.QUALITY.value, _l("Kwaliteit")),
    SelectChoice(CriterionKind.PRICE.value, _l("Prijs")),
    SelectChoice(CriterionKind.SOCIAL_VALUE.value, _l("Maatschappelijke meerwaarde")),
    SelectChoice(CriterionKind.OTHER.value, _l("Anders")),
]

# "12", "12,5", "12.5", "12,50", optionally followed by "%".
_PERCENT = re.compile(r"(?P<int>[0-9]{1,3})(?:[,.](?P<frac>[0-9]{1,2}))?\s*%?")


def parse_percent(text: str) -> Decimal:
    """A percentage as people type it ("12,5" or "12.5"): at most two decimals.
    Raises ValueError for anything else; whether it is in range is for the rules."""
    match = _PERCENT.fullmatch((text or "").strip())
    if match is None:
        raise ValueError(text)
    return Decimal(f"{match['int']}.{match['frac'] or '0'}")


class MoneyField(StringField):
    """An amount in euros as the reader writes it; ``amount`` holds the parsed Decimal."""

    amount: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.amount = None
        if not (self.data or "").strip():
            return
        try:
            self.amount = parse_money(self.data, current_language())
        except MoneyParseError as exc:
            raise ValidationError(str(exc)) from None
        if self.amount < 0:
            self.amount = None
            raise ValidationError(_("Een bedrag kan niet negatief zijn."))


class PercentField(StringField):
    """A percentage such as 12,5; ``value`` holds the parsed Decimal."""

    value: Decimal | None = None

    def pre_validate(self, form) -> None:
        self.value = None
        if not (self.data or "").strip():
            return
        try:
            self.value = parse_percent(self.data)
        except ValueError:
            raise ValidationError(
                _("Schrijf een percentage als 12,5 (hoogstens twee cijfers achter de komma).")
            ) from None


class DateText(StringField):
    """A date typed or picked as YYYY-MM-DD; kept as text, read with the time next to it."""

    widget = DateInput()


class TimeText(StringField):
    """A time of day as HH:MM (Dutch time)."""

    widget = TimeInput()


def read_moment(date_field: DateText, time_field: TimeText) -> datetime | None:
    """The moment a date and a time field name, in Dutch wall time, as aware UTC.

    None when both are empty or when there is a problem; a problem is added to the errors
    of the field it is about (call after the form's own validation).
    """
    if date_field.errors or time_field.errors:
        return None
    day, clock = (date_field.data or "").strip(), (time_field.data or "").strip()
    if not day and not clock:
        return None
    if not clock:
        time_field.errors.append(_("Vul ook een tijd in, bijvoorbeeld 17:00."))
        return None
    if not day:
        date_field.errors.append(_("Vul ook een datum in."))
        return None
    try:
        return parse_local(day, clock)
    except ValueError as exc:
        date_field.errors.append(str(exc))
        return None


def _has_errors(form: FlaskForm) -> bool:
    return bool(form.form_errors) or any(field.errors for field in form)


class TenderForm(FlaskForm):
    title = StringField(
        _l("Titel"),
        validators=[DataRequired(_l("Geef de aanbesteding een titel.")), Length(max=300)],
    )
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=20000)])
    procedure = SelectField(
        _l("Procedure"), choices=PROCEDURE_CHOICES, default=Procedure.SOCIAL.value
    )
    estimated_value = MoneyField(_l("Geschatte waarde"), validators=[Optional(), Length(max=30)])
    questions_date = DateText(_l("Vragen stellen kan tot (datum)"), validators=[Optional()])
    questions_time = TimeText(_l("Vragen stellen kan tot (tijd)"), validators=[Optional()])
    submission_date = DateText(
        _l("Sluitingstermijn (datum)"), validators=[DataRequired(_l("Vul een datum in."))]
    )
    submission_time = TimeText(
        _l("Sluitingstermijn (tijd)"),
        validators=[DataRequired(_l("Vul een tijd in, bijvoorbeeld 17:00."))],
    )
    standstill_days = IntegerField(
        _l("Opschortende termijn (dagen)"),
        default=20,
        validators=[
            DataRequired(_l("Vul het aantal dagen in.")),
            NumberRange(20, 365, _l("Kies een termijn van 20 tot 365 dagen.")),
        ],
    )
    price_after_quality = BooleanField(
        _l("Eerst de kwaliteit beoordelen, daarna pas de prijzen openen (twee enveloppen)")
    )
    anonymous_evaluation = BooleanField(
        _l("Beoordelaars zien de inschrijvers zonder naam (Inschrijver A, B, …) tot de gunning")
    )
    show_bid_count = BooleanField(_l("Inschrijvers zien hoeveel inschrijvingen er zijn"))

    questions_deadline: datetime | None = None
    submission_deadline: datetime | None = None

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        now = utcnow()
        self.submission_deadline = read_moment(self.submission_date, self.submission_time)
        if self.submission_deadline is not None and self.submission_deadline <= now:
            self.submission_date.errors.append(
                _("Deze sluitingstermijn ligt in het verleden. Kies een moment in de toekomst.")
            )
        self.questions_deadline = read_moment(self.questions_date, self.questions_time)
        if self.questions_deadline is not None:
            if self.questions_deadline <= now:
                self.questions_date.errors.append(
                    _("Dit moment ligt in het verleden. Kies een moment in de toekomst.")
                )
            elif self.submission_deadline and self.questions_deadline >= self.submission_deadline:
                self.questions_date.errors.append(
                    _("Vragen stellen moet kunnen stoppen vóór de sluitingstermijn.")
                )
        return not _has_errors(self)


class LotForm(FlaskForm):
    title = StringField(
        _l("Naam van het perceel"),
        validators=[DataRequired(_l("Geef het perceel een naam.")), Length(max=300)],
    )
    kind = SelectField(_l("Soort perceel"), choices=LOT_KIND_CHOICES)
    area = StringField(_l("Gebied of doelgroep"), validators=[Optional(), Length(max=500)])
    budget = MoneyField(
        _l("Budget"), validators=[DataRequired(_l("Vul een budget in.")), Length(max=30)]
    )
    reserved_share = PercentField(
        _l("Voorbehouden voor burgerinitiatieven (%)"), validators=[Optional(), Length(max=10)]
    )
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), Length(max=5000)])


class CriterionForm(FlaskForm):
    title = StringField(
        _l("Naam van het criterium"),
        validators=[DataRequired(_l("Geef het criterium een naam.")), Length(max=300)],
    )
    kind = SelectField(_l("Soort criterium"), choices=CRITERION_KIND_CHOICES)
    weight = PercentField(
        _l("Weging (%)"),
        validators=[DataRequired(_l("Vul een weging in, bijvoorbeeld 40.")), Length(max=10)],
    )
    description = TextAreaField(_l("Waar let u op?"), validators=[Optional(), Length(max=5000)])


class RequirementForm(FlaskForm):
    title = StringField(
        _l("Eis"), validators=[DataRequired(_l("Geef de eis een naam.")), Length(max=300)]
    )
    description = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=5000)])
    equivalent = StringField(
        _l("Wat een klein initiatief in plaats daarvan mag laten zien"),
        validators=[Optional(), Length(max=500)],
    )


class PublishForm(FlaskForm):
    """Only the CSRF token: the tender itself is what gets checked."""


REASON_LABEL = _l("Reden van de wijziging")
REASON_REQUIRED = _l("Schrijf op waarom de aanbesteding verandert.")


class DeadlineForm(FlaskForm):
    """A later deadline, published as a correction (rectificatie) with its reason."""

    submission_date = DateText(
        _l("Nieuwe sluitingstermijn (datum)"), validators=[DataRequired(_l("Vul een datum in."))]
    )
    submission_time = TimeText(
        _l("Nieuwe sluitingstermijn (tijd)"),
        validators=[DataRequired(_l("Vul een tijd in, bijvoorbeeld 17:00."))],
    )
    reason = TextAreaField(
        REASON_LABEL, validators=[DataRequired(REASON_REQUIRED), Length(max=5000)]
    )

    submission_deadline: datetime | None = None

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self.submission_deadline = read_moment(self.submission_date, self.submission_time)
        if self.submission_deadline is not None and self.submission_deadline <= utcnow():
            self.submission_date.errors.append(
                _("De nieuwe sluitingstermijn moet in de toekomst liggen.")
            )
        return not _has_errors(self)


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Waarom stopt de aanbesteding?"),
        validators=[
            DataRequired(_l("Schrijf waarom de aanbesteding stopt.")),
            Length(max=2000),
        ],
    )


# -- documents, corrections, questions (koepel.bids.views.questions_views) -----------------
NO_DOCUMENT = SelectChoice("", _l("Geen: een nieuw document"))


def optional_id(value) -> int | None:
    """A select's value as an id; "" (nothing chosen) is None."""
    if value in (None, ""):
        return None
    return int(value)


class DocumentForm(FlaskForm):
    """A document for a draft tender (the title stays when the file is refused)."""

    title = StringField(
        _l("Titel van het document"),
        validators=[DataRequired(_l("Geef het document een titel.")), Length(max=300)],
    )
    file = FileField(_l("Bestand"), validators=[FileRequired(_l("Kies een bestand."))])
    replaces = SelectField(_l("Vervangt"), coerce=optional_id, validate_choice=False)


class CorrectionForm(FlaskForm):
    """One correction (rectificatie): a reason and at least one change."""

    reason = TextAreaField(
        REASON_LABEL, validators=[DataRequired(REASON_REQUIRED), Length(max=5000)]
    )
    submission_date = DateText(_l("Nieuwe sluitingstermijn (datum)"), validators=[Optional()])
    submission_time = TimeText(_l("Nieuwe sluitingstermijn (tijd)"), validators=[Optional()])
    description = TextAreaField(
        _l("Omschrijving van de aanbesteding"), validators=[Optional(), Length(max=20000)]
    )
    document_title = StringField(
        _l("Titel van het nieuwe document"), validators=[Optional(), Length(max=300)]
    )
    document_file = FileField(_l("Nieuw document"), validators=[Optional()])
    replaces = SelectField(
        _l("Het nieuwe document vervangt"), coerce=optional_id, validate_choice=False
    )
    withdraw = SelectField(
        _l("Document laten vervallen"), coerce=optional_id, validate_choice=False
    )

    submission_deadline: datetime | None = None

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self.submission_deadline = read_moment(self.submission_date, self.submission_time)
        if self.submission_deadline is not None and self.submission_deadline <= utcnow():
            self.submission_date.errors.append(
                _("De nieuwe sluitingstermijn moet in de toekomst liggen.")
            )
        has_file = bool(self.document_file.data and self.document_file.data.filename)
        if has_file and not (self.document_title.data or "").strip():
            self.document_title.errors.append(_("Geef het document een titel."))
        if not has_file and (self.document_title.data or "").strip():
            self.document_file.errors.append(_("Kies het bestand bij deze titel."))
        if not has_file and self.replaces.data is not None:
            self.document_file.errors.append(_("Kies het bestand dat het document vervangt."))
        return not _has_errors(self)


class QuestionForm(FlaskForm):
    lot = SelectField(_l("Over"), coerce=optional_id, validate_choice=False)
    text = TextAreaField(
        _l("Uw vraag"),
        validators=[DataRequired(_l("Schrijf uw vraag op.")), Length(max=5000)],
    )


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Toewijzen aan"), coerce=optional_id, validate_choice=False)


class AnswerForm(FlaskForm):
    text = TextAreaField(
        _l("Antwoord"),
        validators=[DataRequired(_l("Schrijf het antwoord op.")), Length(max=20000)],
    )


class NotaForm(FlaskForm):
    """Which answered questions go into the nota (the page ticks them all)."""

    questions = SelectMultipleField(_l("Vragen in deze nota"), coerce=int, validate_choice=False)
