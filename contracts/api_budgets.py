"""The budgets, allocations and settlements API, under ``/api/v1/orgs/<slug>/``.

Every handler goes through the same rules and the same named functions as the pages
(``koepel.contracts.budgeting``, ``allocation_versions``, ``districts``), so the API shows
exactly what the pages show:

- ``budgets``: the budgets the organisation owns or is a party to (partner, funder,
  approver). ``POST`` makes one with its funding lines and partners (``budgets.manage``).
- ``budgets/<id>/allocations``: its versions; ``POST`` proposes a new version (the owner),
  or, for ``"method": "proposals"`` without shares, opens a proposals round.
- ``allocations/<id>``: one version with its shares and the reason for each; a
  subcontractor gets its own share and the totals.
- ``budgets/<id>/settlements`` and ``settlements/<id>``: a pooled budget's settlement; the
  owner sees every position and transfer, a partner its own statement and the totals, a
  funder the totals and its refunds.

Amounts are strings ("8500000.00"). Statuses: 400 for input that does not fit the schema,
404 for a budget (or version, settlement) the organisation is no party to, 409 when the
object's state refuses, 422 when a rule refuses the input (per field where it names one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g
from flask_smorest import abort as api_abort

from koepel.contracts import allocation_versions as versions_ops
from koepel.contracts import budgeting, districts
from koepel.contracts.api_budget_schemas import (
    AllocationIn,
    AllocationList,
    AllocationOut,
    BudgetIn,
    BudgetList,
    BudgetOut,
    DistrictSettlementList,
    DistrictSettlementOut,
)
from koepel.contracts.budgeting import BudgetView, explanation_text
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.budgets import (
    AllocationMethod,
    BudgetKind,
)
from koepel.platform.api.core import ApiBlueprint, org_endpoint, register_blueprint, require_user
from koepel.platform.extensions import db
from koepel.platform.models import Organisation

blp = ApiBlueprint(
    "api_budgets",
    __name__,
    url_prefix="/api/v1/orgs",
    description="Budgetten, verdelingen tussen partners en verrekeningen van wijkpotten",
)


def register() -> None:
    register_blueprint(blp)


def org_access(action: str, load: Callable[..., Any] | None = None):
    """The acting organisation with ``action``, and the budget named in the URL
    (``load(org, **url_args)``, 404 when it is no party to it); see ``org_endpoint``."""
    return org_endpoint(action, load=load)


# -- helpers -------------------------------------------------------------------------------------
def _refuse(exc: ContractRuleError) -> None:
    """A rule said no: the object's state (409) or the request's content (422)."""
    if getattr(exc, "state", False):
        api_abort(409, message=str(exc))
    field = getattr(exc, "field", None)
    pid = versions_ops.key_partner(field)
    if pid is not None:
        org = db.session.get(Organisation, pid)
        field = f"shares.{org.slug if org else pid}"
    api_abort(422, messages={field or "_schema": [str(exc)]}, message=str(exc))


def _org_by_slug(slug: str, field: str, kinds=None) -> Organisation:
    org = db.session.scalar(
        db.select(Organisation).where(Organisation.slug == slug, Organisation.is_active.is_(True))
    )
    if org is None or (kinds is not None and org.kind not in kinds):
        message = f"Onbekende organisatie: {slug}."
        api_abort(422, messages={field: [message]}, message=message)
    return org


def _budget(org: Organisation, budget_id: int) -> BudgetView | None:
    return budgeting.budget_for(org, budget_id)


def _version_budget(org: Organisation, version_id: int) -> BudgetView | None:
    budget_id = versions_ops.budget_of_version(version_id)
    return budgeting.budget_for(org, budget_id) if budget_id is not None else None


def _settlement_budget(org: Organisation, settlement_id: int) -> BudgetView | None:
    budget_id = districts.budget_of_settlement(settlement_id)
    return budgeting.budget_for(org, budget_id) if budget_id is not None else None


def _org(org: Organisation | None) -> dict[str, str] | None:
    return {"slug": org.slug, "name": org.name} if org is not None else None


def _summary(view: BudgetView) -> dict[str, Any]:
    b = view.budget
    return {
        "id": b.id,
        "title": b.title,
        "kind": b.kind.value,
        "period_start": b.period_start,
        "period_end": b.period_end,
        "owner": _org(b.owner),
        "approver": _org(b.approver),
        "total": b.total,
        "relation": {
            "owner": view.is_owner,
            "partner": view.is_partner,
            "subcontractor": view.is_sub,
            "funder": view.is_funder,
            "approver": view.is_approver,
        },
    }


def _version_summary(v) -> dict[str, Any]:
    return {
        "id": v.id,
        "number": v.number,
        "method": v.method.value,
        "status": v.status.value,
        "total": v.total,
        "created_at": v.created_at,
        "approved_at": v.approved_at,
    }


def _budget_dict(view: BudgetView) -> dict[str, Any]:
    b = view.budget
    result = _summary(view)
    settlement = districts.settled(view) if b.kind == BudgetKind.DISTRICT else None
    result.update(
        description=b.description,
        contract_id=b.contract_id,
        share_deliveries=b.share_deliveries,
        surplus_rule=b.surplus_rule.value,
        funding=[
            {"funder": _org(f.funder), "scheme": f.scheme, "amount": f.amount} for f in b.funding
        ],
        partners=[
            {
                "organisation": _org(p.partner),
                "role": p.role.value,
                "advance": p.advance if view.is_owner or p.partner_id == view.org.id else None,
            }
            for p in b.partners
        ],
        allocations=[_version_summary(v) for v in versions_ops.versions(view)]
        if b.kind == BudgetKind.ALLOCATION
        else [],
        settlement_id=settlement.id if settlement else None,
    )
    return result


def _allocation_dict(view: BudgetView, data: versions_ops.VersionData) -> dict[str, Any]:
    v = data.version
    result = _version_summary(v)
    shares = versions_ops.visible_shares(view, data)
    result.update(
        budget_id=v.budget_id,
        distributable=v.distributable,
        unallocated=v.unallocated,
        reserve=v.reserve_result,
        reserve_explanation=explanation_text(v.reserve_explanation),
        note=v.note,
        proposed_at=v.proposed_at,
        agreed_at=v.agreed_at,
        shares=[
            {
                "partner": _org(s.partner),
                "amount": s.amount,
                "proposed": s.proposed,
                "percentage": s.percentage,
                "lines": s.lines or [],
                "explanation": explanation_text(s.explanation),
                "agreed_at": data.agreements[s.partner_id].agreed_at
                if s.partner_id in data.agreements
                else None,
            }
            for s in shares
        ],
        initiatives=[
            {
                "name": s.initiative,
                "weight": s.weight,
                "amount": s.amount,
                "explanation": explanation_text(s.explanation),
            }
            for s in (data.initiatives if view.sees_all_shares else [])
        ],
        partners_total=versions_ops.total_of(data.shares) if view.sees_all_shares else None,
        comments=[
            {"organisation": _org(c.organisation), "body": c.body, "created_at": c.created_at}
            for c in data.comments
        ],
    )
    return result


def _transfer(t) -> dict[str, Any]:
    return {"payer": t.payer, "payee": t.payee, "amount": t.amount}


def _settlement_dict(view: BudgetView, data: districts.SettlementData) -> dict[str, Any]:
    s = data.settlement
    statement = None
    if data.statement is not None:
        st = data.statement
        statement = {
            "partner": _org(st.partner),
            "lines": [
                {
                    "product": line.product,
                    "unit": line.unit,
                    "tariff": line.tariff,
                    "quantity": str(line.quantity),
                    "value": str(line.value),
                }
                for line in st.lines
            ],
            "value": str(st.position.value),
            "due": st.position.due,
            "received": st.position.received,
            "position": st.position.position,
            "explanation": explanation_text(st.position.explanation),
            "pays": [_transfer(t) for t in st.pays],
            "receives": [_transfer(t) for t in st.receives],
        }
    return {
        "id": s.id,
        "budget_id": s.budget_id,
        "computed_at": s.computed_at,
        "pool": s.pool,
        "total_due": data.total_due,
        "surplus": s.surplus,
        "surplus_rule": s.surplus_rule.value,
        "capped": s.capped,
        "fewest_transfers_proven": s.exact,
        "positions": [
            {
                "partner": _org(p.partner),
                "value": str(p.value),
                "due": p.due,
                "received": p.received,
                "position": p.position,
                "explanation": explanation_text(p.explanation),
            }
            for p in data.positions
        ],
        "transfers": [_transfer(t) for t in data.transfers],
        "refunds": [
            {
                "funder": _org(line.funder),
                "scheme": line.scheme,
                "amount": r.amount,
                "explanation": explanation_text(r.explanation),
            }
            for r in data.refunds
            if (line := districts.funding_line(view, r)) is not None
        ],
        "statement": statement,
    }


# -- budgets -------------------------------------------------------------------------------------
@blp.route("/<org_slug>/budgets", methods=["GET"])
@org_access("budgets.view")
@blp.response(200, BudgetList)
def list_budgets(org_slug: str):
    """The budgets the organisation owns or is a partner, funder or approver of."""
    return {"items": [_summary(v) for v in budgeting.budgets_for(g.api_org)]}


@blp.route("/<org_slug>/budgets", methods=["POST"])
@org_access("budgets.manage")
@blp.arguments(BudgetIn)
@blp.response(201, BudgetOut)
def create_budget(data: dict[str, Any], org_slug: str):
    """A new budget owned by the organisation, with its funding lines and partners.
    Organisations are named by slug; amounts are strings ("8500000.00")."""
    actor, owner = require_user(), g.api_org
    approver = _org_by_slug(data["approver"], "approver", budgeting.FUNDER_KINDS)
    funding = [
        (_org_by_slug(f["funder"], "funding", budgeting.FUNDER_KINDS), f) for f in data["funding"]
    ]
    partners = [(_org_by_slug(p["organisation"], "partners"), p) for p in data["partners"]]
    try:
        budget = budgeting.create(
            actor=actor,
            owner=owner,
            data=budgeting.BudgetData(
                title=data["title"],
                kind=data["kind"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                approver=approver,
                description=data["description"],
                contract_id=data["contract_id"],
                share_deliveries=data["share_deliveries"],
                surplus_rule=data["surplus_rule"],
            ),
        )
        view = budgeting.budget_for(owner, budget.id)
        for funder, line in funding:
            budgeting.add_funding(
                actor=actor, view=view, funder=funder, scheme=line["scheme"], amount_=line["amount"]
            )
        for partner, row in partners:
            budgeting.add_partner(
                actor=actor,
                view=view,
                partner=partner,
                role=row["role"],
                advance=row["advance"] or 0,
            )
    except ContractRuleError as exc:
        db.session.rollback()
        _refuse(exc)
    return _budget_dict(budgeting.budget_for(owner, budget.id))


@blp.route("/<org_slug>/budgets/<int:budget_id>", methods=["GET"])
@org_access("budgets.view", load=_budget)
@blp.response(200, BudgetOut)
def get_budget(org_slug: str, budget_id: int):
    """One budget: funding, partners, allocation versions, its settlement's id."""
    return _budget_dict(g.api_obj)


