"""Budgets: an amount for a period from one or more funders, owned by the organisation that
manages it (a coalition's lead party, or the buyer itself), divided among partners.

Who sees a budget (the named functions at the bottom say it once):

- the **owner** manages it: funding lines, partners, allocation versions, settlements;
- a **partner** sees the budget, the allocation versions (a subcontractor only its own share
  and the totals), its own delivery records and its own settlement statement;
- a **funder** (a funding line is theirs) and the **approver** (the buyer or funder who
  approves allocations) see the budget, every share and the settlement's totals.

Anyone else gets nothing: pages and API answer 404, the same as for a budget that does not
exist. Functions that change something take the actor and the organisation explicitly,
write an audit event and only flush.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from koepel.contracts.allocation import Explanation
from koepel.contracts.errors import ContractRuleError, _, amount, not_negative
from koepel.contracts.models.budgets import (
    Budget,
    BudgetFunding,
    BudgetKind,
    BudgetPartner,
    BudgetPartnerRole,
    SurplusRule,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.tenancy import cross_tenant

# Who funds and approves: the organisations whose people may approve (budgets.approve).
FUNDER_KINDS = (OrgKind.MUNICIPALITY, OrgKind.REGION, OrgKind.INSURER)


class BudgetError(ContractRuleError):
    """A budget rule refused. ``state``: the object's state refuses it (an API answers
    409), otherwise the input does (422, with ``field``)."""

    def __init__(self, message: str, field: str | None = None, *, state: bool = False) -> None:
        super().__init__(message, field)
        self.state = state


class NotAParty(BudgetError):
    """The organisation has no part in the budget (or it does not exist): answered 404."""


# -- explanations kept with the figures -------------------------------------------------------
def explanation_json(why: Explanation) -> dict[str, Any]:
    """An explanation as JSON, so the page can say it again later in the reader's language."""

    def plain(value: object) -> object:
        if isinstance(value, Fraction):
            return {"fraction": [value.numerator, value.denominator]}
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return {"decimal": str(value)}
        return str(value)

    return {
        "method": why.method,
        "inputs": {k: plain(v) for k, v in why.inputs.items()},
        "exact": [why.exact.numerator, why.exact.denominator],
        "amount": str(why.amount),
        "rounding": why.rounding,
    }


def explanation_from(data: dict[str, Any] | None) -> Explanation | None:
    if not data:
        return None

    def value(raw: object) -> object:
        if isinstance(raw, dict) and "fraction" in raw:
            return Fraction(*raw["fraction"])
        if isinstance(raw, dict) and "decimal" in raw:
            return Decimal(raw["decimal"])
        return raw

    inputs = {k: value(v) for k, v in data.get("inputs", {}).items()}
    return Explanation.of(
        data["method"], inputs, Fraction(*data["exact"]), Decimal(data["amount"]), data["rounding"]
    )


def explanation_text(data: dict[str, Any] | None) -> str:
    """The stored explanation as one plain Dutch (or English) sentence."""
    why = explanation_from(data)
    return why.text() if why is not None else ""


# -- who sees a budget ------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetView:
    """A budget as the acting organisation may see it, with its relation to it."""

    budget: Budget
    org: Organisation
    is_owner: bool
    partner: BudgetPartner | None  # the acting organisation's own partner row
    is_funder: bool
    is_approver: bool

    @property
    def is_partner(self) -> bool:
        return self.partner is not None

    @property
    def is_sub(self) -> bool:
        return self.partner is not None and self.partner.role == BudgetPartnerRole.SUB

    @property
    def sees_all_shares(self) -> bool:
        """Every partner's share; a subcontractor sees its own share and the totals."""
        return self.is_owner or self.is_approver or self.is_funder or not self.is_sub

    def scope(self, reason: str) -> AbstractContextManager[Any]:
        """Reading the budget's rows: the owner in its own scope, any other party across
        tenants for the named reason (and only the budget's own rows)."""
        return nullcontext() if self.is_owner else cross_tenant(reason)


def _budget_query():
    return select(Budget).options(
        selectinload(Budget.funding).joinedload(BudgetFunding.funder),
        selectinload(Budget.partners).joinedload(BudgetPartner.partner),
        joinedload(Budget.approver),
        joinedload(Budget.owner),
    )


def _as_party(org: Organisation):
    return or_(
        Budget.approver_id == org.id,
        exists().where(BudgetPartner.budget_id == Budget.id, BudgetPartner.partner_id == org.id),
        exists().where(BudgetFunding.budget_id == Budget.id, BudgetFunding.funder_id == org.id),
    )


