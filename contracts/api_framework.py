"""The framework-agreements API (products, call-offs, reports), under ``/api/v1/orgs/<slug>/``.

Both sides use the same URLs; what the acting organisation gets depends on its kind:

- a buyer (municipality or region): its own agreements, whole (``framework.view``; creating
  an agreement and placing call-offs need ``framework.manage``);
- a party (provider, or a cooperative or umbrella that joined): the running agreements it is
  party to, with the catalogue and only its own volume agreement, call-offs and reports
  (``framework.report``, which also lets it post its own reports). Another party's
  agreement, call-off or report answers 404.

The rules are those of the pages (``koepel.contracts.frameworks``). Amounts and quantities
are strings with a point ("55.00"). Statuses: 400 for input that does not fit the schema
(per field), 404 for an agreement the organisation neither owns nor is party to, 409 when
the agreement's state refuses the change (a draft, a closed period), 422 when a rule
refuses a well-formed request (e.g. a call-off above the ceiling, with the room left).
Errors are ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import g
from flask_babel import gettext as _
from flask_smorest import abort as api_abort
from marshmallow import validate
from sqlalchemy import select

from koepel.contracts import framework as fr
from koepel.contracts import frameworks as ops
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.framework import AgreementStatus, FrameworkProduct
from koepel.platform.api.core import (
    ApiBlueprint,
    org_endpoint,
    register_blueprint,
    require_user,
)
from koepel.platform.api.fields import DecimalString
from koepel.platform.api.fields import text as _text
from koepel.platform.extensions import db
from koepel.platform.models import Organisation

blp = ApiBlueprint(
    "api_framework",
    __name__,
    url_prefix="/api/v1/orgs",
    description="Raamovereenkomsten: catalogus, volumeafspraken, afroepen en meldingen",
)

BUYER, PARTY = "framework.view", "framework.report"


# -- schemas ---------------------------------------------------------------------------------
PRODUCT_CODE = validate.OneOf(
    ops.PRODUCT_CODES, error="Kies een product uit de catalogus, bijvoorbeeld ambulatory/light."
)


class FrameworkProductIn(ma.Schema):
    product = ma.fields.String(required=True, validate=PRODUCT_CODE)
    unit = _text(30)
    tariff = DecimalString(
        required=True, example="55.00", error_messages={"required": "Vul het tarief in."}
    )
    description = _text(5000)


class FrameworkPartyIn(ma.Schema):
    organisation = ma.fields.String(
        required=True, error_messages={"required": "Geef de slug van de partij."}
    )
    clients = ma.fields.Integer(
        required=True,
        validate=validate.Range(1, 1_000_000, error="Spreek minstens één cliënt af."),
        error_messages={"required": "Vul het aantal cliënten in."},
    )
    volumes = ma.fields.Dict(
        keys=ma.fields.String(validate=PRODUCT_CODE),
        values=DecimalString(example="100.00"),
        load_default=dict,
        metadata={"description": 'volume per product code, e.g. {"ambulatory/light": "2000"}'},
    )


class FrameworkAgreementIn(ma.Schema):
    title = _text(300, required="Geef de raamovereenkomst een naam.")
    year = ma.fields.Integer(
        required=True,
        validate=validate.Range(2000, 2100, error="Kies een jaar tussen 2000 en 2100."),
        error_messages={"required": "Vul het jaar in."},
    )
    description = _text(20000)
    increase_above = DecimalString(load_default=ops.fr.AdjustmentRule().increase_above, example="5")
    decrease_below = DecimalString(
        load_default=ops.fr.AdjustmentRule().decrease_below, example="10"
    )
    products = ma.fields.List(ma.fields.Nested(FrameworkProductIn), load_default=list)
    parties = ma.fields.List(ma.fields.Nested(FrameworkPartyIn), load_default=list)


class FrameworkTariffOut(ma.Schema):
    version = ma.fields.Integer()
    tariff = DecimalString()
    reason = ma.fields.String()
    set_at = ma.fields.DateTime()


class FrameworkProductOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    label = ma.fields.String()
    unit = ma.fields.String()
    tariff = DecimalString()
    version = ma.fields.Integer()
    description = ma.fields.String()
    history = ma.fields.List(ma.fields.Nested(FrameworkTariffOut))


class FrameworkProductList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FrameworkProductOut))


class FrameworkVolumeOut(ma.Schema):
    product = ma.fields.String()
    volume = DecimalString()
    historical = DecimalString(allow_none=True)


class FrameworkPartyOut(ma.Schema):
    organisation = ma.fields.String()
    name = ma.fields.String()
    contracted_clients = ma.fields.Integer()
    ceiling = DecimalString()
    committed = DecimalString()
    used = DecimalString()
    clients = ma.fields.Integer(metadata={"description": "clients in the last period shown"})
    volumes = ma.fields.List(ma.fields.Nested(FrameworkVolumeOut))


class FrameworkPeriodOut(ma.Schema):
    index = ma.fields.Integer()
    start = ma.fields.Date()
    end = ma.fields.Date()
    closed = ma.fields.Boolean()


class FrameworkAgreementSummary(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    year = ma.fields.Integer()
    status = ma.fields.String()
    buyer = ma.fields.String()
    closed_through = ma.fields.Integer()


class FrameworkAgreementList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FrameworkAgreementSummary))


class FrameworkAgreementOut(FrameworkAgreementSummary):
    description = ma.fields.String()
    increase_above = DecimalString()
    decrease_below = DecimalString()
    figures_through = ma.fields.Integer()
    periods = ma.fields.List(ma.fields.Nested(FrameworkPeriodOut))
    products = ma.fields.List(ma.fields.Nested(FrameworkProductOut))
    parties = ma.fields.List(ma.fields.Nested(FrameworkPartyOut))


class FrameworkCallOffArgs(ma.Schema):
    provider = ma.fields.String(load_default=None, metadata={"description": "a party's slug"})


class FrameworkCallOffIn(ma.Schema):
    provider = ma.fields.String(
        required=True, error_messages={"required": "Geef de slug van de aanbieder."}
    )
    client = _text(24, required="Vul het cliëntnummer in (een pseudoniem, geen naam).")
    product = ma.fields.String(required=True, validate=PRODUCT_CODE)
    quantity = DecimalString(
        required=True, example="52.5", error_messages={"required": "Vul het aantal in."}
    )
    start = ma.fields.Date(required=True, error_messages={"required": "Vul de eerste dag in."})
    end = ma.fields.Date(required=True, error_messages={"required": "Vul de laatste dag in."})
    allow_over_ceiling = ma.fields.Boolean(load_default=False)
    note = _text(500)


class FrameworkCallOffOut(ma.Schema):
    id = ma.fields.Integer()
    provider = ma.fields.String()
    client = ma.fields.String()
    product = ma.fields.String()
    quantity = DecimalString()
    tariff = DecimalString()
    tariff_version = ma.fields.Integer()
    price = DecimalString()
    reported = DecimalString()
    start = ma.fields.Date()
    end = ma.fields.Date()
    over_ceiling = ma.fields.Boolean()
    note = ma.fields.String()


class FrameworkCallOffList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FrameworkCallOffOut))


class FrameworkReportArgs(ma.Schema):
    period = ma.fields.Integer(load_default=None, validate=validate.Range(1, 13))


class FrameworkReportLineIn(ma.Schema):
    call_off_id = ma.fields.Integer(
        required=True, error_messages={"required": "Geef het nummer van de afroep."}
    )
    quantity = DecimalString(
        required=True, example="4.5", error_messages={"required": "Vul het aantal in."}
    )


class FrameworkReportIn(ma.Schema):
    period = ma.fields.Integer(
        required=True,
        validate=validate.Range(1, 13, error="Kies een periode van 1 tot en met 13."),
        error_messages={"required": "Geef de periode (1 tot en met 13)."},
    )
    lines = ma.fields.List(
        ma.fields.Nested(FrameworkReportLineIn),
        required=True,
        validate=validate.Length(min=1, error="Meld bij minstens één afroep een aantal."),
        error_messages={"required": "Meld bij minstens één afroep een aantal."},
    )
    note = _text(5000)


class FrameworkReportLineOut(ma.Schema):
    call_off_id = ma.fields.Integer()
    client = ma.fields.String()
    product = ma.fields.String()
    quantity = DecimalString()


class FrameworkReportOut(ma.Schema):
    id = ma.fields.Integer()
    provider = ma.fields.String()
    period = ma.fields.Integer()
    submitted_at = ma.fields.DateTime()
    note = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(FrameworkReportLineOut))


class FrameworkReportList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FrameworkReportOut))


# -- access ------------------------------------------------------------------------------------
def _state(org: Organisation, agreement_id: int) -> ops.State | None:
    """The buyer's own agreement whole; for a party only its own share (None otherwise)."""
    if org.kind in ops.BUYER_KINDS:
        agreement = ops.get_agreement(agreement_id)  # scoped: another buyer's is None
        return ops.buyer_state(agreement) if agreement is not None else None
    return ops.party_state(org, agreement_id)


