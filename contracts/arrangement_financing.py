"""Arrangement financing (Westelijke Mijnstreek): the municipality keeps a matrix of
arrangements by complexity × intensity with the historical costs per client; the tariffs are
computed from them (``koepel.contracts.arrangements``: weighted average after the national
cut) and fixed; clients (pseudonymised) are assigned an arrangement and a provider; the
budget follows the client (``provider_budgets``).

The scheme is the municipality's. A provider sees, through a named function, the tariffs and
its own clients with its own budget, never another provider's clients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from koepel.contracts import arrangements as rules
from koepel.contracts import own_contribution
from koepel.contracts.budgeting import BudgetError, explanation_json
from koepel.contracts.errors import ContractRuleError, _, amount, not_negative, percentage
from koepel.contracts.models.budgets import (
    ArrangementClient,
    ArrangementCost,
    ArrangementScheme,
    ArrangementTariff,
)
from koepel.contracts.payments import months
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

BUYER_KINDS = (OrgKind.MUNICIPALITY, OrgKind.REGION)
PROVIDER_KINDS = (OrgKind.PROVIDER, OrgKind.COOPERATIVE, OrgKind.UMBRELLA)
# A pseudonym: letters, digits and dashes. Nine digits alone look like a BSN: refused.
_CLIENT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,63}")
_BSN_LIKE = re.compile(r"[0-9]{8,9}")


def _audit(actor, scheme: ArrangementScheme, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=scheme.tenant_id,
        action=f"arrangements.{action}",
        obj_type="arrangement_scheme",
        obj_id=scheme.id,
        after=after,
    )


def arrangement(complexity: str, intensity: str) -> rules.Arrangement:
    try:
        return rules.Arrangement(complexity, intensity)
    except ValueError:
        raise BudgetError(_("Kies een arrangement uit de matrix."), "arrangement") from None


def create(
    *, actor: User | None, buyer: Organisation, title: str, year: int, national_cut: Decimal
) -> ArrangementScheme:
    if buyer.kind not in BUYER_KINDS:
        raise BudgetError(_("Alleen een gemeente of regio financiert met arrangementen."))
    title = (title or "").strip()
    if not title:
        raise BudgetError(_("Geef de regeling een naam."), "title")
    if not 2000 <= year <= 2100:
        raise BudgetError(_("Kies een jaar tussen 2000 en 2100."), "year")
    try:
        cut = percentage(national_cut, _("De landelijke korting"), "national_cut")
    except ContractRuleError as exc:
        raise BudgetError(str(exc), "national_cut") from None
    scheme = ArrangementScheme(
        tenant_id=buyer.id,
        title=title,
        year=year,
        national_cut=cut,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(scheme)
    db.session.flush()
    _audit(actor, scheme, "created", title=title, year=year, national_cut=cut)
    return scheme


def get(scheme_id: int) -> ArrangementScheme | None:
    """One of the acting municipality's schemes (scoped)."""
    return db.session.scalar(
        select(ArrangementScheme)
        .where(ArrangementScheme.id == scheme_id)
        .options(selectinload(ArrangementScheme.costs), selectinload(ArrangementScheme.tariffs))
    )


def schemes() -> list[ArrangementScheme]:
    return list(
        db.session.scalars(
            select(ArrangementScheme).order_by(
                ArrangementScheme.year.desc(), ArrangementScheme.id.desc()
            )
        )
    )


def add_cost(
    *,
    actor: User | None,
    scheme: ArrangementScheme,
    complexity: str,
    intensity: str,
    cost_per_client: Decimal,
    clients: int,
    source: str = "",
) -> ArrangementCost:
    """A row of historical cost: what the arrangement cost per client per year, for how many
    clients (e.g. one provider's figures for 2014)."""
    which = arrangement(complexity, intensity)
    try:
        cost = not_negative(
            amount(cost_per_client, _("De kosten per cliënt"), "cost_per_client"),
            _("De kosten per cliënt"),
            "cost_per_client",
        )
        rules.HistoricalCost(which, cost, int(clients), source)
    except ContractRuleError as exc:
        raise BudgetError(str(exc), exc.field if exc.field != "history" else "clients") from None
    row = ArrangementCost(
        tenant_id=scheme.tenant_id,
        scheme_id=scheme.id,
        complexity=which.complexity,
        intensity=which.intensity,
        cost_per_client=cost,
        clients=int(clients),
        source=(source or "").strip()[:200],
    )
    db.session.add(row)
    db.session.flush()
    db.session.refresh(scheme, ["costs"])
    _audit(
        actor,
        scheme,
        "cost_added",
        arrangement=which.code,
        cost_per_client=cost,
        clients=int(clients),
        source=row.source,
    )
    return row


def _history(scheme: ArrangementScheme) -> list[rules.HistoricalCost]:
    return [
        rules.HistoricalCost(
            rules.Arrangement(c.complexity, c.intensity), c.cost_per_client, c.clients, c.source
        )
        for c in scheme.costs
    ]


