"""Access-matrix entries for the contracts module's framework routes (merged into ``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end.

Framework agreements have two sides: the buyer (municipality or region: ``framework.view``
to read, ``framework.manage`` to change) and its parties (provider, cooperative or umbrella:
``framework.report`` to read their own share and report). Where one API endpoint serves
both, the action depends on the kind of organisation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from access_matrix import BUYER, Covered, Org, _next, _system_user  # noqa: F401

PARTY = ("provider", "cooperative", "umbrella")
BOTH = (*BUYER, *PARTY)
BY_SIDE = tuple((kind, "framework.report") for kind in PARTY)
TARIFFS = {
    "ambulatory/light": "45.00",
    "ambulatory/medium": "55.00",
    "ambulatory/heavy": "65.00",
    "group/light": "18.00",
    "group/medium": "24.00",
    "group/heavy": "32.00",
    "day_activities/light": "30.00",
    "day_activities/medium": "40.00",
    "day_activities/heavy": "55.00",
    "transport/wheelchair": "22.50",
    "transport/passenger": "9.50",
}


def _draft(db, buyer, *, catalogue: bool = False):
    from koepel.contracts import frameworks

    agreement = frameworks.create(
        actor=_system_user(db), buyer=buyer, title="Matrix-raamovereenkomst", year=2015
    )
    if catalogue:
        for code, tariff in TARIFFS.items():
            unit = frameworks.DEFAULT_UNITS.get(code.split("/")[0], frameworks.TRANSPORT_UNIT)
            frameworks.set_product(
                actor=_system_user(db),
                agreement=agreement,
                code=code,
                unit=unit,
                tariff=Decimal(tariff),
            )
    return agreement


def _with_party(db, buyer, party_org, *, clients: int = 1, activate: bool = True):
    """An agreement of ``buyer`` with ``party_org`` in it (100 hours ambulatory/medium)."""
    from koepel.contracts import frameworks

    agreement = _draft(db, buyer, catalogue=True)
    actor = _system_user(db)
    party = frameworks.add_party(
        actor=actor, agreement=agreement, organisation=party_org, clients=clients
    )
    medium = next(p for p in frameworks.buyer_state(agreement).products if p.level == "medium")
    frameworks.set_volumes(
        actor=actor,
        agreement=agreement,
        party=party,
        clients=clients,
        volumes={medium.id: (Decimal(100), None)},
    )
    if activate:
        frameworks.activate(actor=actor, agreement=agreement)
    return agreement, party


def _new_org(db, kind: str, prefix: str):
    from koepel.platform.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind(kind), slug=f"{prefix}-{_next()}", name=f"Matrix {prefix}")
    db.session.add(org)
    db.session.flush()
    return org


def _agreement_for(db, org) -> dict[str, Any]:
    """A draft agreement of buyer ``org`` (empty: activating or closing it is refused)."""
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        return {"agreement_id": _draft(db, org).id}


def _party_for(db, org) -> dict[str, Any]:
    """A party in a draft agreement of buyer ``org``."""
    from koepel.platform.tenancy import acting_for

    provider = _new_org(db, "provider", "fw-aanbieder")
    with acting_for(org.id):
        agreement, party = _with_party(db, org, provider, activate=False)
    return {"agreement_id": agreement.id, "party_id": party.id}


def _proposal_for(db, org) -> dict[str, Any]:
    """An open proposal of buyer ``org``: two clients where one was contracted (2015)."""
    from koepel.contracts import frameworks
    from koepel.platform.tenancy import acting_for

    provider = _new_org(db, "provider", "fw-voorstel")
    actor = _system_user(db)
    with acting_for(org.id):
        agreement, party = _with_party(db, org, provider)
        for client in ("GO-1", "GO-2"):
            state = frameworks.buyer_state(agreement)
            frameworks.place_call_off(
                actor=actor,
                state=state,
                party=party,
                product=next(p for p in state.products if p.id == state.volumes[0].product_id),
                client=client,
                quantity=Decimal(10),
                start=date(2015, 1, 1),
                end=date(2015, 12, 31),
            )
        [proposal] = frameworks.close_period(actor=actor, agreement=agreement)
    return {"agreement_id": agreement.id, "proposal_id": proposal.id}


def _export_for(db, org) -> dict[str, Any]:
    """A finished export of an agreement of buyer ``org``, with its file."""
    from koepel.contracts import frameworks
    from koepel.platform.jobs import enqueue
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        agreement = _draft(db, org)
        run = enqueue(
            frameworks.EXPORT_JOB,
            tenant_id=org.id,
            kwargs={"agreement_id": agreement.id, "kind": "cak"},
        )
        db.session.info.pop("koepel_pending_jobs", None)  # never dispatched
        run.status = "done"
        db.session.flush()
    path = frameworks.export_path(org.id, run.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK matrix")
    return {"agreement_id": agreement.id, "job_id": run.id}


def _membership_for(db, org) -> dict[str, Any]:
    """A running agreement of a fresh municipality with ``org`` as a party."""
    from koepel.platform.tenancy import acting_for

    buyer = _new_org(db, "municipality", "fw-gemeente")
    with acting_for(buyer.id):
        agreement, _party = _with_party(db, buyer, org)
    return {"agreement_id": agreement.id}


def _any_for(db, org) -> dict[str, Any]:
    """The buyer's own agreement, or one the party is in: what the API serves each."""
    if org.kind.value in BUYER:
        return _agreement_for(db, org)
    return _membership_for(db, org)


