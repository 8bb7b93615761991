"""Access-matrix entries for the contracts module's umbrella-contracting routes (merged into
``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end. Each
builder makes a fresh umbrella contract in which the acting organisation has the part the
route is for: the umbrella that owns it, a participating member cooperative, or the funder."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from access_matrix import Covered, Org, _next  # noqa: F401

PARTIES = ("umbrella", "cooperative", "insurer", "municipality", "region")
FUNDERS = ("insurer", "municipality", "region")


def _new_org(db, kind: str, prefix: str):
    from koepel.platform.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind(kind), slug=f"{prefix}-{_next()}", name=f"Matrix {prefix}")
    db.session.add(org)
    db.session.flush()
    return org


def _contract(db, org) -> tuple[Any, list, Any, int]:
    """An umbrella contract in which ``org`` is the umbrella, a member or the funder; it
    started ten months ago, so last month can be reported."""
    from koepel.contracts import contracting
    from koepel.contracts import umbrella_contracting as uc
    from koepel.contracts.models.core import ContractKind, add_months
    from koepel.contracts.models.umbrella import ReportPeriod
    from koepel.platform.models import Affiliation, AffiliationKind
    from koepel.platform.tenancy import acting_for

    kind = org.kind.value
    umbrella = org if kind == "umbrella" else _new_org(db, "umbrella", "koepel")
    member = org if kind == "cooperative" else _new_org(db, "cooperative", "lid")
    funder = org if kind in FUNDERS else _new_org(db, "insurer", "verzekeraar")
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=member.id,
            start_date=date(2020, 1, 1),
        )
    )
    db.session.flush()
    month = uc.period_of(uc.today_local(), ReportPeriod.MONTH).start
    with acting_for(umbrella.id):
        arrangement = uc.enter_contract(
            actor=None,
            umbrella=umbrella,
            data=contracting.ContractData(
                title=f"Matrixcontract {_next()}",
                kind=ContractKind.INSURER,
                start_date=add_months(month, -10),
                initial_months=12,
                yearly_amount=Decimal("1000.00"),
            ),
            funder=funder,
            members=[member],
        )
    return umbrella, [member], funder, arrangement.contract_id


def _view(org, contract_id):
    from koepel.contracts import umbrella_contracting as uc
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        return uc.umbrella_view(org, contract_id)


def _allocate(umbrella, members, contract_id) -> int:
    from koepel.contracts import umbrella_contracting as uc
    from koepel.platform.tenancy import acting_for

    with acting_for(umbrella.id):
        version = uc.allocate_to_members(
            actor=None,
            view=_view(umbrella, contract_id),
            tariff=Decimal("10.00"),
            volumes={m.id: Decimal(100) for m in members},
        )
    return version.id


def _agree_all(members, contract_id, version_id) -> None:
    from koepel.contracts import umbrella_contracting as uc
    from koepel.platform.tenancy import acting_for

    for member in members:
        with acting_for(member.id):
            uc.member_agrees(actor=None, view=_view(member, contract_id), version_id=version_id)


def _contract_for(db, org) -> dict[str, Any]:
    return {"contract_id": _contract(db, org)[3]}


def _proposed_for(db, org) -> dict[str, Any]:
    umbrella, members, _funder, contract_id = _contract(db, org)
    return {"contract_id": contract_id, "version_id": _allocate(umbrella, members, contract_id)}


def _agreed_for(db, org) -> dict[str, Any]:
    umbrella, members, _funder, contract_id = _contract(db, org)
    version_id = _allocate(umbrella, members, contract_id)
    _agree_all(members, contract_id, version_id)
    return {"contract_id": contract_id, "version_id": version_id}


def _ready_report_for(db, org) -> dict[str, Any]:
    """A finished combined report of last month, made by its job."""
    from koepel.contracts import umbrella_contracting as uc
    from koepel.contracts.models.core import add_months
    from koepel.contracts.models.umbrella import ReportPeriod
    from koepel.platform.jobs import execute
    from koepel.platform.tenancy import acting_for

    umbrella, members, _funder, contract_id = _contract(db, org)
    version_id = _allocate(umbrella, members, contract_id)
    _agree_all(members, contract_id, version_id)
    with acting_for(umbrella.id):
        uc.umbrella_approves(actor=None, view=_view(umbrella, contract_id), version_id=version_id)
    month = uc.period_of(uc.today_local(), ReportPeriod.MONTH).start
    period = uc.period_of(add_months(month, -1), ReportPeriod.MONTH)
    with acting_for(members[0].id):
        uc.report(
            actor=None,
            view=_view(members[0], contract_id),
            period=period,
            volume=Decimal(5),
            hours=Decimal(6),
        )
    with acting_for(umbrella.id):
        row = uc.request_combined_report(
            actor=None, view=_view(umbrella, contract_id), period=period
        )
        run_id, report_id = row.job_run_id, row.id
    db.session.info.pop("koepel_pending_jobs", None)
    execute(run_id)
    return {"contract_id": contract_id, "report_id": report_id, "fmt": "pdf"}


ENTRIES: dict[str, object] = {
    "umbrella_contracts.list": Org("contracts.view", kinds=PARTIES),
    "umbrella_contracts.new": Org("contracts.manage", kinds=("umbrella",), methods=("GET", "POST")),
    "umbrella_contracts.detail": Org("contracts.view", kinds=PARTIES, obj=_contract_for),
    "umbrella_contracts.allocate": Org(
        "contracts.manage", kinds=("umbrella",), obj=_contract_for, methods=("GET", "POST")
    ),
    "umbrella_contracts.agree": Org(
        "budgets.manage", kinds=("cooperative",), obj=_proposed_for, methods=("POST",), ok=302
    ),
    "umbrella_contracts.approve": Org(
        "contracts.manage", kinds=("umbrella",), obj=_agreed_for, methods=("POST",), ok=302
    ),
    "umbrella_contracts.report": Org(
        "contracts.report", kinds=("cooperative",), obj=_contract_for, methods=("POST",)
    ),
    "umbrella_contracts.combined": Org(
        "contracts.manage", kinds=("umbrella",), obj=_contract_for, methods=("POST",)
    ),
    "umbrella_contracts.download": Org(
        "contracts.view", kinds=("umbrella", *FUNDERS), obj=_ready_report_for
    ),
}
