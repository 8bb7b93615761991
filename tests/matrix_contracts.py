"""Access-matrix entries for the contracts module's contracts routes (merged into ``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end.

A contract is reached by its owner (buyers, funders, umbrellas) or by a party to it: the
builders give an owner kind its own contract and any other kind a contract of a fresh
municipality to which it is a main contractor, so every kind reaches the pages meant for
parties. Empty POSTs are answered with the form's message (200) unless said otherwise.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from access_matrix import Covered, Org, _next, _system_user  # noqa: F401

OWNER = ("municipality", "region", "insurer", "umbrella")
BUYER = ("municipality", "region")
PARTNER = ("cooperative", "umbrella", "provider")


def _fresh(db, kind: str, name: str):
    from koepel.platform.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind(kind), slug=f"mc-{kind}-{_next()}", name=name)
    db.session.add(org)
    db.session.flush()
    return org


def _contract(db, org, **extras: bool) -> dict[str, Any]:
    """A draft contract ``org`` reaches (its own where its kind owns contracts, else as
    main contractor of a municipality's), with what ``extras`` ask for."""
    from koepel.contracts import contract_documents, contract_options, contracting, kpis
    from koepel.contracts.models.core import (
        ContractDocument,
        ContractKind,
        ContractPayment,
        KpiDirection,
        KpiPeriod,
        PartyRole,
        PaymentKind,
    )
    from koepel.platform import files
    from koepel.platform.tenancy import acting_for

    actor = _system_user(db)
    if org.kind.value in OWNER:
        owner, parties = org, [(_fresh(db, "provider", "Aannemer"), PartyRole.MAIN)]
    else:
        owner, parties = _fresh(db, "municipality", "Gemeente"), [(org, PartyRole.MAIN)]
    params: dict[str, Any] = {}
    with acting_for(owner.id):
        contract = contracting.create(
            actor=actor,
            owner=owner,
            data=contracting.ContractData(
                title="Matrix-contract",
                kind=ContractKind.OTHER,
                start_date=date(2025, 1, 1),
                initial_months=24,
            ),
            parties=parties,
        )
        params["contract_id"] = contract.id
        if extras.get("option"):
            option = contract_options.add_option(
                actor=actor,
                owner=owner,
                contract=contract,
                months=12,
                decision_date=date(2026, 9, 30),
            )
            params["option_id"] = option.id
        if extras.get("kpi"):
            kpi = kpis.add_kpi(
                actor=actor,
                owner=owner,
                contract=contract,
                name="Bereik",
                unit="inwoners",
                target=Decimal(450),
                direction=KpiDirection.HIGHER,
                period=KpiPeriod.QUARTER,
            )
            params["kpi_id"] = kpi.id
        if extras.get("document"):
            stored = files.store(owner.id, b"matrix", ".txt", area=contract_documents.AREA)
            document = ContractDocument(
                tenant_id=owner.id,
                contract_id=contract.id,
                title="Overeenkomst",
                filename="overeenkomst.txt",
                stored_name=stored,
                content_type="text/plain",
                size=6,
                digest="0" * 64,
            )
            db.session.add(document)
            db.session.flush()
            params["document_id"] = document.id
        other = next(p for p in contract.parties if p.organisation_id != owner.id)
        if extras.get("payment"):
            payment = ContractPayment(
                tenant_id=owner.id,
                contract_id=contract.id,
                party_id=other.id,
                kind=PaymentKind.ADVANCE,
                year=2025,
                period_index=1,
                amount=Decimal("100.00"),
            )
            db.session.add(payment)
            db.session.flush()
            params["payment_id"] = payment.id
        if extras.get("party"):
            params["party_id"] = other.id
    return params


def _reached(db, org) -> dict[str, Any]:
    return _contract(db, org)


def _with_kpi(db, org) -> dict[str, Any]:
    return _contract(db, org, kpi=True)


def _with_document(db, org) -> dict[str, Any]:
    return _contract(db, org, document=True)


def _with_option(db, org) -> dict[str, Any]:
    return _contract(db, org, option=True)


def _with_party(db, org) -> dict[str, Any]:
    return _contract(db, org, party=True)


def _with_payment(db, org) -> dict[str, Any]:
    return _contract(db, org, payment=True)


def _agreement(db, org, *, own: bool = True, active: bool = False) -> dict[str, Any]:
    """A partnership agreement ``org`` wrote (``own``) or that was made with it."""
    from koepel.contracts import partnerships
    from koepel.platform.tenancy import acting_for

    other_kind = "provider" if org.kind.value in ("cooperative", "umbrella") else "cooperative"
    other = _fresh(db, other_kind, "Partner")
    owner, partner = (org, other) if own else (other, org)
    actor = _system_user(db)
    with acting_for(owner.id):
        agreement = partnerships.create(
            actor=actor,
            owner=owner,
            data=partnerships.AgreementData(
                title="Matrix-afspraak",
                partner=partner,
                starts_on=date(2026, 1, 1),
                professional_share=Decimal(60),
                volunteer_share=Decimal(30),
                family_share=Decimal(10),
            ),
        )
    if active:
        with acting_for(partner.id):
            partnerships.agree(actor=actor, org=partner, agreement_id=agreement.id)
    return {"agreement_id": agreement.id}


def _own_agreement(db, org) -> dict[str, Any]:
    return _agreement(db, org)


def _active_agreement(db, org) -> dict[str, Any]:
    return _agreement(db, org, active=True)


def _their_agreement(db, org) -> dict[str, Any]:
    return _agreement(db, org, own=False)


ENTRIES: dict[str, object] = {
    # contracts: the list, entering one, from an award
    "contracts.list": Org("contracts.view"),
    "contracts.new": Org("contracts.manage", kinds=OWNER, methods=("GET", "POST")),
    "contracts.from_award": Org("contracts.manage", kinds=BUYER, methods=("POST",)),
    # one contract: the owner's and every party's page
    "contracts.detail": Org("contracts.view", obj=_reached),
    "contracts.edit": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("GET", "POST")),
    "contracts.add_party": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)),
    "contracts.remove_party": Org(
        "contracts.manage", kinds=OWNER, obj=_with_party, methods=("POST",), ok=302
    ),
    "contracts.sign": Org("contracts.sign", obj=_reached, methods=("POST",)),
    "contracts.add_option": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)),
    "contracts.decide_option": Org(
        "contracts.manage", kinds=OWNER, obj=_with_option, methods=("POST",)
    ),
    "contracts.status": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)),
    "contracts.add_document": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)),
    "contracts.document": Org("contracts.view", obj=_with_document),
    # KPIs
    "contracts.kpis": Org("contracts.view", obj=_reached),
    "contracts.add_kpi": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)),
    "contracts.report_kpi": Org("contracts.report", obj=_with_kpi, methods=("POST",)),
    # payments
    "contracts.payments": Org("contracts.view", obj=_reached),
    "contracts.plan_advances": Org(
        "contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)
    ),
    "contracts.add_supplement": Org(
        "contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)
    ),
    "contracts.mark_paid": Org(
        "contracts.manage", kinds=OWNER, obj=_with_payment, methods=("POST",), ok=302
    ),
    "contracts.settle": Org("contracts.manage", kinds=OWNER, obj=_reached, methods=("POST",)),
    # partnership agreements (cooperatives, umbrellas, providers)
    "contracts.partnerships": Org("contracts.view", kinds=PARTNER),
    "contracts.new_partnership": Org("contracts.manage", kinds=PARTNER, methods=("GET", "POST")),
    "contracts.partnership": Org("contracts.view", kinds=PARTNER, obj=_own_agreement),
    "contracts.edit_partnership": Org(
        "contracts.manage", kinds=PARTNER, obj=_own_agreement, methods=("GET", "POST")
    ),
    "contracts.add_criterion": Org(
        "contracts.manage", kinds=PARTNER, obj=_own_agreement, methods=("POST",)
    ),
    "contracts.agree_partnership": Org(
        "contracts.sign", kinds=PARTNER, obj=_their_agreement, methods=("POST",), ok=302
    ),
    "contracts.end_partnership": Org(
        "contracts.manage", kinds=PARTNER, obj=_active_agreement, methods=("POST",)
    ),
    # API
    "api_contracts.list_contracts": Org("contracts.view"),
    "api_contracts.create_contract": Org(
        "contracts.manage", kinds=OWNER, methods=("POST",), ok=400
    ),
    "api_contracts.get_contract": Org("contracts.view", obj=_reached),
    "api_contracts.report_kpi_value": Org(
        "contracts.report", obj=_with_kpi, methods=("POST",), ok=400
    ),
}
