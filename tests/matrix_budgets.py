"""Access-matrix entries for the contracts module's budgets routes (merged into ``MATRIX``):
budgets, allocation versions, pooled district budgets and settlements, exports, arrangement
financing; pages and API.

Builders and kinds come from ``access_matrix``, which imports this file at its end. Each
builder makes a fresh budget (or scheme) in which the acting organisation has the part the
route is for: owner, partner, approver or provider."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from access_matrix import Covered, Org, _next, _system_user  # noqa: F401

FUNDERS = ("municipality", "region", "insurer")
BUYERS = ("municipality", "region")
SCHEME_KINDS = ("municipality", "region", "provider", "cooperative", "umbrella")


def _new_org(db, kind: str, prefix: str):
    from koepel.platform.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind(kind), slug=f"{prefix}-{_next()}", name=f"Matrix {prefix}")
    db.session.add(org)
    db.session.flush()
    return org


def _budget(db, owner, partner=None, *, kind="allocation", approver=None, period=None):
    """A budget of ``owner`` with € 1.000 from a fresh municipality and one partner."""
    from koepel.contracts import budgeting
    from koepel.contracts.models.budgets import BudgetKind
    from koepel.platform.tenancy import acting_for

    approver = approver or _new_org(db, "municipality", "gemeente")
    partner = partner or _new_org(db, "provider", "partner")
    start, end = period or (date(2020, 1, 1), date(2099, 12, 31))
    with acting_for(owner.id):
        budget = budgeting.create(
            actor=None,
            owner=owner,
            data=budgeting.BudgetData(
                title=f"Matrixpot {_next()}",
                kind=BudgetKind(kind),
                period_start=start,
                period_end=end,
                approver=approver,
            ),
        )
        view = budgeting.budget_for(owner, budget.id)
        funder = approver if approver.kind.value in FUNDERS else _new_org(db, "municipality", "f")
        budgeting.add_funding(
            actor=None, view=view, funder=funder, scheme="Wmo", amount_=Decimal("1000.00")
        )
        budgeting.add_partner(actor=None, view=view, partner=partner)
    return budget.id


def _propose(db, owner, budget_id):
    from koepel.contracts import allocation_versions, budgeting
    from koepel.contracts.models.budgets import AllocationMethod
    from koepel.platform.tenancy import acting_for

    with acting_for(owner.id):
        version = allocation_versions.propose(
            actor=None,
            view=budgeting.budget_for(owner, budget_id),
            method=AllocationMethod.EQUAL,
            inputs={},
        )
    return version.id


def _budget_for(db, org) -> dict[str, Any]:
    """A budget owned by ``org``."""
    return {"budget_id": _budget(db, org)}


def _version_for(db, org) -> dict[str, Any]:
    """A proposed version of a budget owned by ``org``."""
    budget_id = _budget(db, org)
    return {"budget_id": budget_id, "version_id": _propose(db, org, budget_id)}


def _api_version_for(db, org) -> dict[str, Any]:
    return {"version_id": _version_for(db, org)["version_id"]}


def _round_for(db, org) -> dict[str, Any]:
    """A proposals round of a budget owned by ``org``."""
    from koepel.contracts import allocation_versions, budgeting
    from koepel.platform.tenancy import acting_for

    budget_id = _budget(db, org)
    with acting_for(org.id):
        version = allocation_versions.open_round(
            actor=None, view=budgeting.budget_for(org, budget_id)
        )
    return {"budget_id": budget_id, "version_id": version.id}


def _partner_round_for(db, org) -> dict[str, Any]:
    """A proposals round of a fresh provider's budget in which ``org`` is a partner."""
    from koepel.contracts import allocation_versions, budgeting
    from koepel.platform.tenancy import acting_for

    owner = _new_org(db, "provider", "penvoerder")
    budget_id = _budget(db, owner, org)
    with acting_for(owner.id):
        version = allocation_versions.open_round(
            actor=None, view=budgeting.budget_for(owner, budget_id)
        )
    return {"budget_id": budget_id, "version_id": version.id}