def framework_access(
    buyer_action: str | None,
    party_action: str | None,
    load: Callable[..., Any] | None = None,
):
    """The acting organisation with the action its kind needs (404 for a kind the endpoint
    does not serve), then the agreement named in the URL (404 when missing, foreign, or not
    the party's); see ``org_endpoint``."""

    def action(org: Organisation) -> str | None:
        if org.kind in ops.BUYER_KINDS:
            return buyer_action
        if org.kind in ops.PARTY_KINDS:
            return party_action
        return None

    def load_agreement(org: Organisation, agreement_id: int, **_: Any) -> Any:
        return load(org, agreement_id)

    return org_endpoint(action, load=load_agreement if load is not None else None)


def _refuse(exc: ContractRuleError, *, conflict: bool = False) -> None:
    if conflict:
        api_abort(409, message=str(exc))
    field = getattr(exc, "field", None) or "_schema"
    api_abort(422, messages={field: [str(exc)]}, message=str(exc))


# -- output ------------------------------------------------------------------------------------
def _products(state: ops.State) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "code": state.code(p.id),
            "label": ops.product_label(state.code(p.id)),
            "unit": p.unit,
            "tariff": p.tariff,
            "version": p.version,
            "description": p.description,
            "history": state.history(p.id),
        }
        for p in state.products
    ]