def tariffs_of(scheme: ArrangementScheme) -> dict[rules.Arrangement, rules.ArrangementTariff]:
    """The fixed tariffs as the rules' objects (with their explanations)."""
    from koepel.contracts.budgeting import explanation_from

    result = {}
    for row in scheme.tariffs:
        which = rules.Arrangement(row.complexity, row.intensity)
        why = explanation_from(row.explanation)
        average = why.inputs["average"] if why is not None else row.tariff
        result[which] = rules.ArrangementTariff(which, row.tariff, row.clients, average, why)
    return result


def _clients(scheme: ArrangementScheme) -> list[ArrangementClient]:
    return list(
        db.session.scalars(
            select(ArrangementClient)
            .where(ArrangementClient.scheme_id == scheme.id)
            .options(joinedload(ArrangementClient.provider))
            .order_by(ArrangementClient.client_ref, ArrangementClient.starts_on)
        )
    )


def compute_tariffs(
    *, actor: User | None, scheme: ArrangementScheme, now: datetime | None = None
) -> dict[rules.Arrangement, rules.ArrangementTariff]:
    """Compute and fix the tariff of every arrangement that has historical costs (nine, or
    fewer when the matrix is reduced). Assigned clients keep an arrangement with a tariff."""
    history = _history(scheme)
    if not history:
        raise BudgetError(_("Voer eerst de historische kosten in."), "costs", state=True)
    wanted = sorted({h.arrangement for h in history})
    try:
        computed = rules.arrangement_tariffs(wanted, history, scheme.national_cut)
    except ContractRuleError as exc:
        raise BudgetError(str(exc), "costs", state=True) from None
    used = {rules.Arrangement(c.complexity, c.intensity) for c in _clients(scheme)}
    lost = sorted(a.code for a in used - set(computed))
    if lost:
        raise BudgetError(
            _(
                "Er zijn cliënten in %(codes)s, maar daarvoor zijn geen kosten meer.",
                codes=", ".join(lost),
            ),
            "costs",
            state=True,
        )
    before = {f"{t.complexity}/{t.intensity}": t.tariff for t in scheme.tariffs}
    db.session.execute(delete(ArrangementTariff).where(ArrangementTariff.scheme_id == scheme.id))
    for which, tariff in computed.items():
        db.session.add(
            ArrangementTariff(
                tenant_id=scheme.tenant_id,
                scheme_id=scheme.id,
                complexity=which.complexity,
                intensity=which.intensity,
                tariff=tariff.tariff,
                clients=tariff.clients,
                explanation=explanation_json(tariff.explanation),
            )
        )
    scheme.tariffs_computed_at = now or utcnow()
    db.session.flush()
    db.session.expire(scheme, ["tariffs"])
    audit.record(
        db.session,
        actor=actor,
        tenant_id=scheme.tenant_id,
        action="arrangements.tariffs_computed",
        obj_type="arrangement_scheme",
        obj_id=scheme.id,
        before={"tariffs": before},
        after={
            "tariffs": {a.code: t.tariff for a, t in computed.items()},
            "national_cut": scheme.national_cut,
        },
    )
    return computed


def _assignments(rows) -> list[rules.Assignment]:
    return [
        rules.Assignment(
            r.client_ref,
            rules.Arrangement(r.complexity, r.intensity),
            str(r.provider_id),
            r.starts_on,
            r.ends_on,
        )
        for r in rows
    ]


def check_client_ref(text: str) -> str:
    ref = (text or "").strip()
    if _BSN_LIKE.fullmatch(ref):
        raise BudgetError(
            _("Dit lijkt een BSN. Gebruik een pseudoniem, bijvoorbeeld WM-0001."), "client_ref"
        )
    if not _CLIENT_REF.fullmatch(ref):
        raise BudgetError(
            _("Een pseudoniem heeft 3 tot 64 letters, cijfers of streepjes, bijvoorbeeld WM-0001."),
            "client_ref",
        )
    return ref


