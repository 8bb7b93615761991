"""Account forms. Labels and messages in plain Dutch (B1)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from koepel.platform.auth.passwords import MIN_LENGTH

_EMAIL = [
    DataRequired(_l("Vul uw e-mailadres in.")),
    Email(_l("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.")),
    Length(max=254),
]


def _new_password():
    return [
        DataRequired(_l("Kies een wachtwoord.")),
        Length(
            min=MIN_LENGTH,
            max=200,
            message=_l("Kies een wachtwoord van minstens %(n)d tekens.", n=MIN_LENGTH),
        ),
    ]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=_EMAIL)
    password = PasswordField(
        _l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in."))]
    )
    remember = BooleanField(_l("Ingelogd blijven op deze computer"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=_EMAIL)


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Nieuw wachtwoord"), validators=_new_password())
    confirm = PasswordField(
        _l("Herhaal het nieuwe wachtwoord"),
        validators=[EqualTo("password", _l("De twee wachtwoorden zijn niet gelijk."))],
    )


class AcceptInvitationForm(NewPasswordForm):
    display_name = StringField(
        _l("Uw naam"), validators=[DataRequired(_l("Vul uw naam in.")), Length(max=200)]
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Uw naam"), validators=[DataRequired(_l("Vul uw naam in.")), Length(max=200)]
    )
    locale = SelectField(
        _l("Taal"), choices=[SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Huidig wachtwoord"), validators=[DataRequired(_l("Vul uw huidige wachtwoord in."))]
    )


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=_EMAIL)
    role = SelectField(_l("Rol"), validators=[DataRequired(_l("Kies een rol."))])
