"""A pooled district budget (Handen Ineen, Leeuwarden West): the funders' budgets in one
pot; the partners record the care they delivered; at the end of the period the owner (the
lead party) settles it with ``koepel.contracts.settlement.settle`` and the result is stored:
every partner's due amount, the fewest transfers, the refunds, and a statement per partner.

Delivery records are the partner's own rows (its internal figures): a partner records and
sees only its own, unless the budget says the partners share them. Computing a settlement is
the one place the owner reads every partner's records of the budget (a named cross-tenant
scope); what it keeps of them is the sum per product and tariff, on each partner's statement.

A partner sees its own statement and the agreed totals; the owner sees every statement;
funders and the approver see the totals and the refunds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from koepel.contracts import settlement as rules
from koepel.contracts.budgeting import (
    BudgetError,
    BudgetView,
    NotAParty,
    explanation_json,
    require_owner,
    schemes,
)
from koepel.contracts.errors import ContractRuleError, _
from koepel.contracts.models.budgets import (
    BudgetKind,
    DeliveryRecord,
    DistrictSettlement,
    SettlementLine,
    SettlementPosition,
    SettlementRefund,
    SettlementTransfer,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import to_local, utcnow

POOL = "pot"  # the pool account's key in the rules
READ_SETTLEMENT = "a party to a pooled budget reads its settlement"


def _today() -> date:
    return to_local(utcnow()).date()


def _district(view: BudgetView) -> None:
    if view.budget.kind != BudgetKind.DISTRICT:
        raise BudgetError(
            _("Dit is geen gedeelde wijkpot: hier wordt geen geleverde zorg verrekend."),
            state=True,
        )


def settled(view: BudgetView) -> DistrictSettlement | None:
    """The budget's settlement, if it is settled (loaded with its figures)."""
    with view.scope(READ_SETTLEMENT):
        row = db.session.scalar(
            select(DistrictSettlement)
            .where(DistrictSettlement.budget_id == view.budget.id)
            .options(
                selectinload(DistrictSettlement.positions).joinedload(SettlementPosition.partner),
                selectinload(DistrictSettlement.transfers),
                selectinload(DistrictSettlement.refunds),
            )
        )
        if row is not None and not view.is_owner:
            db.session.expunge(row)
    return row


# -- delivery records --------------------------------------------------------------------------
@dataclass
class DeliveryData:
    delivered_on: date
    product: str
    quantity: Decimal
    tariff: Decimal
    unit: str = "uur"


_QUANTITY = re.compile(r"[0-9]{1,9}(?:[,.][0-9]{1,2})?")


def parse_quantity(text: str) -> Decimal:
    """A quantity as people type it: "12", "12,5" or "12.25" (at most two decimals)."""
    value = (text or "").strip()
    if not _QUANTITY.fullmatch(value):
        raise BudgetError(
            _("Schrijf de hoeveelheid als 12 of 12,5 (hoogstens twee cijfers achter de komma)."),
            "quantity",
        )
    return Decimal(value.replace(",", "."))


def check_delivery(view: BudgetView, data: DeliveryData, on_file: str = "") -> rules.Delivery:
    budget = view.budget
    if not budget.period_start <= data.delivered_on <= budget.period_end:
        raise BudgetError(
            on_file
            + _(
                "De datum valt buiten de periode van de pot (%(start)s tot en met %(end)s).",
                start=budget.period_start.strftime("%d-%m-%Y"),
                end=budget.period_end.strftime("%d-%m-%Y"),
            ),
            "delivered_on",
        )
    known = schemes(budget)
    product = (data.product or "").strip()
    if product not in known:
        raise BudgetError(
            on_file + _("Kies een regeling van deze pot: %(schemes)s.", schemes=", ".join(known)),
            "product",
        )
    unit = (data.unit or "uur").strip()[:30] or "uur"
    try:
        return rules.Delivery(view.org.name, data.quantity, data.tariff, unit, product)
    except ContractRuleError as exc:
        raise BudgetError(on_file + str(exc), exc.field) from None


def may_record(view: BudgetView) -> None:
    _district(view)
    if not view.is_partner:
        raise NotAParty(_("Alleen partners van deze pot leggen geleverde zorg vast."))
    if settled(view) is not None:
        raise BudgetError(
            _("Deze pot is al verrekend. Nieuwe geleverde zorg kan er niet meer bij."), state=True
        )


