"""Forms of the tenants module. Labels and messages in plain Dutch (B1)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from koepel.platform.timeutil import local_today

_OPTIONAL = [Optional()]


class MemberForm(FlaskForm):
    first_name = StringField(_l("Voornaam"), validators=[Optional(), Length(max=100)])
    last_name = StringField(
        _l("Achternaam"), validators=[DataRequired(_l("Vul een achternaam in.")), Length(max=150)]
    )
    date_of_birth = DateField(
        _l("Geboortedatum"),
        validators=_OPTIONAL,
        render_kw={"autocomplete": "off"},
    )
    street = StringField(_l("Straat"), validators=[Optional(), Length(max=200)])
    house_number = StringField(_l("Huisnummer"), validators=[Optional(), Length(max=20)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("Woonplaats"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Telefoon"), validators=[Optional(), Length(max=30)])
    email = EmailField(
        _l("E-mailadres"),
        validators=[Optional(), Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)],
    )
    consent_contact = BooleanField(_l("Mag gebeld en gemaild worden"), default=True)
    consent_newsletter = BooleanField(_l("Wil de nieuwsbrief ontvangen"))
    consent_photos = BooleanField(_l("Foto's mogen gebruikt worden"))
    joined_on = DateField(
        _l("Lid sinds"),
        default=local_today,
        validators=[DataRequired(_l("Vul een datum in, bijvoorbeeld 01-03-2024."))],
    )


class MemberSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(
        _l("Zoek op naam, lidnummer of postcode"), validators=[Optional(), Length(max=100)]
    )
    status = SelectField(
        _l("Welke leden"),
        choices=[
            SelectChoice("current", _l("Huidige leden")),
            SelectChoice("left", _l("Oud-leden")),
            SelectChoice("all", _l("Iedereen")),
        ],
        default="current",
    )


class EndMembershipForm(FlaskForm):
    left_on = DateField(
        _l("Lid tot en met"),
        default=local_today,
        validators=[DataRequired(_l("Vul een datum in."))],
    )


class FeeForm(FlaskForm):
    year = IntegerField(
        _l("Jaar"),
        default=lambda: local_today().year,
        validators=[
            DataRequired(_l("Vul een jaar in.")),
            NumberRange(2000, 2100, _l("Kies een jaar tussen 2000 en 2100.")),
        ],
    )
    amount = StringField(_l("Bedrag"), validators=[DataRequired(_l("Vul een bedrag in."))])
    paid = BooleanField(_l("Betaald"))
