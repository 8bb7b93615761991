"""The tenants module's API: members, volunteers, services, help requests, and an
umbrella's member cooperatives with aggregates. Errors are problem+json (platform)."""

from __future__ import annotations

from math import ceil

from flask import g
from flask_smorest import abort as api_abort  # carries per-field messages into problem+json
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from koepel.platform.api.core import (
    ApiBlueprint,
    org_endpoint,
    register_blueprint,
    require_user,
)
from koepel.platform.extensions import db
from koepel.platform.models import OrgKind
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants import catalogue, help, umbrella
from koepel.tenants import members as member_ops
from koepel.tenants.models import HelpRequest, Member, Service, VolunteerProfile
from koepel.tenants.schemas import (
    CooperativeFiguresList,
    HelpArgs,
    HelpRequestPage,
    HelpRequestSchema,
    HelpRequestUpdate,
    MemberArgs,
    MemberPage,
    MemberSchema,
    PageArgs,
    ServiceList,
    ServiceSchema,
    VolunteerPage,
)
from koepel.tenants.views.members import member_query
from koepel.tenants.volunteers import vog_valid

blp = ApiBlueprint(
    "api_tenants",
    __name__,
    url_prefix="/api/v1/orgs",
    description="Leden, vrijwilligers, diensten en hulpvragen van een coöperatie",
)


def org_access(action: str, kind: OrgKind = OrgKind.COOPERATIVE, obj: tuple | None = None):
    """The acting organisation (of ``kind``) with ``action``, and the object named in the URL
    (``obj=(Model, "url_arg")``, 404 when missing or foreign, the query being scoped to the
    organisation); see ``org_endpoint``."""

    def load(org, **url_args):
        model, arg = obj
        return db.session.scalar(select(model).where(model.id == url_args[arg]))

    return org_endpoint(action, kinds=(kind,), load=load if obj is not None else None)


def _unprocessable(exc: Exception, field: str | None = None):
    # A rule refused a well-formed request: 422 with the field it concerns.
    api_abort(422, messages={field or "_schema": [str(exc)]}, message=str(exc))


def _page(stmt, args, order):
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(
        stmt.order_by(*order).limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])
    ).all()
    return rows, {
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
        "pages": max(1, ceil(total / args["per_page"])),
    }


def _member_dict(m: Member) -> dict:
    h = m.household
    return {
        "id": m.id,
        "number": m.number,
        "first_name": m.first_name,
        "last_name": m.last_name,
        "date_of_birth": m.date_of_birth,
        "street": h.street if h else "",
        "house_number": h.house_number if h else "",
        "postcode": h.postcode if h else "",
        "city": h.city if h else "",
        "phone": m.phone,
        "email": m.email,
        "consent_contact": m.consent_contact,
        "consent_newsletter": m.consent_newsletter,
        "consent_photos": m.consent_photos,
        "joined_on": m.joined_on,
        "left_on": m.left_on,
    }


# -- members ------------------------------------------------------------------------------
@blp.route("/<org_slug>/members", methods=["GET"])
@org_access("members.view")
@blp.arguments(MemberArgs, location="query")
@blp.response(200, MemberPage)
def list_members(args, org_slug: str):
    """Members, searchable by name, number or postcode; paginated."""
    stmt = member_query(args["q"], args["status"]).options(selectinload(Member.household))
    rows, page = _page(stmt, args, (Member.last_name, Member.first_name, Member.id))
    return {"items": [_member_dict(m) for m in rows], **page}


@blp.route("/<org_slug>/members", methods=["POST"])
@org_access("members.manage")
@blp.arguments(MemberSchema)
@blp.response(201, MemberSchema)
def create_member(data, org_slug: str):
    """Register a member."""
    org = g.api_org
    try:
        member = member_ops.register(
            actor=require_user(), org=org, data=member_ops.MemberData(**data)
        )
    except member_ops.MemberError as exc:
        _unprocessable(exc, exc.field)
    return _member_dict(member)


@blp.route("/<org_slug>/members/<int:member_id>", methods=["GET"])
@org_access("members.view", obj=(Member, "member_id"))
@blp.response(200, MemberSchema)
def get_member(org_slug: str, member_id: int):
    return _member_dict(g.api_obj)