def record(
    *, actor: User | None, view: BudgetView, data: DeliveryData, source: str = "form"
) -> DeliveryRecord:
    """The acting partner records care it delivered (its own row)."""
    may_record(view)
    checked = check_delivery(view, data)
    row = DeliveryRecord(
        tenant_id=view.org.id,
        budget_id=view.budget.id,
        delivered_on=data.delivered_on,
        product=checked.product,
        unit=checked.unit,
        quantity=checked.quantity,
        tariff=checked.tariff,
        source=source,
        recorded_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=view.org.id,
        action="delivery.recorded",
        obj_type="delivery_record",
        obj_id=row.id,
        after={
            "budget": view.budget.id,
            "on": data.delivered_on.isoformat(),
            "product": row.product,
            "quantity": row.quantity,
            "tariff": row.tariff,
        },
    )
    return row


def own_records(view: BudgetView, limit: int | None = 200) -> list[DeliveryRecord]:
    """The acting partner's own records of the budget, newest first (its own scope)."""
    stmt = (
        select(DeliveryRecord)
        .where(DeliveryRecord.budget_id == view.budget.id, DeliveryRecord.tenant_id == view.org.id)
        .order_by(DeliveryRecord.delivered_on.desc(), DeliveryRecord.id.desc())
    )
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class SharedRecord:
    partner: str
    delivered_on: date
    product: str
    unit: str
    quantity: Decimal
    tariff: Decimal


def shared_records(view: BudgetView, limit: int = 500) -> list[SharedRecord]:
    """Every partner's records, only where the budget says the partners share them."""
    if not view.budget.share_deliveries or not (view.is_partner or view.is_owner):
        return []
    with cross_tenant("the partners of a pooled budget that shares delivery records read them"):
        rows = db.session.execute(
            select(
                Organisation.name,
                DeliveryRecord.delivered_on,
                DeliveryRecord.product,
                DeliveryRecord.unit,
                DeliveryRecord.quantity,
                DeliveryRecord.tariff,
            )
            .join(Organisation, Organisation.id == DeliveryRecord.tenant_id)
            .where(DeliveryRecord.budget_id == view.budget.id)
            .order_by(DeliveryRecord.delivered_on.desc(), DeliveryRecord.id.desc())
            .limit(limit)
        ).all()
    return [SharedRecord(*row) for row in rows]


@dataclass(frozen=True)
class RecordedTotal:
    partner_id: int
    records: int
    value: Decimal


def recorded_totals(view: BudgetView) -> dict[int, RecordedTotal]:
    """For the owner: per partner how many records and their value so far (sums, never
    the records themselves). One grouped query."""
    if not view.is_owner:
        return {}
    with cross_tenant("the lead party of a pooled budget sees each partner's recorded totals"):
        rows = db.session.execute(
            select(
                DeliveryRecord.tenant_id,
                DeliveryRecord.tariff,
                func.count(),
                func.sum(DeliveryRecord.quantity),
            )
            .where(DeliveryRecord.budget_id == view.budget.id)
            .group_by(DeliveryRecord.tenant_id, DeliveryRecord.tariff)
        ).all()
    counts: dict[int, int] = defaultdict(int)
    values: dict[int, Decimal] = defaultdict(Decimal)
    for tenant, tariff, count, quantity in rows:
        # SQLite sums as a float: the quantities have at most two decimals.
        total = Decimal(str(quantity)).quantize(Decimal("0.01"))
        counts[tenant] += int(count)
        values[tenant] += total * tariff
    return {t: RecordedTotal(t, counts[t], values[t]) for t in counts}


# -- the settlement ----------------------------------------------------------------------------
def _partner_key(org_id: int) -> str:
    return f"p{org_id:012d}"


def _org_id(key: str) -> int | None:
    return None if key == POOL else int(key[1:])