def _agreement(state: ops.State, *, full: bool) -> dict[str, Any]:
    a = state.agreement
    out: dict[str, Any] = {
        "id": a.id,
        "title": a.title,
        "year": a.year,
        "status": a.status.value,
        "buyer": state.buyer_name,
        "closed_through": a.closed_through,
    }
    if not full:
        return out
    parties = []
    if state.parties and a.status != AgreementStatus.DRAFT:
        figures = state.figures(state.through)
    else:
        figures = {}
    for party in sorted(state.parties, key=state.name):
        f = figures.get(party.id)
        parties.append(
            {
                "organisation": state.slug(party),
                "name": state.name(party),
                "contracted_clients": state.volume_agreement(party.id).clients,
                "ceiling": state.ceiling(party.id).ceiling,
                "committed": fr.committed(
                    state.key(party.id), state.catalogue, state.pure_call_offs
                ),
                "used": f.used if f else 0,
                "clients": f.clients if f else 0,
                "volumes": [
                    {
                        "product": state.code(v.product_id),
                        "volume": v.volume,
                        "historical": v.historical,
                    }
                    for v in state.volumes_of(party.id)
                ],
            }
        )
    return out | {
        "description": a.description,
        "increase_above": a.increase_above,
        "decrease_below": a.decrease_below,
        "figures_through": state.through,
        "periods": [
            {
                "index": p.index,
                "start": p.start,
                "end": p.end,
                "closed": p.index <= a.closed_through,
            }
            for p in state.schedule
        ],
        "products": _products(state),
        "parties": parties,
    }


def _call_off(state: ops.State, c) -> dict[str, Any]:
    return {
        "id": c.id,
        "provider": state.slug(state.party_by_id[c.party_id]),
        "client": c.client,
        "product": state.code(c.product_id),
        "quantity": c.quantity,
        "tariff": c.tariff,
        "tariff_version": c.tariff_version,
        "price": state.price(c),
        "reported": state.reported(c.id),
        "start": c.start_on,
        "end": c.end_on,
        "over_ceiling": c.over_ceiling,
        "note": c.note,
    }


def _reports(state: ops.State, period: int | None = None) -> list[dict[str, Any]]:
    slugs = {p.organisation_id: state.slug(p) for p in state.parties}
    reports: dict[int, dict[str, Any]] = {}
    for line in state.lines:
        if period is not None and line.period != period:
            continue
        c = state.call_off_by_id[line.call_off_id]
        report = reports.setdefault(
            line.report_id,
            {
                "id": line.report_id,
                "provider": slugs.get(line.tenant_id, ""),
                "period": line.period,
                "submitted_at": line.submitted_at,
                "note": line.note,
                "lines": [],
            },
        )
        report["lines"].append(
            {
                "call_off_id": c.id,
                "client": c.client,
                "product": state.code(c.product_id),
                "quantity": line.quantity,
            }
        )
    return sorted(reports.values(), key=lambda r: (r["period"], r["id"]))