def _partner_version_for(db, org) -> dict[str, Any]:
    """A proposed version of a fresh provider's budget in which ``org`` is a partner."""
    owner = _new_org(db, "provider", "penvoerder")
    budget_id = _budget(db, owner, org)
    return {"budget_id": budget_id, "version_id": _propose(db, owner, budget_id)}


def _agreed_for(db, org) -> dict[str, Any]:
    """A version every partner agreed to, of a budget ``org`` approves."""
    from koepel.contracts import allocation_versions, budgeting
    from koepel.platform.tenancy import acting_for

    owner = _new_org(db, "provider", "penvoerder")
    partner = _new_org(db, "provider", "partner")
    budget_id = _budget(db, owner, partner, approver=org)
    version_id = _propose(db, owner, budget_id)
    with acting_for(partner.id):
        allocation_versions.agree(
            actor=None, view=budgeting.budget_for(partner, budget_id), version_id=version_id
        )
    return {"budget_id": budget_id, "version_id": version_id}


def _district_for(db, org) -> dict[str, Any]:
    """A pooled budget (still running) of a fresh provider in which ``org`` is a partner."""
    owner = _new_org(db, "provider", "penvoerder")
    return {"budget_id": _budget(db, owner, org, kind="district")}


def _own_district_for(db, org) -> dict[str, Any]:
    """A pooled budget (still running) owned by ``org``."""
    return {"budget_id": _budget(db, org, kind="district")}


def _settled(db, org):
    """A pooled budget of 2015 owned by ``org``, with ``org`` as partner, settled."""
    from koepel.contracts import budgeting, districts
    from koepel.platform.tenancy import acting_for

    budget_id = _budget(
        db, org, org, kind="district", period=(date(2015, 1, 1), date(2015, 12, 31))
    )
    with acting_for(org.id):
        settlement = districts.compute(actor=None, view=budgeting.budget_for(org, budget_id))
    return budget_id, settlement.id


def _settlement_for(db, org) -> dict[str, Any]:
    budget_id, settlement_id = _settled(db, org)
    return {"budget_id": budget_id, "settlement_id": settlement_id}


def _api_settlement_for(db, org) -> dict[str, Any]:
    return {"settlement_id": _settled(db, org)[1]}


def _statement_for(db, org) -> dict[str, Any]:
    budget_id, settlement_id = _settled(db, org)
    return {"budget_id": budget_id, "settlement_id": settlement_id, "partner_id": org.id}


def _export_for(db, org) -> dict[str, Any]:
    """A finished export of a budget owned by ``org``, with its file."""
    from koepel.contracts import budget_exports
    from koepel.platform.jobs import enqueue
    from koepel.platform.tenancy import acting_for, cross_tenant

    budget_id = _budget(db, org)
    with acting_for(org.id):
        run = enqueue(
            budget_exports.JOB_NAME,
            tenant_id=org.id,
            kwargs={"kind": "allocations", "budget_id": budget_id},
        )
        db.session.info.pop("koepel_pending_jobs", None)  # never dispatched
    with cross_tenant("matrix set-up"):
        run.status = "done"
        db.session.flush()
    path = budget_exports.export_path(org.id, run.id, "xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK matrix")
    return {"budget_id": budget_id, "job_id": run.id, "fmt": "xlsx"}


def _scheme(db, buyer, provider=None) -> int:
    from koepel.contracts import arrangement_financing as ops
    from koepel.platform.tenancy import acting_for

    with acting_for(buyer.id):
        scheme = ops.create(
            actor=None, buyer=buyer, title="Matrix", year=2016, national_cut=Decimal(11)
        )
        if provider is not None:
            ops.add_cost(
                actor=None,
                scheme=scheme,
                complexity="low",
                intensity="low",
                cost_per_client=Decimal("2000.00"),
                clients=10,
            )
            ops.compute_tariffs(actor=None, scheme=scheme)
            db.session.refresh(scheme)
            ops.assign(
                actor=None,
                scheme=scheme,
                client_ref=f"MX-{_next()}",
                complexity="low",
                intensity="low",
                provider=provider,
                starts_on=date(2016, 1, 1),
                ends_on=date(2016, 12, 31),
            )
    return scheme.id