@blp.route("/<org_slug>/members/<int:member_id>", methods=["PUT"])
@org_access("members.manage", obj=(Member, "member_id"))
@blp.arguments(MemberSchema)
@blp.response(200, MemberSchema)
def update_member(data, org_slug: str, member_id: int):
    """Replace a member's details (all fields, as on the form)."""
    org = g.api_org
    member = g.api_obj
    try:
        member_ops.update(
            actor=require_user(), org=org, member=member, data=member_ops.MemberData(**data)
        )
    except member_ops.MemberError as exc:
        _unprocessable(exc, exc.field)
    return _member_dict(member)


# -- volunteers ---------------------------------------------------------------------------
@blp.route("/<org_slug>/volunteers", methods=["GET"])
@org_access("volunteers.view")
@blp.arguments(PageArgs, location="query")
@blp.response(200, VolunteerPage)
def list_volunteers(args, org_slug: str):
    """Active volunteers: names and skills only (no addresses or phone numbers)."""
    stmt = (
        select(VolunteerProfile)
        .join(Member, Member.id == VolunteerProfile.member_id)
        .where(VolunteerProfile.active.is_(True), Member.left_on.is_(None))
        .options(selectinload(VolunteerProfile.member))
    )
    rows, page = _page(stmt, args, (Member.last_name, Member.first_name, VolunteerProfile.id))
    today = utcnow().date()
    items = [
        {
            "id": v.id,
            "member_id": v.member_id,
            "name": v.member.name,
            "skills": v.skills,
            "availability": v.availability,
            "vog_valid": vog_valid(v, today),
        }
        for v in rows
    ]
    return {"items": items, **page}


# -- services -----------------------------------------------------------------------------
def _service_dict(s: Service) -> dict:
    return {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "description": s.description,
        "kind": s.kind,
        "funding": s.funding,
        "member_price": s.member_price,
        "price_unit": s.price_unit,
        "partner_id": s.partner_id,
        "requires_vog": s.requires_vog,
        "active": s.active,
    }


@blp.route("/<org_slug>/services", methods=["GET"])
@org_access("services.view")
@blp.response(200, ServiceList)
def list_services(org_slug: str):
    """The service catalogue."""
    return {
        "items": [
            _service_dict(s) for s in db.session.scalars(select(Service).order_by(Service.name))
        ]
    }


@blp.route("/<org_slug>/services", methods=["POST"])
@org_access("services.manage")
@blp.arguments(ServiceSchema)
@blp.response(201, ServiceSchema)
def create_service(data, org_slug: str):
    org = g.api_org
    try:
        service = catalogue.create(
            actor=require_user(), org=org, data=catalogue.ServiceData(**data)
        )
    except catalogue.ServiceError as exc:
        _unprocessable(exc, exc.field)
    return _service_dict(service)


@blp.route("/<org_slug>/services/<int:service_id>", methods=["GET"])
@org_access("services.view", obj=(Service, "service_id"))
@blp.response(200, ServiceSchema)
def get_service(org_slug: str, service_id: int):
    return _service_dict(g.api_obj)


@blp.route("/<org_slug>/services/<int:service_id>", methods=["PUT"])
@org_access("services.manage", obj=(Service, "service_id"))
@blp.arguments(ServiceSchema)
@blp.response(200, ServiceSchema)
def update_service(data, org_slug: str, service_id: int):
    org = g.api_org
    service = g.api_obj
    try:
        catalogue.update(
            actor=require_user(), org=org, service=service, data=catalogue.ServiceData(**data)
        )
    except catalogue.ServiceError as exc:
        _unprocessable(exc, exc.field)
    return _service_dict(service)


# -- help requests ------------------------------------------------------------------------
def _help_dict(r: HelpRequest) -> dict:
    return {
        "id": r.id,
        "member_number": r.member.number,
        "member_first_name": r.member.first_name,
        "service_id": r.service_id,
        "wanted_on": r.wanted_on,
        "daypart": r.daypart,
        "description": r.description,
        "recurrence": r.recurrence,
        "status": r.status,
        "volunteer_id": r.volunteer_id,
    }


