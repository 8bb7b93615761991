"""Forms for help requests and hours."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from koepel.platform.timeutil import local_today

DAYPART_CHOICES = [
    SelectChoice("", _l("Maakt niet uit")),
    SelectChoice("morning", _l("ochtend")),
    SelectChoice("afternoon", _l("middag")),
    SelectChoice("evening", _l("avond")),
]
RECURRENCE_CHOICES = [
    SelectChoice("none", _l("Eén keer")),
    SelectChoice("weekly", _l("Elke week")),
    SelectChoice("fortnightly", _l("Elke twee weken")),
    SelectChoice("monthly", _l("Elke maand")),
]


def hours_to_minutes(text: str) -> int:
    """'1,5' or '1.5' or '1:30' -> 90. Raises ValueError for anything else."""
    text = (text or "").strip()
    if ":" in text:
        hours, _, minutes = text.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(minutes) < 60):
            raise ValueError(text)
        return int(hours) * 60 + int(minutes)
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return int((value * 60).to_integral_value())


class HoursField(StringField):
    """Hours as people write them: 1,5 or 1:30. ``minutes`` holds the parsed value."""

    minutes: int | None = None

    def pre_validate(self, form) -> None:
        self.minutes = None
        if not self.data:
            return
        try:
            self.minutes = hours_to_minutes(self.data)
        except ValueError:
            raise ValidationError(_l("Schrijf de tijd als 1,5 of 1:30.")) from None


class HelpRequestForm(FlaskForm):
    member_number = IntegerField(
        _l("Lidnummer van wie hulp vraagt"),
        validators=[DataRequired(_l("Vul een lidnummer in.")), NumberRange(min=1)],
    )
    service_id = SelectField(
        _l("Dienst"), coerce=int, validators=[DataRequired(_l("Kies een dienst."))]
    )
    wanted_on = DateField(
        _l("Datum"), default=local_today, validators=[DataRequired(_l("Vul een datum in."))]
    )
    daypart = SelectField(_l("Dagdeel"), choices=DAYPART_CHOICES, validators=[Optional()])
    recurrence = SelectField(_l("Hoe vaak"), choices=RECURRENCE_CHOICES, default="none")
    description = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=2000)])


class CompleteForm(FlaskForm):
    hours = HoursField(
        _l("Hoeveel tijd kostte het? (uren)"), validators=[Optional(), Length(max=10)]
    )


class CancelForm(FlaskForm):
    stop_series = BooleanField(_l("Ook de volgende keren stoppen"))


class HoursForm(FlaskForm):
    volunteer_id = SelectField(
        _l("Vrijwilliger"), coerce=int, validators=[DataRequired(_l("Kies een vrijwilliger."))]
    )
    worked_on = DateField(
        _l("Datum"), default=local_today, validators=[DataRequired(_l("Vul een datum in."))]
    )
    hours = HoursField(
        _l("Uren"), validators=[DataRequired(_l("Vul de tijd in, bijvoorbeeld 1,5."))]
    )
    note = StringField(_l("Waarvoor"), validators=[Optional(), Length(max=300)])