def _view(org: Organisation, budget: Budget) -> BudgetView:
    return BudgetView(
        budget=budget,
        org=org,
        is_owner=budget.tenant_id == org.id,
        partner=next((p for p in budget.partners if p.partner_id == org.id), None),
        is_funder=any(f.funder_id == org.id for f in budget.funding),
        is_approver=budget.approver_id == org.id,
    )


def _detach(rows) -> None:
    """Rows read across tenants are detached whole (with what was loaded), so nothing of
    them is reloaded or written outside the named scope."""
    for row in rows:
        db.session.expunge(row)


def budget_for(org: Organisation, budget_id: int) -> BudgetView | None:
    """The budget if ``org`` owns it or is a party to it (partner, funder, approver)."""
    own = db.session.scalar(_budget_query().where(Budget.id == budget_id))  # scoped
    if own is not None:
        return _view(org, own)
    with cross_tenant("a partner, funder or approver reads a budget it is party to"):
        budget = db.session.scalar(_budget_query().where(Budget.id == budget_id, _as_party(org)))
        if budget is None:
            return None
        _detach([budget])
    return _view(org, budget)


def budgets_for(org: Organisation) -> list[BudgetView]:
    """Every budget ``org`` owns or is a party to, newest period first."""
    order = (Budget.period_start.desc(), Budget.id.desc())
    own = db.session.scalars(_budget_query().order_by(*order)).unique().all()
    with cross_tenant("an organisation lists the budgets it is partner, funder or approver of"):
        others = (
            db.session.scalars(
                _budget_query().where(Budget.tenant_id != org.id, _as_party(org)).order_by(*order)
            )
            .unique()
            .all()
        )
        _detach(others)
    views = [_view(org, b) for b in (*own, *others)]
    return sorted(views, key=lambda v: (v.budget.period_start, v.budget.id), reverse=True)


def require_owner(view: BudgetView) -> None:
    if not view.is_owner:
        raise BudgetError(
            _("Alleen %(owner)s beheert deze pot.", owner=view.budget.owner.name), state=True
        )


# -- creating and changing ---------------------------------------------------------------------
@dataclass
class BudgetData:
    title: str
    kind: BudgetKind
    period_start: date
    period_end: date
    approver: Organisation
    description: str = ""
    contract_id: int | None = None
    share_deliveries: bool = False
    surplus_rule: SurplusRule = SurplusRule.FUNDERS


def _record(actor: User | None, view_or_budget, action: str, **after: Any) -> None:
    budget = view_or_budget.budget if isinstance(view_or_budget, BudgetView) else view_or_budget
    audit.record(
        db.session,
        actor=actor,
        tenant_id=budget.tenant_id,
        action=f"budget.{action}",
        obj_type="budget",
        obj_id=budget.id,
        after=after,
    )