def compute(
    *, actor: User | None, view: BudgetView, today: date | None = None
) -> DistrictSettlement:
    """Settle the pot at the end of its period, once. Reads every partner's delivery
    records of this budget (the owner's one cross-tenant read of them)."""
    require_owner(view)
    _district(view)
    budget = view.budget
    today = today or _today()
    if today < budget.period_end:
        raise BudgetError(
            _(
                "De periode loopt tot en met %(end)s. Verrekenen kan vanaf die dag.",
                end=budget.period_end.strftime("%d-%m-%Y"),
            ),
            state=True,
        )
    from koepel.contracts.models.budgets import Budget

    # One settlement per budget, also when two people press the button at once.
    db.session.execute(select(Budget.id).where(Budget.id == budget.id).with_for_update())
    if settled(view) is not None:
        raise BudgetError(_("Deze pot is al verrekend."), state=True)
    if not budget.partners:
        raise BudgetError(_("Voeg eerst de partners toe."), state=True)
    funding = {f"f{f.funder_id}": f for f in budget.funding}
    contributions = [
        rules.Contribution(f"f{f.funder_id}", f.scheme, f.amount) for f in budget.funding
    ]
    partners = {_partner_key(p.partner_id): p for p in budget.partners}
    with cross_tenant("the lead party settles a pooled budget: every partner's records of it"):
        rows = db.session.execute(
            select(
                DeliveryRecord.tenant_id,
                DeliveryRecord.quantity,
                DeliveryRecord.tariff,
                DeliveryRecord.unit,
                DeliveryRecord.product,
            ).where(DeliveryRecord.budget_id == budget.id)
        ).all()
    deliveries = [
        rules.Delivery(_partner_key(tenant), quantity, tariff, unit, product)
        for tenant, quantity, tariff, unit, product in rows
    ]
    try:
        result = rules.settle(
            contributions,
            list(partners),
            deliveries,
            {key: p.advance for key, p in partners.items()},
            pool_account=POOL,
            surplus_rule=budget.surplus_rule.value,
        )
    except ContractRuleError as exc:
        raise BudgetError(str(exc), exc.field, state=True) from None
    row = DistrictSettlement(
        tenant_id=budget.tenant_id,
        budget_id=budget.id,
        pool=result.pool,
        total_value=result.total_value,
        capped=result.capped,
        surplus=result.surplus,
        surplus_rule=budget.surplus_rule,
        pool_held=result.pool_held,
        exact=result.exact,
        records=len(deliveries),
        computed_by_id=actor.id if actor else None,
    )
    for statement in result.statements:
        row.positions.append(
            SettlementPosition(
                tenant_id=budget.tenant_id,
                partner_id=_org_id(statement.partner),
                value=statement.value,
                due=statement.due,
                received=statement.received,
                position=statement.position,
                explanation=explanation_json(statement.due_explanation),
            )
        )
    if POOL in result.positions:
        row.positions.append(
            SettlementPosition(
                tenant_id=budget.tenant_id,
                partner_id=None,
                value=Decimal(0),
                due=result.surplus,
                received=result.pool_held,
                position=result.positions[POOL],
            )
        )
    for transfer in result.transfers:
        row.transfers.append(
            SettlementTransfer(
                tenant_id=budget.tenant_id,
                payer_id=_org_id(transfer.payer),
                payee_id=_org_id(transfer.payee),
                amount=transfer.amount,
            )
        )
    for refund in result.refunds:
        line = funding[refund.contribution.funder]
        if line.scheme != refund.contribution.scheme:  # several schemes of one funder
            line = next(
                f
                for f in budget.funding
                if f"f{f.funder_id}" == refund.contribution.funder
                and f.scheme == refund.contribution.scheme
            )
        row.refunds.append(
            SettlementRefund(
                tenant_id=budget.tenant_id,
                funding_id=line.id,
                amount=refund.amount,
                explanation=explanation_json(refund.explanation),
            )
        )
    db.session.add(row)
    db.session.flush()
    lines = [
        SettlementLine(
            tenant_id=budget.tenant_id,
            settlement_id=row.id,
            partner_id=_org_id(statement.partner),
            product=line.product,
            unit=line.unit,
            tariff=line.tariff,
            quantity=line.quantity,
            value=line.value,
        )
        for statement in result.statements
        for line in statement.delivered
    ]
    db.session.add_all(lines)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=budget.tenant_id,
        action="settlement.computed",
        obj_type="district_settlement",
        obj_id=row.id,
        after={
            "budget": budget.id,
            "pool": result.pool,
            "due": {partners[key].partner.slug: due for key, due in result.due.items()},
            "surplus": result.surplus,
            "transfers": len(result.transfers),
            "records": len(deliveries),
        },
    )
    return row


# -- reading a settlement -----------------------------------------------------------------------
@dataclass(frozen=True)
class TransferLine:
    payer: str
    payee: str
    amount: Decimal
    payer_id: int | None
    payee_id: int | None


@dataclass(frozen=True)
class Statement:
    """One partner's statement: its own delivered lines, never another partner's."""

    partner: Organisation
    lines: list[SettlementLine]
    position: SettlementPosition
    pays: list[TransferLine]
    receives: list[TransferLine]


