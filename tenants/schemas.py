"""API schemas of the tenants module (marshmallow)."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from koepel.platform.api.fields import DecimalString
from koepel.tenants.models import FundingSource, HelpStatus, Recurrence, ServiceKind
from koepel.tenants.models.services import CATALOGUE
from koepel.tenants.models.volunteers import DAYPARTS, SKILLS


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class MemberArgs(PageArgs):
    q = ma.fields.String(load_default="", validate=validate.Length(max=100))
    status = ma.fields.String(
        load_default="current", validate=validate.OneOf(["current", "left", "all"])
    )


class MemberSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    number = ma.fields.Integer(dump_only=True)
    first_name = ma.fields.String(validate=validate.Length(max=100), load_default="")
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=150))
    date_of_birth = ma.fields.Date(allow_none=True, load_default=None)
    street = ma.fields.String(load_default="", validate=validate.Length(max=200))
    house_number = ma.fields.String(load_default="", validate=validate.Length(max=20))
    postcode = ma.fields.String(load_default="", validate=validate.Length(max=10))
    city = ma.fields.String(load_default="", validate=validate.Length(max=100))
    phone = ma.fields.String(load_default="", validate=validate.Length(max=30))
    # Empty means "no e-mail address"; anything else must be one.
    email = ma.fields.String(load_default="", validate=validate.Length(max=254))

    @ma.validates("email")
    def _email(self, value: str, **_kwargs) -> None:
        if value:
            validate.Email(error="Vul een geldig e-mailadres in.")(value)

    consent_contact = ma.fields.Boolean(load_default=True)
    consent_newsletter = ma.fields.Boolean(load_default=False)
    consent_photos = ma.fields.Boolean(load_default=False)
    joined_on = ma.fields.Date(required=True)
    left_on = ma.fields.Date(dump_only=True, allow_none=True)


class MemberPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MemberSchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


class VolunteerSchema(ma.Schema):
    """Names and skills only: this list is open to volunteers too."""

    id = ma.fields.Integer()
    member_id = ma.fields.Integer()
    name = ma.fields.String()
    skills = ma.fields.List(ma.fields.String(validate=validate.OneOf(SKILLS)))
    availability = ma.fields.List(ma.fields.String(validate=validate.OneOf(DAYPARTS)))
    vog_valid = ma.fields.Boolean()


class VolunteerPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(VolunteerSchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


class ServiceSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.OneOf(list(CATALOGUE)))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=validate.Length(max=5000))
    kind = ma.fields.Enum(ServiceKind, by_value=True, required=True)
    funding = ma.fields.Enum(FundingSource, by_value=True, required=True)
    # A string ("2.50"), as every amount in the API: a JSON number cannot hold most cents.
    member_price = DecimalString(required=True, maximum=Decimal("999999.00"), example="2.50")
    price_unit = ma.fields.String(load_default="", validate=validate.Length(max=40))
    partner_id = ma.fields.Integer(allow_none=True, load_default=None)
    requires_vog = ma.fields.Boolean(load_default=False)
    active = ma.fields.Boolean(load_default=True)


class ServiceList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ServiceSchema))


class HelpArgs(PageArgs):
    status = ma.fields.Enum(HelpStatus, by_value=True, load_default=None)


class HelpRequestSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    member_number = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    member_first_name = ma.fields.String(dump_only=True)
    service_id = ma.fields.Integer(required=True)
    wanted_on = ma.fields.Date(required=True)
    daypart = ma.fields.String(
        load_default="", validate=validate.OneOf(["", "morning", "afternoon", "evening"])
    )
    description = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    recurrence = ma.fields.Enum(Recurrence, by_value=True, load_default=Recurrence.NONE)
    status = ma.fields.Enum(HelpStatus, by_value=True, dump_only=True)
    volunteer_id = ma.fields.Integer(dump_only=True, allow_none=True)


class HelpRequestUpdate(ma.Schema):
    """A change of state: match a volunteer, complete (optionally with minutes) or cancel."""

    action = ma.fields.String(
        required=True, validate=validate.OneOf(["assign", "complete", "cancel"])
    )
    volunteer_id = ma.fields.Integer(load_default=None)
    minutes = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=1440))
    stop_series = ma.fields.Boolean(load_default=False)


class HelpRequestPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(HelpRequestSchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


class CooperativeFiguresSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    members = ma.fields.Integer()
    volunteers = ma.fields.Integer()
    hours_year = ma.fields.Integer()
    open_requests = ma.fields.Integer()
    done_year = ma.fields.Integer()
    services = ma.fields.Integer()
    consent = ma.fields.Boolean()


class CooperativeFiguresList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CooperativeFiguresSchema))
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