def create(*, actor: User | None, owner: Organisation, data: BudgetData) -> Budget:
    title = (data.title or "").strip()
    if not title:
        raise BudgetError(_("Geef de pot een naam."), "title")
    if data.period_end < data.period_start:
        raise BudgetError(_("De periode eindigt voordat ze begint."), "period_end")
    if data.approver.kind not in FUNDER_KINDS:
        raise BudgetError(
            _("Wie goedkeurt is een gemeente, regio of zorgverzekeraar (de financier)."),
            "approver",
        )
    if data.contract_id is not None and data.contract_id <= 0:
        raise BudgetError(_("Een contractnummer is een positief getal."), "contract_id")
    budget = Budget(
        tenant_id=owner.id,
        title=title,
        description=(data.description or "").strip(),
        kind=data.kind,
        period_start=data.period_start,
        period_end=data.period_end,
        approver_id=data.approver.id,
        contract_id=data.contract_id,
        share_deliveries=data.share_deliveries,
        surplus_rule=data.surplus_rule,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(budget)
    db.session.flush()
    _record(
        actor,
        budget,
        "created",
        title=title,
        kind=data.kind.value,
        period=[data.period_start.isoformat(), data.period_end.isoformat()],
        approver=data.approver.slug,
    )
    return budget


def _settled(budget: Budget) -> bool:
    from koepel.contracts.models.budgets import DistrictSettlement

    return (
        db.session.scalar(
            select(DistrictSettlement.id).where(DistrictSettlement.budget_id == budget.id)
        )
        is not None
    )


def add_funding(
    *,
    actor: User | None,
    view: BudgetView,
    funder: Organisation,
    scheme: str,
    amount_: Decimal,
) -> BudgetFunding:
    """A funder's money for a scheme. Allocation versions keep the total they divided, so
    a later line makes a new version necessary (the page says so)."""
    require_owner(view)
    budget = view.budget
    if budget.kind == BudgetKind.DISTRICT and _settled(budget):
        raise BudgetError(_("Deze pot is al verrekend. De financiering ligt vast."), state=True)
    if funder.kind not in FUNDER_KINDS:
        raise BudgetError(_("Een financier is een gemeente, regio of zorgverzekeraar."), "funder")
    scheme = (scheme or "").strip()
    if not scheme:
        raise BudgetError(
            _("Schrijf voor welke regeling het geld is, bijvoorbeeld Wmo of verpleging."),
            "scheme",
        )
    money = not_negative(amount(amount_, _("Het bedrag"), "amount"), _("Het bedrag"), "amount")
    if any(f.funder_id == funder.id and f.scheme.lower() == scheme.lower() for f in budget.funding):
        raise BudgetError(
            _(
                "%(funder)s heeft al geld voor %(scheme)s in deze pot.",
                funder=funder.name,
                scheme=scheme,
            ),
            "scheme",
        )
    line = BudgetFunding(
        tenant_id=budget.tenant_id,
        budget_id=budget.id,
        funder_id=funder.id,
        scheme=scheme,
        amount=money,
    )
    db.session.add(line)
    db.session.flush()
    db.session.refresh(budget, ["funding"])
    _record(actor, view, "funding_added", funder=funder.slug, scheme=scheme, amount=money)
    return line


def add_partner(
    *,
    actor: User | None,
    view: BudgetView,
    partner: Organisation,
    role: BudgetPartnerRole = BudgetPartnerRole.MAIN,
    advance: Decimal = Decimal("0.00"),
) -> BudgetPartner:
    require_owner(view)
    budget = view.budget
    if budget.kind == BudgetKind.DISTRICT and _settled(budget):
        raise BudgetError(_("Deze pot is al verrekend. De partners liggen vast."), state=True)
    if not partner.is_active:
        raise BudgetError(_("Kies een organisatie die nog actief is."), "partner")
    if any(p.partner_id == partner.id for p in budget.partners):
        raise BudgetError(_("%(name)s is al partner.", name=partner.name), "partner")
    money = not_negative(
        amount(advance, _("Het voorschot"), "advance"), _("Het voorschot"), "advance"
    )
    row = BudgetPartner(
        tenant_id=budget.tenant_id,
        budget_id=budget.id,
        partner_id=partner.id,
        role=role,
        advance=money,
    )
    db.session.add(row)
    db.session.flush()
    db.session.refresh(budget, ["partners"])
    _record(actor, view, "partner_added", partner=partner.slug, role=role.value, advance=money)
    return row


def set_advance(
    *, actor: User | None, view: BudgetView, partner_id: int, advance: Decimal
) -> BudgetPartner:
    """What a partner already received from a pooled budget (until it is settled)."""
    require_owner(view)
    budget = view.budget
    if budget.kind != BudgetKind.DISTRICT:
        raise BudgetError(_("Voorschotten horen bij een gedeelde wijkpot."), state=True)
    if _settled(budget):
        raise BudgetError(_("Deze pot is al verrekend. De voorschotten liggen vast."), state=True)
    row = next((p for p in budget.partners if p.partner_id == partner_id), None)
    if row is None:
        raise NotAParty(_("Deze organisatie is geen partner in deze pot."), "partner")
    money = not_negative(
        amount(advance, _("Het voorschot"), "advance"), _("Het voorschot"), "advance"
    )
    before = row.advance
    row.advance = money
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=budget.tenant_id,
        action="budget.advance_set",
        obj_type="budget",
        obj_id=budget.id,
        before={"partner": row.partner.slug, "advance": before},
        after={"partner": row.partner.slug, "advance": money},
    )
    return row


# -- choices for forms -------------------------------------------------------------------------
def organisations(kinds: tuple[OrgKind, ...] | None = None) -> list[Organisation]:
    """Active organisations (the directory is public: names and kinds), by name."""
    stmt = select(Organisation).where(Organisation.is_active.is_(True))
    if kinds is not None:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return list(db.session.scalars(stmt.order_by(Organisation.name, Organisation.id)))


def organisation(org_id: int | None, kinds: tuple[OrgKind, ...] | None = None):
    if org_id is None:
        return None
    org = db.session.get(Organisation, org_id)
    if org is None or not org.is_active or (kinds is not None and org.kind not in kinds):
        return None
    return org


def schemes(budget: Budget) -> list[str]:
    """The schemes of the budget's funding lines, each once, in the order they were added."""
    return list(dict.fromkeys(f.scheme for f in budget.funding))