def _own_scheme_for(db, org) -> dict[str, Any]:
    return {"scheme_id": _scheme(db, org)}


def _scheme_for(db, org) -> dict[str, Any]:
    """The municipality's own scheme, or a scheme in which the provider has a client."""
    if org.kind.value in BUYERS:
        return {"scheme_id": _scheme(db, org)}
    return {"scheme_id": _scheme(db, _new_org(db, "municipality", "gemeente"), org)}


ENTRIES: dict[str, object] = {
    # pages: budgets
    "budgets.list": Org("budgets.view"),
    "budgets.new": Org("budgets.manage", methods=("GET", "POST")),
    "budgets.detail": Org("budgets.view", obj=_budget_for),
    "budgets.add_funding": Org("budgets.manage", obj=_budget_for, methods=("POST",)),
    "budgets.add_partner": Org("budgets.manage", obj=_budget_for, methods=("POST",)),
    "budgets.set_advance": Org("budgets.manage", obj=_own_district_for, methods=("POST",)),
    # pages: allocation versions
    "budgets.new_version": Org("budgets.manage", obj=_budget_for, methods=("GET", "POST")),
    "budgets.version": Org("budgets.view", obj=_version_for),
    "budgets.enter_proposal": Org("budgets.manage", obj=_partner_round_for, methods=("POST",)),
    "budgets.consolidate": Org("budgets.manage", obj=_round_for, methods=("POST",)),
    "budgets.agree": Org("budgets.manage", obj=_partner_version_for, methods=("POST",), ok=302),
    "budgets.approve": Org(
        "budgets.approve", kinds=FUNDERS, obj=_agreed_for, methods=("POST",), ok=302
    ),
    "budgets.comment": Org("budgets.manage", obj=_version_for, methods=("POST",)),
    # pages: pooled district budgets, settlements, exports
    "budgets.record_delivery": Org("budgets.manage", obj=_district_for, methods=("POST",)),
    "budgets.import_deliveries": Org("budgets.manage", obj=_district_for, methods=("POST",)),
    "budgets.settle": Org("budgets.manage", obj=_own_district_for, methods=("POST",), ok=302),
    "budgets.settlement": Org("budgets.view", obj=_settlement_for),
    "budgets.statement": Org("budgets.view", obj=_statement_for),
    "budgets.export": Org("budgets.view", obj=_budget_for, methods=("POST",), ok=400),
    "budgets.download": Org("budgets.view", obj=_export_for),
    # pages: arrangement financing
    "budgets.arrangements": Org(
        "budgets.view", kinds=BUYERS, methods=("GET", "POST"), post_action="budgets.manage"
    ),
    "budgets.arrangement": Org("budgets.view", kinds=SCHEME_KINDS, obj=_scheme_for),
    "budgets.add_cost": Org("budgets.manage", kinds=BUYERS, obj=_own_scheme_for, methods=("POST",)),
    "budgets.compute_tariffs": Org(
        "budgets.manage", kinds=BUYERS, obj=_own_scheme_for, methods=("POST",)
    ),
    "budgets.assign_client": Org(
        "budgets.manage", kinds=BUYERS, obj=_own_scheme_for, methods=("POST",)
    ),
    # API
    "api_budgets.list_budgets": Org("budgets.view"),
    "api_budgets.create_budget": Org("budgets.manage", methods=("POST",), ok=400),
    "api_budgets.get_budget": Org("budgets.view", obj=_budget_for),
    "api_budgets.list_allocations": Org("budgets.view", obj=_budget_for),
    "api_budgets.create_allocation": Org(
        "budgets.manage", obj=_budget_for, methods=("POST",), ok=400
    ),
    "api_budgets.get_allocation": Org("budgets.view", obj=_api_version_for),
    "api_budgets.list_settlements": Org("budgets.view", obj=_budget_for),
    "api_budgets.create_settlement": Org(
        "budgets.manage", obj=_budget_for, methods=("POST",), ok=409
    ),
    "api_budgets.get_settlement": Org("budgets.view", obj=_api_settlement_for),
}
