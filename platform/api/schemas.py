"""Schemas of the platform's API resources."""

from __future__ import annotations

import marshmallow as ma


class TokenRequest(ma.Schema):
    email = ma.fields.Email(required=True)
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    label = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))


class TokenResponse(ma.Schema):
    token = ma.fields.String(required=True)
    id = ma.fields.Integer(required=True)


class MembershipSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())


class MeSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    display_name = ma.fields.String()
    locale = ma.fields.String()
    organisations = ma.fields.List(ma.fields.Nested(MembershipSchema))


class OrganisationSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())


class JobSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    progress = ma.fields.Integer()
    total = ma.fields.Integer()
    message = ma.fields.String()
    percent = ma.fields.Integer()