# -- endpoints -----------------------------------------------------------------------------------
@blp.route("/<org_slug>/framework-agreements", methods=["GET"])
@framework_access(BUYER, PARTY)
@blp.response(200, FrameworkAgreementList)
def list_agreements(org_slug: str):
    """A buyer's own agreements, or the running agreements a party is in."""
    org = g.api_org
    if org.kind in ops.BUYER_KINDS:
        items = [
            {
                "id": a.id,
                "title": a.title,
                "year": a.year,
                "status": a.status.value,
                "buyer": org.name,
                "closed_through": a.closed_through,
            }
            for a in ops.agreements(org)
        ]
    else:
        items = []
        for m in ops.memberships(org):
            state = ops.party_state(org, m.agreement_id)
            items.append(_agreement(state, full=False))
    return {"items": items}


@blp.route("/<org_slug>/framework-agreements", methods=["POST"])
@framework_access("framework.manage", None)
@blp.arguments(FrameworkAgreementIn)
@blp.response(201, FrameworkAgreementOut)
def create_agreement(data, org_slug: str):
    """A draft agreement, optionally with its catalogue and parties with volumes. Activating
    it (after checking the catalogue is complete) is done on its page."""
    actor, buyer = require_user(), g.api_org
    try:
        agreement = ops.create(
            actor=actor,
            buyer=buyer,
            title=data["title"],
            year=data["year"],
            description=data["description"],
            increase_above=data["increase_above"],
            decrease_below=data["decrease_below"],
        )
        for p in data["products"]:
            group = p["product"].split("/")[0]
            ops.set_product(
                actor=actor,
                agreement=agreement,
                code=p["product"],
                unit=p["unit"] or ops.DEFAULT_UNITS.get(group, ops.TRANSPORT_UNIT),
                tariff=p["tariff"],
                description=p["description"],
            )
        products = {
            ops.fr.code(p.product_group, p.level): p.id
            for p in db.session.scalars(
                select(FrameworkProduct).where(FrameworkProduct.agreement_id == agreement.id)
            )
        }
        for i, p in enumerate(data["parties"]):
            organisation = db.session.scalar(
                select(Organisation).where(
                    Organisation.slug == p["organisation"], Organisation.is_active.is_(True)
                )
            )
            if organisation is None:
                raise ContractRuleError(_("Deze partij bestaat niet."), f"parties.{i}.organisation")
            missing = set(p["volumes"]) - set(products)
            if missing:
                raise ContractRuleError(
                    _(
                        "Zet %(products)s eerst in de catalogus.",
                        products=", ".join(sorted(missing)),
                    ),
                    f"parties.{i}.volumes",
                )
            party = ops.add_party(
                actor=actor, agreement=agreement, organisation=organisation, clients=p["clients"]
            )
            ops.set_volumes(
                actor=actor,
                agreement=agreement,
                party=party,
                clients=p["clients"],
                volumes={products[code]: (v, None) for code, v in p["volumes"].items()},
            )
    except ContractRuleError as exc:
        _refuse(exc)  # nothing is kept: the request is not committed
    return _agreement(ops.buyer_state(agreement), full=True)


@blp.route("/<org_slug>/framework-agreements/<int:agreement_id>", methods=["GET"])
@framework_access(BUYER, PARTY, load=_state)
@blp.response(200, FrameworkAgreementOut)
def get_agreement(org_slug: str, agreement_id: int):
    """The agreement with its periods, catalogue and parties (a party: only itself) with
    their ceiling, committed call-offs, budget used and clients so far."""
    return _agreement(g.api_obj, full=True)


@blp.route("/<org_slug>/framework-agreements/<int:agreement_id>/products", methods=["GET"])
@framework_access(BUYER, PARTY, load=_state)
@blp.response(200, FrameworkProductList)
def list_products(org_slug: str, agreement_id: int):
    """The catalogue: tariff in force per product, with its earlier versions."""
    return {"items": _products(g.api_obj)}


