"""Forms and Dutch labels for the service and volunteer pages. Labels in plain Dutch (B1)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.tenants.models import FundingSource, ServiceKind
from koepel.tenants.models.services import CATALOGUE
from koepel.tenants.models.volunteers import DAYPARTS, SKILLS

CATALOGUE_LABELS = {
    "transport": _l("Vervoer"),
    "odd_jobs": _l("Klussen"),
    "gardening": _l("Tuinonderhoud"),
    "meeting_place": _l("Koffieochtend / ontmoetingsplek"),
    "home_visits": _l("Huisbezoek"),
    "household_help": _l("Huishoudelijke hulp"),
    "meals": _l("Maaltijden"),
    "care_coordination": _l("Zorgcoördinatie"),
    "personal_care": _l("Persoonlijke verzorging"),
    "nursing": _l("Verpleging"),
    "day_activities": _l("Dagbesteding"),
    "care_housing": _l("Zorgwonen"),
}
KIND_LABELS = {
    ServiceKind.INFORMAL: _l("Informeel (door vrijwilligers)"),
    ServiceKind.FORMAL: _l("Formeel (door beroepskrachten)"),
}
KIND_SHORT_LABELS = {ServiceKind.INFORMAL: _l("informeel"), ServiceKind.FORMAL: _l("formeel")}
FUNDING_LABELS = {
    FundingSource.MEMBER_CONTRIBUTION: _l("Eigen bijdrage leden"),
    FundingSource.WMO_GENERAL: _l("Wmo algemene voorziening"),
    FundingSource.WMO_CUSTOMISED: _l("Wmo maatwerkvoorziening"),
    FundingSource.ZVW: _l("Zvw"),
    FundingSource.WLZ: _l("Wlz"),
    FundingSource.PGB: _l("pgb"),
}
SKILL_LABELS = {
    "transport": _l("Vervoer"),
    "odd_jobs": _l("Klussen"),
    "gardening": _l("Tuin"),
    "visits": _l("Huisbezoek"),
    "meals": _l("Maaltijden"),
    "household": _l("Huishouden"),
    "coffee": _l("Koffie/ontmoeting"),
    "admin": _l("Administratie"),
    "computer": _l("Computerhulp"),
    "shopping": _l("Boodschappen"),
}
DAY_LABELS = {
    "mon": _l("maandag"),
    "tue": _l("dinsdag"),
    "wed": _l("woensdag"),
    "thu": _l("donderdag"),
    "fri": _l("vrijdag"),
    "sat": _l("zaterdag"),
    "sun": _l("zondag"),
}
PART_LABELS = {"morning": _l("ochtend"), "afternoon": _l("middag"), "evening": _l("avond")}
# Whole msgids, so a translator sees "maandag ochtend" and not two loose words.
DAYPART_LABELS = {
    "mon-morning": _l("maandag ochtend"),
    "mon-afternoon": _l("maandag middag"),
    "mon-evening": _l("maandag avond"),
    "tue-morning": _l("dinsdag ochtend"),
    "tue-afternoon": _l("dinsdag middag"),
    "tue-evening": _l("dinsdag avond"),
    "wed-morning": _l("woensdag ochtend"),
    "wed-afternoon": _l("woensdag middag"),
    "wed-evening": _l("woensdag avond"),
    "thu-morning": _l("donderdag ochtend"),
    "thu-afternoon": _l("donderdag middag"),
    "thu-evening": _l("donderdag avond"),
    "fri-morning": _l("vrijdag ochtend"),
    "fri-afternoon": _l("vrijdag middag"),
    "fri-evening": _l("vrijdag avond"),
    "sat-morning": _l("zaterdag ochtend"),
    "sat-afternoon": _l("zaterdag middag"),
    "sat-evening": _l("zaterdag avond"),
    "sun-morning": _l("zondag ochtend"),
    "sun-afternoon": _l("zondag middag"),
    "sun-evening": _l("zondag avond"),
}


def availability_summary(codes: list[str]) -> list[str]:
    """["mon-morning", "mon-evening", "wed-afternoon"] -> ["maandag: ochtend, avond",
    "woensdag: middag"], in the order of the week; unknown codes are left out."""
    by_day: dict[str, list[str]] = {}
    for code in DAYPARTS:
        if code in codes:
            day, part = code.split("-")
            by_day.setdefault(day, []).append(str(PART_LABELS[part]))
    return [f"{DAY_LABELS[day]}: {', '.join(parts)}" for day, parts in by_day.items()]


def _optional_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    return int(value)  # type: ignore[call-overload]


def provider_choices() -> list[SelectChoice]:
    """The empty choice, then every care provider in the directory (names are public)."""
    providers = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrgKind.PROVIDER)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [SelectChoice("", _l("Geen"))] + [SelectChoice(str(p.id), p.name) for p in providers]


class ServiceForm(FlaskForm):
    code = SelectField(
        _l("Soort dienst"),
        choices=[SelectChoice(code, CATALOGUE_LABELS[code]) for code in CATALOGUE],
        invalid_choice_message=_l("Kies een dienst uit de lijst."),
    )
    name = StringField(
        _l("Naam"), validators=[DataRequired(_l("Geef de dienst een naam.")), Length(max=200)]
    )
    description = TextAreaField(_l("Beschrijving"), validators=[Optional(), Length(max=5000)])
    kind = RadioField(
        _l("Wie voert de dienst uit?"),
        choices=[SelectChoice(kind.value, KIND_LABELS[kind]) for kind in ServiceKind],
        default=ServiceKind.INFORMAL.value,
        invalid_choice_message=_l("Kies informeel of formeel."),
    )
    funding = SelectField(
        _l("Financiering"),
        choices=[SelectChoice(source.value, FUNDING_LABELS[source]) for source in FundingSource],
        default=FundingSource.MEMBER_CONTRIBUTION.value,
        invalid_choice_message=_l("Kies een manier van financieren uit de lijst."),
    )
    # Parsed with koepel.platform.money.parse_money in the view (Dutch "2,50").
    member_price = StringField(_l("Prijs voor leden"))
    price_unit = StringField(_l("Per"), validators=[Optional(), Length(max=40)])
    partner = SelectField(
        _l("Zorgaanbieder (partner)"),
        coerce=_optional_int,
        invalid_choice_message=_l("Kies een zorgaanbieder uit de lijst."),
        invalid_value_message=_l("Kies een zorgaanbieder uit de lijst."),
    )
    requires_vog = BooleanField(_l("Vrijwilligers hebben een geldige VOG nodig"))
    active = BooleanField(_l("De dienst wordt nu aangeboden"), default=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.partner.choices = provider_choices()


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; the template renders them one by one."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VolunteerForm(FlaskForm):
    skills = MultiCheckboxField(
        _l("Wat wil deze vrijwilliger doen?"),
        choices=[SelectChoice(skill, SKILL_LABELS[skill]) for skill in SKILLS],
        invalid_choice_message=_l("Kies uit de lijst."),
    )
    availability = MultiCheckboxField(
        _l("Wanneer kan deze vrijwilliger?"),
        choices=[SelectChoice(code, DAYPART_LABELS[code]) for code in DAYPARTS],
        invalid_choice_message=_l("Kies uit de lijst."),
    )
    vog_date = DateField(
        _l("Datum van de VOG"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )
    active = BooleanField(_l("Actief als vrijwilliger"), default=True)