ENTRIES: dict[str, object] = {
    # the buyer's pages (an empty POST shows the form's errors: 200)
    "framework.list": Org("framework.view", kinds=BUYER),
    "framework.new": Org("framework.manage", kinds=BUYER, methods=("GET", "POST")),
    "framework.detail": Org("framework.view", kinds=BUYER, obj=_agreement_for),
    "framework.set_product": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",)
    ),
    "framework.add_party": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",)
    ),
    "framework.thresholds": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",)
    ),
    "framework.add_indicator": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",)
    ),
    "framework.activate": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",)
    ),
    "framework.export": Org("framework.view", kinds=BUYER, obj=_agreement_for, methods=("POST",)),
    "framework.download": Org("framework.view", kinds=BUYER, obj=_export_for),
    "framework.call_offs": Org(
        "framework.view",
        kinds=BUYER,
        obj=_agreement_for,
        methods=("GET", "POST"),
        post_action="framework.manage",
    ),
    "framework.periods": Org("framework.view", kinds=BUYER, obj=_agreement_for),
    "framework.close_period": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",)
    ),
    # an empty decision is refused with a message on the page it came from (302)
    "framework.decide": Org(
        "framework.manage", kinds=BUYER, obj=_proposal_for, methods=("POST",), ok=302
    ),
    "framework.cak": Org("framework.view", kinds=BUYER, obj=_agreement_for),
    "framework.provider": Org("framework.view", kinds=BUYER, obj=_party_for),
    "framework.set_volumes": Org(
        "framework.manage", kinds=BUYER, obj=_party_for, methods=("POST",)
    ),
    "framework.add_supplement": Org(
        "framework.manage", kinds=BUYER, obj=_party_for, methods=("POST",)
    ),
    "framework.post_calculate": Org(
        "framework.manage", kinds=BUYER, obj=_party_for, methods=("POST",)
    ),
    # the party's pages
    "framework.mine": Org("framework.report", kinds=PARTY),
    "framework.party": Org("framework.report", kinds=PARTY, obj=_membership_for),
    "framework.report": Org(
        "framework.report", kinds=PARTY, obj=_membership_for, methods=("POST",)
    ),
    # the API (an empty body where access is granted: 400)
    "api_framework.list_agreements": Org("framework.view", kinds=BOTH, action_by_kind=BY_SIDE),
    "api_framework.create_agreement": Org(
        "framework.manage", kinds=BUYER, methods=("POST",), ok=400
    ),
    "api_framework.get_agreement": Org(
        "framework.view", kinds=BOTH, obj=_any_for, action_by_kind=BY_SIDE
    ),
    "api_framework.list_products": Org(
        "framework.view", kinds=BOTH, obj=_any_for, action_by_kind=BY_SIDE
    ),
    "api_framework.list_call_offs": Org(
        "framework.view", kinds=BOTH, obj=_any_for, action_by_kind=BY_SIDE
    ),
    "api_framework.create_call_off": Org(
        "framework.manage", kinds=BUYER, obj=_agreement_for, methods=("POST",), ok=400
    ),
    "api_framework.list_reports": Org(
        "framework.view", kinds=BOTH, obj=_any_for, action_by_kind=BY_SIDE
    ),
    "api_framework.create_report": Org(
        "framework.report", kinds=PARTY, obj=_membership_for, methods=("POST",), ok=400
    ),
}