@blp.route("/<org_slug>/help-requests", methods=["GET"])
@org_access("help.view")
@blp.arguments(HelpArgs, location="query")
@blp.response(200, HelpRequestPage)
def list_help_requests(args, org_slug: str):
    """Help requests, optionally by status; member first names only (no addresses)."""
    stmt = select(HelpRequest).options(selectinload(HelpRequest.member))
    if args.get("status") is not None:
        stmt = stmt.where(HelpRequest.status == args["status"])
    rows, page = _page(stmt, args, (HelpRequest.wanted_on, HelpRequest.id))
    return {"items": [_help_dict(r) for r in rows], **page}


@blp.route("/<org_slug>/help-requests", methods=["POST"])
@org_access("help.manage")
@blp.arguments(HelpRequestSchema)
@blp.response(201, HelpRequestSchema)
def create_help_request(data, org_slug: str):
    org = g.api_org
    member = db.session.scalar(select(Member).where(Member.number == data["member_number"]))
    service = db.session.scalar(select(Service).where(Service.id == data["service_id"]))
    if member is None:
        api_abort(422, messages={"member_number": ["Er is geen lid met dit nummer."]})
    if service is None:
        api_abort(422, messages={"service_id": ["Deze dienst bestaat niet."]})
    try:
        created = help.ask(
            actor=require_user(),
            org=org,
            member=member,
            service=service,
            wanted_on=data["wanted_on"],
            daypart=data["daypart"],
            description=data["description"],
            recurrence=data["recurrence"],
        )
    except help.HelpError as exc:
        _unprocessable(exc, exc.field)
    return _help_dict(created)


@blp.route("/<org_slug>/help-requests/<int:request_id>", methods=["GET"])
@org_access("help.view", obj=(HelpRequest, "request_id"))
@blp.response(200, HelpRequestSchema)
def get_help_request(org_slug: str, request_id: int):
    return _help_dict(g.api_obj)


@blp.route("/<org_slug>/help-requests/<int:request_id>", methods=["PATCH"])
@org_access("help.manage", obj=(HelpRequest, "request_id"))
@blp.arguments(HelpRequestUpdate)
@blp.response(200, HelpRequestSchema)
def update_help_request(data, org_slug: str, request_id: int):
    """Move a help request on: assign a volunteer, complete it, or cancel it."""
    org = g.api_org
    found, actor = g.api_obj, require_user()
    try:
        if data["action"] == "assign":
            volunteer = db.session.scalar(
                select(VolunteerProfile).where(VolunteerProfile.id == data["volunteer_id"])
            )
            if volunteer is None:
                api_abort(422, messages={"volunteer_id": ["Kies een vrijwilliger."]})
            help.assign(actor=actor, org=org, request=found, volunteer=volunteer)
        elif data["action"] == "complete":
            help.complete(actor=actor, org=org, request=found, minutes=data["minutes"])
        else:
            help.cancel(actor=actor, org=org, request=found, stop_series=data["stop_series"])
    except help.HelpError as exc:
        _unprocessable(exc, exc.field)
    return _help_dict(found)


# -- an umbrella's member cooperatives ------------------------------------------------------
@blp.route("/<org_slug>/member-cooperatives", methods=["GET"])
@org_access("umbrella.dashboard.view", kind=OrgKind.UMBRELLA)
@blp.response(200, CooperativeFiguresList)
def member_cooperatives(org_slug: str):
    """Aggregates per member cooperative (no per-person data)."""
    org = g.api_org
    figures = umbrella.aggregates(org, to_local(utcnow()).date())
    names = ("members", "volunteers", "hours_year", "open_requests", "done_year", "services")
    items = [
        {
            "slug": f.organisation.slug,
            "name": f.organisation.name,
            "consent": f.consent,
            **{n: getattr(f, n) for n in names},
        }
        for f in figures
    ]
    return {"items": items, "totals": {n: sum(i[n] for i in items) for n in names}}


def register() -> None:
    register_blueprint(blp)