# -- allocations ---------------------------------------------------------------------------------
@blp.route("/<org_slug>/budgets/<int:budget_id>/allocations", methods=["GET"])
@org_access("budgets.view", load=_budget)
@blp.response(200, AllocationList)
def list_allocations(org_slug: str, budget_id: int):
    """The budget's allocation versions, newest first (superseded ones included)."""
    return {"items": [_version_summary(v) for v in versions_ops.versions(g.api_obj)]}


@blp.route("/<org_slug>/budgets/<int:budget_id>/allocations", methods=["POST"])
@org_access("budgets.manage", load=_budget)
@blp.arguments(AllocationIn)
@blp.response(201, AllocationOut)
def create_allocation(data: dict[str, Any], org_slug: str, budget_id: int):
    """A new version that supersedes the current one. ``shares`` per partner (slug): a
    ``proposed`` amount, a ``percentage`` or volume ``lines``; nothing for equal shares.
    ``"method": "proposals"`` without shares opens a round for the partners' own proposals."""
    view: BudgetView = g.api_obj
    partner_ids = {p.partner.slug: p.partner_id for p in view.budget.partners}
    inputs: dict[int, versions_ops.ShareInput] = {}
    for share in data["shares"]:
        pid = partner_ids.get(share["partner"])
        if pid is None:
            message = f"{share['partner']} is geen partner in deze pot."
            api_abort(422, messages={"shares": [message]}, message=message)
        inputs[pid] = versions_ops.ShareInput(
            proposed=share["proposed"],
            percentage=share["percentage"],
            lines=[
                versions_ops.VolumeInput(line["volume"], line["tariff"], line["product"])
                for line in share["lines"]
            ],
        )
    reserve = None
    if data["reserve"]:
        raw = data["reserve"]
        reserve = versions_ops.ReserveInput(
            amount=raw["amount"],
            percent=raw["percent"],
            initiatives={i["name"]: i["weight"] for i in raw["initiatives"]},
        )
    try:
        if data["method"] == AllocationMethod.PROPOSALS and not inputs:
            version = versions_ops.open_round(
                actor=require_user(), view=view, reserve=reserve, note=data["note"]
            )
        else:
            version = versions_ops.propose(
                actor=require_user(),
                view=view,
                method=data["method"],
                inputs=inputs,
                reserve=reserve,
                note=data["note"],
            )
    except ContractRuleError as exc:
        _refuse(exc)
    return _allocation_dict(view, versions_ops.load(view, version.id))