@blp.route("/<org_slug>/framework-agreements/<int:agreement_id>/call-offs", methods=["GET"])
@framework_access(BUYER, PARTY, load=_state)
@blp.arguments(FrameworkCallOffArgs, location="query")
@blp.response(200, FrameworkCallOffList)
def list_call_offs(args, org_slug: str, agreement_id: int):
    """The call-offs (a party: its own); ``?provider=<slug>`` filters for the buyer."""
    state = g.api_obj
    items = [
        _call_off(state, c)
        for c in state.call_offs
        if args["provider"] is None or state.slug(state.party_by_id[c.party_id]) == args["provider"]
    ]
    return {"items": items}


@blp.route("/<org_slug>/framework-agreements/<int:agreement_id>/call-offs", methods=["POST"])
@framework_access("framework.manage", None, load=_state)
@blp.arguments(FrameworkCallOffIn)
@blp.response(201, FrameworkCallOffOut)
def create_call_off(data, org_slug: str, agreement_id: int):
    """Order units for a client at the tariff in force. Above the party's ceiling: 422 with
    the room left, unless ``allow_over_ceiling`` (the call-off is then marked)."""
    state = g.api_obj
    party = next((p for p in state.parties if state.slug(p) == data["provider"]), None)
    if party is None:
        api_abort(
            422,
            messages={"provider": [_("Deze aanbieder doet niet mee.")]},
            message=_("Deze aanbieder doet niet mee."),
        )
    product = next((p for p in state.products if state.code(p.id) == data["product"]), None)
    if product is None:
        api_abort(
            422,
            messages={"product": [_("Dit product staat niet in de catalogus.")]},
            message=_("Dit product staat niet in de catalogus."),
        )
    try:
        row = ops.place_call_off(
            actor=require_user(),
            state=state,
            party=party,
            product=product,
            client=data["client"],
            quantity=data["quantity"],
            start=data["start"],
            end=data["end"],
            allow_over_ceiling=data["allow_over_ceiling"],
            note=data["note"],
        )
    except ContractRuleError as exc:
        _refuse(exc, conflict=state.agreement.status != AgreementStatus.ACTIVE)
    state.call_offs.append(row)
    state.__dict__.pop("catalogue", None)  # a new call-off may be priced at a new entry
    return _call_off(state, row)


@blp.route("/<org_slug>/framework-agreements/<int:agreement_id>/reports", methods=["GET"])
@framework_access(BUYER, PARTY, load=_state)
@blp.arguments(FrameworkReportArgs, location="query")
@blp.response(200, FrameworkReportList)
def list_reports(args, org_slug: str, agreement_id: int):
    """The 4-weekly reports (a party: its own); ``?period=3`` filters."""
    return {"items": _reports(g.api_obj, args["period"])}


@blp.route("/<org_slug>/framework-agreements/<int:agreement_id>/reports", methods=["POST"])
@framework_access(None, PARTY, load=_state)
@blp.arguments(FrameworkReportIn)
@blp.response(201, FrameworkReportOut)
def create_report(data, org_slug: str, agreement_id: int):
    """A party reports the units it delivered per call-off in one period. 409 for a closed
    period; 422 for a call-off that is not the party's or not running then, a second
    report on it for the period, or more units than were called off."""
    state, period = g.api_obj, data["period"]
    own = {c.id for c in state.call_offs}
    quantities = {}
    for i, line in enumerate(data["lines"]):
        if line["call_off_id"] not in own or line["call_off_id"] in quantities:
            message = _(
                "Afroep %(id)s is niet van u, of staat er twee keer in.", id=line["call_off_id"]
            )
            api_abort(422, messages={f"lines.{i}.call_off_id": [message]}, message=message)
        quantities[line["call_off_id"]] = line["quantity"]
    try:
        row = ops.submit_report(
            actor=require_user(),
            provider=g.api_org,
            state=state,
            period=period,
            quantities=quantities,
            note=data["note"],
        )
    except ContractRuleError as exc:
        _refuse(exc, conflict=isinstance(exc, ops.ClosedPeriod))
    c_by_id = state.call_off_by_id
    return {
        "id": row.id,
        "provider": g.api_org.slug,
        "period": period,
        "submitted_at": row.submitted_at,
        "note": row.note,
        "lines": [
            {
                "call_off_id": cid,
                "client": c_by_id[cid].client,
                "product": state.code(c_by_id[cid].product_id),
                "quantity": q,
            }
            for cid, q in sorted(quantities.items())
        ],
    }


def register() -> None:
    register_blueprint(blp)
