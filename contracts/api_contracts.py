"""The contracts API, under ``/api/v1/orgs/<slug>/``:

- ``GET contracts``: the contracts the organisation manages and those it is party to.
- ``POST contracts``: enter a draft contract without a tender (subsidy, pilot, insurer
  contract, ...) with its parties and options (``contracts.manage``; buyers, funders and
  umbrellas).
- ``GET contracts/<id>``: one contract with its parties, signatures, options, KPIs and
  their values, and the payments the organisation may see.
- ``POST contracts/<id>/kpis/<kpi_id>/values``: a contractor reports the value of a period
  (``contracts.report``).

The same rules as the pages (``koepel.contracts.contracting``, ``kpis``,
``contract_payments``) decide. Statuses: 400 for input that does not fit the schema (per
field), 404 for a contract the organisation neither manages nor is party to, 409 when the
contract's state refuses the change, 422 when a rule refuses a well-formed request (with
the field it is about). Errors are ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import g
from flask_babel import gettext as _
from flask_smorest import abort as api_abort
from marshmallow import validate
from sqlalchemy import select

from koepel.bids.org_api import org_access
from koepel.contracts import contract_ocds, contract_options, contract_payments, kpis
from koepel.contracts import contracting as ops
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import (
    ContractKind,
    ContractStatus,
    KpiDirection,
    KpiPeriod,
    OptionStatus,
    PartyRole,
    PaymentFrequency,
    PaymentKind,
    PaymentStatus,
)
from koepel.platform.api.core import ApiBlueprint, register_blueprint, require_user
from koepel.platform.api.fields import DecimalString
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind

blp = ApiBlueprint(
    "api_contracts",
    __name__,
    url_prefix="/api/v1/orgs",
    description="Contracten: partijen, handtekeningen, opties, prestatie-indicatoren, betalingen",
)
ALL_KINDS = tuple(OrgKind)


# -- schemas ----------------------------------------------------------------------------------
class ContractOrganisationOut(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()


class ContractPartyOut(ma.Schema):
    id = ma.fields.Integer()
    organisation = ma.fields.Nested(ContractOrganisationOut)
    role = ma.fields.Enum(PartyRole, by_value=True)


class ContractSignatureOut(ma.Schema):
    party_id = ma.fields.Integer()
    counterparty_id = ma.fields.Integer()
    signed_at = ma.fields.DateTime()


class ContractOptionOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    months = ma.fields.Integer()
    decision_date = ma.fields.Date()
    status = ma.fields.Enum(OptionStatus, by_value=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    note = ma.fields.String()


class ContractKpiValueOut(ma.Schema):
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    period = ma.fields.String(metadata={"description": "the period in words, e.g. K1 2026"})
    value = DecimalString()
    note = ma.fields.String()
    reported_at = ma.fields.DateTime()
    meets_target = ma.fields.Boolean()


class ContractKpiOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    description = ma.fields.String()
    unit = ma.fields.String()
    target = DecimalString()
    direction = ma.fields.Enum(KpiDirection, by_value=True)
    period = ma.fields.Enum(KpiPeriod, by_value=True)
    values = ma.fields.List(ma.fields.Nested(ContractKpiValueOut))


class ContractPaymentOut(ma.Schema):
    id = ma.fields.Integer()
    party_id = ma.fields.Integer()
    kind = ma.fields.Enum(PaymentKind, by_value=True)
    year = ma.fields.Integer()
    period_index = ma.fields.Integer(allow_none=True)
    period_start = ma.fields.Date(allow_none=True)
    period_end = ma.fields.Date(allow_none=True)
    amount = DecimalString()
    settled = ma.fields.Boolean()
    reason = ma.fields.String()
    status = ma.fields.Enum(PaymentStatus, by_value=True)
    paid_on = ma.fields.Date(allow_none=True)


class ContractSettlementOut(ma.Schema):
    party_id = ma.fields.Integer()
    year = ma.fields.Integer()
    delivered = DecimalString()
    advances = DecimalString()
    settled_supplements = DecimalString()
    kept_supplements = DecimalString()
    balance = DecimalString()
    summary = ma.fields.String()


class ContractPaymentsOut(ma.Schema):
    complete = ma.fields.Boolean(
        metadata={"description": "every party's payments (else only the organisation's own)"}
    )
    items = ma.fields.List(ma.fields.Nested(ContractPaymentOut))
    settlements = ma.fields.List(ma.fields.Nested(ContractSettlementOut))


class ContractSummaryOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    kind = ma.fields.Enum(ContractKind, by_value=True)
    status = ma.fields.Enum(ContractStatus, by_value=True)
    owner = ma.fields.String()
    role = ma.fields.Enum(PartyRole, by_value=True, allow_none=True)
    start_date = ma.fields.Date()
    end_date = ma.fields.Date()
    value = DecimalString(allow_none=True)


class ContractList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ContractSummaryOut))


class ContractOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    kind = ma.fields.Enum(ContractKind, by_value=True)
    status = ma.fields.Enum(ContractStatus, by_value=True)
    owner = ma.fields.Nested(ContractOrganisationOut)
    tender_id = ma.fields.Integer(allow_none=True)
    lot_ids = ma.fields.List(ma.fields.Integer())
    value = DecimalString(allow_none=True)
    yearly_amount = DecimalString(allow_none=True)
    payment_frequency = ma.fields.Enum(PaymentFrequency, by_value=True)
    start_date = ma.fields.Date()
    initial_months = ma.fields.Integer()
    end_date = ma.fields.Date()
    signed_at = ma.fields.DateTime(allow_none=True)
    closing_reason = ma.fields.String()
    parties = ma.fields.List(ma.fields.Nested(ContractPartyOut))
    signatures = ma.fields.List(ma.fields.Nested(ContractSignatureOut))
    fully_signed = ma.fields.Boolean()
    options = ma.fields.List(ma.fields.Nested(ContractOptionOut))
    kpis = ma.fields.List(ma.fields.Nested(ContractKpiOut))
    payments = ma.fields.Nested(ContractPaymentsOut)


class ContractPartyIn(ma.Schema):
    organisation = ma.fields.String(
        required=True, error_messages={"required": "Geef de organisatie (haar slug)."}
    )
    role = ma.fields.Enum(
        PartyRole, by_value=True, required=True, error_messages={"required": "Kies een rol."}
    )


class ContractOptionIn(ma.Schema):
    months = ma.fields.Integer(
        required=True,
        validate=validate.Range(1, 120, error="Een optie verlengt met 1 tot 120 maanden."),
    )
    decision_date = ma.fields.Date(
        required=True, error_messages={"required": "Geef de beslisdatum."}
    )


class ContractIn(ma.Schema):
    title = ma.fields.String(
        required=True,
        validate=validate.Length(
            1, 300, error="Geef het contract een titel (hoogstens 300 tekens)."
        ),
    )
    kind = ma.fields.Enum(
        ContractKind, by_value=True, required=True, error_messages={"required": "Kies een soort."}
    )
    description = ma.fields.String(load_default="", validate=validate.Length(max=20000))
    value = DecimalString(load_default=None, allow_none=True)
    yearly_amount = DecimalString(load_default=None, allow_none=True)
    payment_frequency = ma.fields.Enum(
        PaymentFrequency, by_value=True, load_default=PaymentFrequency.MONTHS
    )
    start_date = ma.fields.Date(required=True, error_messages={"required": "Geef de begindatum."})
    initial_months = ma.fields.Integer(
        required=True, validate=validate.Range(1, 240, error="De looptijd is 1 tot 240 maanden.")
    )
    option_reminder_days = ma.fields.Integer(load_default=90)
    kpi_window_days = ma.fields.Integer(load_default=60)
    shares_figures = ma.fields.Boolean(load_default=False)
    parties = ma.fields.List(ma.fields.Nested(ContractPartyIn), load_default=list)
    options = ma.fields.List(ma.fields.Nested(ContractOptionIn), load_default=list)

    @ma.validates("kind")
    def _not_award(self, value: ContractKind, **_kwargs: Any) -> None:
        if value == ContractKind.AWARD:
            raise ma.ValidationError(
                _("Een contract na een aanbesteding maakt u van de gunning, op de pagina.")
            )


class ContractKpiValueIn(ma.Schema):
    period_start = ma.fields.Date(
        required=True,
        error_messages={"required": "Geef de periode: een datum erin, bijvoorbeeld 2026-01-01."},
    )
    value = DecimalString(
        required=True, example="7.5", error_messages={"required": "Geef de waarde."}
    )
    note = ma.fields.String(load_default="", validate=validate.Length(max=5000))


# -- helpers ----------------------------------------------------------------------------------
def _refuse(exc: ContractRuleError) -> None:
    """A rule said no: about a field (422, per field) or about the state (409)."""
    if exc.field is None:
        api_abort(409, message=str(exc))
    api_abort(422, messages={exc.field: [str(exc)]}, message=str(exc))


def _seen(org: Organisation, contract_id: int):
    return ops.seen_contract(org, contract_id)


def _seen_kpi(org: Organisation, contract_id: int, kpi_id: int):
    """The contract, when the indicator in the URL is one of its own (else 404, before any
    rule looks at the contract's state)."""
    seen = _seen(org, contract_id)
    if seen is None or not any(k.id == kpi_id for k in kpis.kpis_of(seen)):
        return None
    return seen


def _contract_dict(seen: ops.Seen) -> dict[str, Any]:
    contract = seen.contract
    values_by_kpi: dict[int, list] = {}
    for value in kpis.values_of(seen):
        values_by_kpi.setdefault(value.kpi_id, []).append(value)
    kpi_items = []
    for kpi in kpis.kpis_of(seen):
        kpi_items.append(
            {
                "id": kpi.id,
                "name": kpi.name,
                "description": kpi.description,
                "unit": kpi.unit,
                "target": kpi.target,
                "direction": kpi.direction,
                "period": kpi.period,
                "values": [
                    {
                        "period_start": v.period_start,
                        "period_end": v.period_end,
                        "period": kpis.span_of(v.period_start, kpi.period).label,
                        "value": v.value,
                        "note": v.note,
                        "reported_at": v.reported_at,
                        "meets_target": kpis.meets(v.value, kpi.target, kpi.direction),
                    }
                    for v in values_by_kpi.get(kpi.id, [])
                ],
            }
        )
    paid = contract_payments.payments_of(seen)
    return {
        "id": contract.id,
        "title": contract.title,
        "description": contract.description,
        "kind": contract.kind,
        "status": contract.status,
        "owner": seen.owner,
        "tender_id": contract.tender_id,
        "lot_ids": [lot.lot_id for lot in contract.lots],
        "value": contract.value,
        "yearly_amount": contract.yearly_amount,
        "payment_frequency": contract.payment_frequency,
        "start_date": contract.start_date,
        "initial_months": contract.initial_months,
        "end_date": contract.end_date,
        "signed_at": contract.signed_at,
        "closing_reason": contract.closing_reason,
        "parties": seen.parties,
        "signatures": seen.signatures,
        "fully_signed": contract.signed_at is not None,
        "options": contract.options,
        "kpis": kpi_items,
        "payments": {
            "complete": paid.complete,
            "items": paid.payments,
            "settlements": paid.settlements,
        },
    }


# -- endpoints --------------------------------------------------------------------------------
@blp.route("/<org_slug>/contracts", methods=["GET"])
@org_access("contracts.view", ALL_KINDS)
@blp.response(200, ContractList)
def list_contracts(org_slug: str):
    """The contracts the organisation manages, then those it is party to."""
    org = g.api_org
    own = ops.own_contracts(org) if org.kind in ops.OWNER_KINDS else []
    return {"items": own + ops.contracts_as_party(org)}


@blp.route("/<org_slug>/contracts", methods=["POST"])
@org_access("contracts.manage", ops.OWNER_KINDS)
@blp.arguments(ContractIn)
@blp.response(201, ContractOut)
def create_contract(data, org_slug: str):
    """Enter a draft contract without a tender. Amounts are strings ("8500000.00"); parties
    are named by their slug; options in order of their decision dates."""
    org, actor = g.api_org, require_user()
    parties = []
    for party in data.pop("parties"):
        found = db.session.scalar(
            select(Organisation).where(Organisation.slug == party["organisation"])
        )
        if found is None or not found.is_active:
            message = _("Organisatie %(slug)s bestaat niet.", slug=party["organisation"])
            api_abort(422, messages={"parties": [message]}, message=message)
        parties.append((found, party["role"]))
    option_rows = data.pop("options")
    try:
        contract = ops.create(
            actor=actor, owner=org, data=ops.ContractData(**data), parties=parties
        )
        for option in option_rows:
            contract_options.add_option(
                actor=actor,
                owner=org,
                contract=contract,
                months=option["months"],
                decision_date=option["decision_date"],
            )
    except ContractRuleError as exc:
        # Nothing is committed: the request's unit of work ends without a commit.
        api_abort(422, messages={exc.field or "_schema": [str(exc)]}, message=str(exc))
    return _contract_dict(ops.seen_contract(org, contract.id))


@blp.route("/<org_slug>/contracts/<int:contract_id>", methods=["GET"])
@org_access("contracts.view", ALL_KINDS, load=_seen)
@blp.response(200, ContractOut)
def get_contract(org_slug: str, contract_id: int):
    """One contract as the organisation may see it: a party sees its own payments only,
    unless the contract shares every party's."""
    return _contract_dict(g.api_obj)


@blp.route("/<org_slug>/contracts/<int:contract_id>/kpis/<int:kpi_id>/values", methods=["POST"])
@org_access("contracts.report", ALL_KINDS, load=_seen_kpi)
@blp.arguments(ContractKpiValueIn)
@blp.response(201, ContractKpiValueOut)
def report_kpi_value(data, org_slug: str, contract_id: int, kpi_id: int):
    """A contractor reports the value of a period (any day in it): 422 for a period that is
    not over or whose reporting window has closed, 409 when the contract is not running."""
    seen = g.api_obj
    try:
        row = kpis.report(
            actor=require_user(),
            org=g.api_org,
            seen=seen,
            kpi_id=kpi_id,
            period_start=data["period_start"],
            value=data["value"],
            note=data["note"],
        )
    except ContractRuleError as exc:
        if exc.field == "kpi":
            api_abort(404)
        _refuse(exc)
    kpi = next(k for k in kpis.kpis_of(seen) if k.id == kpi_id)
    return {
        "period_start": row.period_start,
        "period_end": row.period_end,
        "period": kpis.span_of(row.period_start, kpi.period).label,
        "value": row.value,
        "note": row.note,
        "reported_at": row.reported_at,
        "meets_target": kpis.meets(row.value, kpi.target, kpi.direction),
    }


def register() -> None:
    register_blueprint(blp)
    contract_ocds.register()