@blp.route("/<org_slug>/allocations/<int:version_id>", methods=["GET"])
@org_access("budgets.view", load=_version_budget)
@blp.response(200, AllocationOut)
def get_allocation(org_slug: str, version_id: int):
    """One version: every share (a subcontractor: its own) with how it was computed, the
    agreements and the comments."""
    data = versions_ops.load(g.api_obj, version_id)
    if data is None:
        abort(404)
    return _allocation_dict(g.api_obj, data)


# -- settlements ---------------------------------------------------------------------------------
@blp.route("/<org_slug>/budgets/<int:budget_id>/settlements", methods=["GET"])
@org_access("budgets.view", load=_budget)
@blp.response(200, DistrictSettlementList)
def list_settlements(org_slug: str, budget_id: int):
    """The pooled budget's settlement (a list of one once it is settled, else empty)."""
    data = districts.load_settlement(g.api_obj)
    return {"items": [_settlement_dict(g.api_obj, data)] if data else []}


@blp.route("/<org_slug>/budgets/<int:budget_id>/settlements", methods=["POST"])
@org_access("budgets.manage", load=_budget)
@blp.response(201, DistrictSettlementOut)
def create_settlement(org_slug: str, budget_id: int):
    """Settle the pooled budget at the end of its period (the owner, once): 409 before the
    period ends, when it is settled already or it is no pooled budget."""
    view: BudgetView = g.api_obj
    try:
        districts.compute(actor=require_user(), view=view)
    except ContractRuleError as exc:
        _refuse(exc)
    return _settlement_dict(view, districts.load_settlement(view))


@blp.route("/<org_slug>/settlements/<int:settlement_id>", methods=["GET"])
@org_access("budgets.view", load=_settlement_budget)
@blp.response(200, DistrictSettlementOut)
def get_settlement(org_slug: str, settlement_id: int):
    """A settlement as the organisation may see it: the owner everything, a partner its own
    statement and the totals, a funder the totals and its refunds."""
    data = districts.load_settlement(g.api_obj, settlement_id)
    if data is None:
        abort(404)
    return _settlement_dict(g.api_obj, data)