def assign(
    *,
    actor: User | None,
    scheme: ArrangementScheme,
    client_ref: str,
    complexity: str,
    intensity: str,
    provider: Organisation,
    starts_on: date,
    ends_on: date,
) -> ArrangementClient:
    """A client (pseudonym) in an arrangement with a provider for a span of days."""
    ref = check_client_ref(client_ref)
    which = arrangement(complexity, intensity)
    if provider.kind not in PROVIDER_KINDS or not provider.is_active:
        raise BudgetError(_("Kies een zorgaanbieder of zorgcoöperatie."), "provider")
    tariffs = tariffs_of(scheme)
    if not tariffs:
        raise BudgetError(_("Bereken eerst de tarieven."), "arrangement", state=True)
    if which not in tariffs:
        raise BudgetError(
            _("Arrangement %(a)s heeft nog geen tarief.", a=label(which)), "arrangement"
        )
    if ends_on < starts_on:
        raise BudgetError(_("De toewijzing eindigt voordat ze begint."), "ends_on")
    if starts_on.year > scheme.year or ends_on.year < scheme.year:
        raise BudgetError(
            _("De toewijzing moet (deels) in %(year)s vallen.", year=scheme.year), "starts_on"
        )
    existing = _clients(scheme)
    new = rules.Assignment(ref, which, str(provider.id), starts_on, ends_on)
    try:
        rules.client_amounts([*_assignments(existing), new], tariffs, scheme.year)
    except ContractRuleError as exc:
        raise BudgetError(str(exc), "starts_on") from None
    row = ArrangementClient(
        tenant_id=scheme.tenant_id,
        scheme_id=scheme.id,
        client_ref=ref,
        complexity=which.complexity,
        intensity=which.intensity,
        provider_id=provider.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    _audit(
        actor,
        scheme,
        "client_assigned",
        client=ref,
        arrangement=which.code,
        provider=provider.slug,
        period=[starts_on.isoformat(), ends_on.isoformat()],
    )
    return row


@dataclass(frozen=True)
class SchemeData:
    scheme: ArrangementScheme
    tariffs: dict[rules.Arrangement, rules.ArrangementTariff]
    clients: list[ArrangementClient]
    budgets: dict[int, rules.ProviderBudget]  # by provider id
    providers: dict[int, Organisation]

    @property
    def total(self) -> Decimal:
        return sum((b.budget for b in self.budgets.values()), Decimal("0.00"))


def load(scheme: ArrangementScheme) -> SchemeData:
    """The municipality's whole scheme: tariffs, clients and every provider's budget."""
    clients = _clients(scheme)
    tariffs = tariffs_of(scheme)
    budgets = rules.provider_budgets(_assignments(clients), tariffs, scheme.year) if tariffs else {}
    return SchemeData(
        scheme=scheme,
        tariffs=tariffs,
        clients=clients,
        budgets={int(k): v for k, v in budgets.items()},
        providers={c.provider_id: c.provider for c in clients},
    )


def cak_figures(data: SchemeData) -> list[own_contribution.ClientPeriod]:
    """What the CAK needs for the own contribution: each client's arrangement cost per
    month, derived from the assignments and tariffs (never keyed twice)."""
    if not data.tariffs or not data.clients:
        return []
    lines = own_contribution.from_arrangements(
        _assignments(data.clients), data.tariffs, data.scheme.year, months(data.scheme.year)
    )
    return own_contribution.per_client_period(lines)


# -- the provider's side ------------------------------------------------------------------------
def schemes_for_provider(provider: Organisation) -> list[ArrangementScheme]:
    """The schemes in which a provider has clients (for its list of budgets)."""
    with cross_tenant("a provider lists the arrangement schemes it has clients in"):
        rows = db.session.scalars(
            select(ArrangementScheme)
            .where(
                ArrangementScheme.id.in_(
                    select(ArrangementClient.scheme_id).where(
                        ArrangementClient.provider_id == provider.id
                    )
                )
            )
            .order_by(ArrangementScheme.year.desc(), ArrangementScheme.id.desc())
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


def for_provider(provider: Organisation, scheme_id: int) -> SchemeData | None:
    """A scheme as a provider sees it: the tariffs, its own clients and its own budget.
    A client who moved between providers is computed over all its assignments (so the
    amounts add up to the cent), but only this provider's lines are returned."""
    with cross_tenant("a provider reads the tariffs and its own clients of an arrangement scheme"):
        scheme = db.session.scalar(
            select(ArrangementScheme)
            .where(
                ArrangementScheme.id == scheme_id,
                ArrangementScheme.id.in_(
                    select(ArrangementClient.scheme_id).where(
                        ArrangementClient.provider_id == provider.id
                    )
                ),
            )
            .options(selectinload(ArrangementScheme.tariffs))
        )
        if scheme is None:
            return None
        own = list(
            db.session.scalars(
                select(ArrangementClient)
                .where(
                    ArrangementClient.scheme_id == scheme.id,
                    ArrangementClient.provider_id == provider.id,
                )
                .order_by(ArrangementClient.client_ref, ArrangementClient.starts_on)
            )
        )
        refs = {c.client_ref for c in own}
        related = list(
            db.session.scalars(
                select(ArrangementClient).where(
                    ArrangementClient.scheme_id == scheme.id,
                    ArrangementClient.client_ref.in_(refs),
                )
            )
        )
        for row in (scheme, *own, *related):
            if row in db.session:
                db.session.expunge(row)
    tariffs = tariffs_of(scheme)
    budgets = rules.provider_budgets(_assignments(related), tariffs, scheme.year)
    mine = budgets.get(str(provider.id))
    return SchemeData(
        scheme=scheme,
        tariffs=tariffs,
        clients=own,
        budgets={provider.id: mine} if mine else {},
        providers={provider.id: provider},
    )


def label(which: rules.Arrangement) -> str:
    """ "complexiteit hoog, intensiteit laag" in the reader's language."""
    names = {"low": _("laag"), "medium": _("midden"), "high": _("hoog")}
    return _(
        "complexiteit %(c)s, intensiteit %(i)s",
        c=names[which.complexity],
        i=names[which.intensity],
    )