@dataclass(frozen=True)
class SettlementData:
    """A settlement as the acting organisation may see it."""

    settlement: DistrictSettlement
    pool_label: str
    total_due: Decimal
    positions: list[SettlementPosition]  # every partner's: the owner only
    transfers: list[TransferLine]  # all for the owner, the party's own otherwise
    refunds: list[SettlementRefund]
    statement: Statement | None  # the acting partner's own
    statements: list[Statement]  # every partner's: the owner only


def pool_label(view: BudgetView) -> str:
    return _("%(owner)s (pot)", owner=view.budget.owner.name)


def _names(view: BudgetView) -> dict[int | None, str]:
    names: dict[int | None, str] = {p.partner_id: p.partner.name for p in view.budget.partners}
    names[None] = pool_label(view)
    return names


def _lines(view: BudgetView, settlement: DistrictSettlement, partner_id: int | None):
    with view.scope(READ_SETTLEMENT):
        stmt = select(SettlementLine).where(SettlementLine.settlement_id == settlement.id)
        if partner_id is not None:
            stmt = stmt.where(SettlementLine.partner_id == partner_id)
        rows = db.session.scalars(
            stmt.order_by(SettlementLine.partner_id, SettlementLine.product, SettlementLine.id)
        ).all()
        if not view.is_owner:
            for r in rows:
                db.session.expunge(r)
    return list(rows)


def load_settlement(view: BudgetView, settlement_id: int | None = None) -> SettlementData | None:
    """The budget's settlement (None when it has none, or ``settlement_id`` is not it)."""
    row = settled(view)
    if row is None or (settlement_id is not None and row.id != settlement_id):
        return None
    names = _names(view)
    transfers = [
        TransferLine(
            names.get(t.payer_id, "?"), names.get(t.payee_id, "?"), t.amount, t.payer_id, t.payee_id
        )
        for t in row.transfers
    ]
    partner_positions = [p for p in row.positions if p.partner_id is not None]
    total_due = sum((p.due for p in partner_positions), Decimal("0.00"))
    orgs = {p.partner_id: p.partner for p in view.budget.partners}

    def statement(position: SettlementPosition, lines) -> Statement:
        pid = position.partner_id
        return Statement(
            partner=orgs[pid],
            lines=[line for line in lines if line.partner_id == pid],
            position=position,
            pays=[t for t in transfers if t.payer_id == pid],
            receives=[t for t in transfers if t.payee_id == pid],
        )

    own = None
    statements: list[Statement] = []
    if view.is_owner:
        lines = _lines(view, row, None)
        statements = [statement(p, lines) for p in partner_positions]
        own = next((s for s in statements if s.partner.id == view.org.id), None)
    elif view.is_partner:
        mine = next((p for p in partner_positions if p.partner_id == view.org.id), None)
        if mine is not None:
            own = statement(mine, _lines(view, row, view.org.id))
    visible_transfers = (
        transfers
        if view.is_owner
        else [t for t in transfers if view.org.id in (t.payer_id, t.payee_id)]
    )
    refunds = list(row.refunds)
    if not view.is_owner and not view.is_approver:
        # A funder sees what goes back to itself; a partner the total surplus only.
        refunds = [r for r in refunds if _funder_of(view, r) == view.org.id]
    return SettlementData(
        settlement=row,
        pool_label=pool_label(view),
        total_due=total_due,
        positions=row.positions if view.is_owner else [],
        transfers=visible_transfers,
        refunds=refunds,
        statement=own,
        statements=statements,
    )


def _funder_of(view: BudgetView, refund: SettlementRefund) -> int | None:
    return next((f.funder_id for f in view.budget.funding if f.id == refund.funding_id), None)


def funding_line(view: BudgetView, refund: SettlementRefund):
    return next((f for f in view.budget.funding if f.id == refund.funding_id), None)


def statement_for(view: BudgetView, data: SettlementData, partner_id: int) -> Statement | None:
    """A partner's statement: the partner itself, or the owner; otherwise None (404)."""
    if view.is_owner:
        return next((s for s in data.statements if s.partner.id == partner_id), None)
    if data.statement is not None and data.statement.partner.id == partner_id:
        return data.statement
    return None


def budget_of_settlement(settlement_id: int) -> int | None:
    """Which budget a settlement belongs to (only its number: whether the asker may see that
    budget is decided by ``budgeting.budget_for``)."""
    with cross_tenant("find the budget of a settlement before checking access to it"):
        return db.session.scalar(
            select(DistrictSettlement.budget_id).where(DistrictSettlement.id == settlement_id)
        )
