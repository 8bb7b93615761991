"""A generated framework agreement and budget at any scale, for ``koepel generate``.

A municipality's framework agreement with ``providers`` providers (the full catalogue of
tariffs, a volume agreement per provider, activated), and an allocation budget of the
same municipality divided over those providers by percentages: proposed, agreed by every
partner and approved. Everything goes through the app's own functions
(``koepel.contracts.frameworks``, ``budgeting``, ``allocation_versions``), so it holds by
the same rules as data entered on the pages; at a few hundred providers that is quick.
Seeded: the same arguments give the same data.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select

from koepel.bids.generate import municipality_slug, officials
from koepel.contracts import allocation_versions, budgeting, frameworks
from koepel.contracts.allocation_inputs import ShareInput
from koepel.contracts.models.budgets import AllocationMethod, BudgetKind
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.money import split
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import to_local, utcnow

BUDGET_TOTAL = Decimal("8500000.00")


@dataclass(frozen=True)
class FrameworkReport:
    providers: int
    agreement_id: int
    budget_id: int
    version_id: int
    seconds: float


def framework_title(seed: str) -> str:
    return f"Raamovereenkomst Wmo (gegenereerd, {seed})"


def budget_title(seed: str) -> str:
    return f"Lumpsum sociaal domein (gegenereerd, {seed})"


def generate_framework(
    *, buyer: Organisation, providers: int, seed: str, today: date
) -> FrameworkReport:
    """The framework agreement and the budget of ``buyer`` (a municipality)."""
    started = time.perf_counter()
    if providers < 1:
        raise ValueError("a framework agreement needs at least one provider")
    rng = random.Random(f"{seed}:framework")  # noqa: S311  (test data, not secrets)
    ids = db.session.scalars(
        insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
        [
            {
                "kind": OrgKind.PROVIDER,
                "slug": f"gen-{seed}-aanbieder-{i + 1}",
                "name": f"Zorgaanbieder {i + 1}",
                "is_active": True,
            }
            for i in range(providers)
        ],
    ).all()
    orgs = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids))))
    orgs.sort(key=lambda o: o.id)
    officer, _second = officials(buyer)
    with acting_for(buyer.id):
        agreement = _agreement(buyer, officer, orgs, rng, seed, today)
        budget_id, version_id = _budget(buyer, officer, orgs, rng, seed, today)
    for org in orgs:
        with acting_for(org.id):
            allocation_versions.agree(
                actor=None, view=budgeting.budget_for(org, budget_id), version_id=version_id
            )
    with acting_for(buyer.id):
        allocation_versions.approve(
            actor=officer, view=budgeting.budget_for(buyer, budget_id), version_id=version_id
        )
    return FrameworkReport(
        providers, agreement.id, budget_id, version_id, time.perf_counter() - started
    )


def _agreement(buyer, officer, orgs, rng: random.Random, seed: str, today: date):
    agreement = frameworks.create(
        actor=officer,
        buyer=buyer,
        title=framework_title(seed),
        year=today.year,
        description="Raamcontract met alle aanbieders in de regio; volumes uit vorig jaar.",
    )
    for code, (tariff, text) in frameworks.DEMO_TARIFFS.items():
        frameworks.set_product(
            actor=officer,
            agreement=agreement,
            code=code,
            unit=frameworks.DEFAULT_UNITS.get(code.split("/")[0], frameworks.TRANSPORT_UNIT),
            tariff=Decimal(tariff),
            description=text,
        )
    products = frameworks.buyer_state(agreement).products
    by_code = {f"{p.product_group}/{p.level}": p for p in products}
    codes = sorted(frameworks.PER_CLIENT)
    for org in orgs:
        clients = rng.randrange(5, 60)
        party = frameworks.add_party(
            actor=officer, agreement=agreement, organisation=org, clients=clients
        )
        volumes = {}
        for code in rng.sample(codes, 2):
            units = Decimal(frameworks.PER_CLIENT[code] * clients)
            volumes[by_code[code].id] = (units * Decimal("1.1"), units * Decimal("1.2"))
        frameworks.set_volumes(
            actor=officer, agreement=agreement, party=party, clients=clients, volumes=volumes
        )
    frameworks.activate(actor=officer, agreement=agreement)
    return agreement


def _budget(buyer, officer, orgs, rng: random.Random, seed: str, today: date) -> tuple[int, int]:
    budget = budgeting.create(
        actor=officer,
        owner=buyer,
        data=budgeting.BudgetData(
            title=budget_title(seed),
            kind=BudgetKind.ALLOCATION,
            period_start=date(today.year, 1, 1),
            period_end=date(today.year, 12, 31),
            approver=buyer,
            description="Eén lumpsum, verdeeld over de aanbieders van de raamovereenkomst.",
        ),
    )
    view = budgeting.budget_for(buyer, budget.id)
    budgeting.add_funding(
        actor=officer, view=view, funder=buyer, scheme="Wmo (lumpsum)", amount_=BUDGET_TOTAL
    )
    for org in orgs:
        budgeting.add_partner(actor=officer, view=view, partner=org)
    percentages = split(Decimal(100), [rng.randrange(1, 100) for _ in orgs])
    version = allocation_versions.propose(
        actor=officer,
        view=budgeting.budget_for(buyer, budget.id),
        method=AllocationMethod.PERCENTAGES,
        inputs={
            org.id: ShareInput(percentage=pct) for org, pct in zip(orgs, percentages, strict=True)
        },
        note="Verdeeld naar het aantal cliënten van vorig jaar.",
    )
    return budget.id, version.id


def extension(scale) -> str:
    """``koepel generate``'s step for the framework agreement and the budget, at the first
    generated municipality (see koepel.tenants.generate)."""
    if scale.framework_providers < 1:
        return "no framework agreement (--framework-providers 0)"
    buyer = db.session.scalar(
        select(Organisation).where(Organisation.slug == municipality_slug(scale.seed, 1))
    )
    if buyer is None:
        raise ValueError("the framework agreement needs a municipality; ask for one or more")
    report = generate_framework(
        buyer=buyer,
        providers=scale.framework_providers,
        seed=scale.seed,
        today=to_local(utcnow()).date(),
    )
    return (
        f"a framework agreement and a budget allocated over {report.providers} providers "
        f"in {report.seconds:.1f} s"
    )
