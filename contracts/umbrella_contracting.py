"""Umbrella contracting on behalf of member cooperatives (the KZZN case of DOMAIN.md).

The umbrella (``OrgKind.UMBRELLA``) enters a contract with a funder (an insurer for personal
care and nursing, or a municipality) as its lead party, with the participating member
cooperatives as ``MEMBER`` parties (only current members). It passes volumes and money down
to them: a budget linked to the contract (``Budget.contract_id``), divided by volume ×
tariff with the ordinary allocation versions, agreed by every member and approved by the
umbrella itself. Members report what they delivered per period (month or quarter) on their
own page; the umbrella sees a roll-up per member and in total, and sends one combined report
per period to the funder (PDF and XLSX, made once by a job).

Who reads what (the named functions below):

- the umbrella owns the contract, the arrangement, the budget and the combined reports; it
  reads its members' reports of *this* contract only in ``member_reports``;
- a member reads the contract and arrangement it takes part in, its own share of the
  allocation (members are subcontractor-partners of the budget: their own share and the
  totals) and its own reports, never another member's;
- the funder reads the contract and the combined reports the umbrella made for it.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from koepel.contracts import allocation as rules
from koepel.contracts import allocation_versions, budgeting, contracting
from koepel.contracts.allocation_inputs import ShareInput, VolumeInput
from koepel.contracts.budgeting import BudgetView
from koepel.contracts.errors import ContractRuleError, _, number
from koepel.contracts.models.budgets import (
    AllocationMethod,
    AllocationShare,
    AllocationVersion,
    Budget,
    BudgetKind,
    BudgetPartnerRole,
    VersionStatus,
)
from koepel.contracts.models.core import Contract, ContractKind, ContractParty, PartyRole
from koepel.contracts.models.umbrella import (
    CombinedReport,
    CombinedStatus,
    MemberReport,
    ReportPeriod,
    UmbrellaContract,
)
from koepel.platform import audit, files, policy
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.money import to_money
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import local_today as today_local
from koepel.platform.timeutil import utcnow

FUNDER_KINDS = (OrgKind.INSURER, OrgKind.MUNICIPALITY, OrgKind.REGION)
JOB_NAME = "contracts.umbrella_combined_report"
FILES_AREA = "umbrella-reports"
MAX_QUANTITY = Decimal("9999999999.99")
CENT = Decimal("0.01")


class UmbrellaError(ContractRuleError):
    """A rule of umbrella contracting refused (the message is plain Dutch)."""


def _record(actor: User | None, tenant_id: int, action: str, obj_type: str, obj_id, **after):
    audit.record(
        db.session,
        actor=actor,
        tenant_id=tenant_id,
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        after=after or None,
    )


# -- periods -----------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: ReportPeriod

    @property
    def key(self) -> str:
        if self.kind == ReportPeriod.QUARTER:
            return f"{self.start.year}-K{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"


def period_of(day: date, kind: ReportPeriod) -> Period:
    """The month or quarter that ``day`` falls in."""
    month = day.month if kind == ReportPeriod.MONTH else (day.month - 1) // 3 * 3 + 1
    last_month = month if kind == ReportPeriod.MONTH else month + 2
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(date(day.year, month, 1), end, kind)


def parse_period(text: str, kind: ReportPeriod) -> Period:
    """A period as typed: "2026-03" for a month, "2026-K1" for a quarter."""
    raw = (text or "").strip().upper().replace(" ", "")
    if kind == ReportPeriod.QUARTER:
        found = re.fullmatch(r"(\d{4})-?[KQ]([1-4])", raw)
        if found:
            return period_of(date(int(found[1]), (int(found[2]) - 1) * 3 + 1, 1), kind)
        raise UmbrellaError(
            _("Schrijf het kwartaal als jaar en kwartaal, bijvoorbeeld 2026-K3."), "period"
        )
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    if found and 1 <= int(found[2]) <= 12:
        return period_of(date(int(found[1]), int(found[2]), 1), kind)
    raise UmbrellaError(_("Schrijf de maand als jaar en maand, bijvoorbeeld 2026-03."), "period")


def periods_between(start: date, end: date, kind: ReportPeriod) -> list[Period]:
    result, day = [], start
    while day <= end:
        period = period_of(day, kind)
        result.append(period)
        day = period.end + timedelta(days=1)
    return result


# -- entering the contract on behalf of members ------------------------------------------------
def members_of(umbrella: Organisation, today: date | None = None) -> list[Organisation]:
    """The umbrella's current member cooperatives, by name (names only: policy's function)."""
    members = policy.current_umbrella_members(umbrella, today or today_local())
    return sorted(
        (m for m in members if m.kind == OrgKind.COOPERATIVE and m.is_active),
        key=lambda m: (m.name.lower(), m.id),
    )


def funders() -> list[Organisation]:
    return budgeting.organisations(FUNDER_KINDS)


def enter_contract(
    *,
    actor: User | None,
    umbrella: Organisation,
    data: contracting.ContractData,
    funder: Organisation | None,
    members: list[Organisation],
    period: ReportPeriod = ReportPeriod.MONTH,
    unit: str = "uren",
    funder_sees_members: bool = True,
    today: date | None = None,
) -> UmbrellaContract:
    """A draft contract of the umbrella with the funder, on behalf of ``members``."""
    if umbrella.kind != OrgKind.UMBRELLA:
        raise UmbrellaError(_("Alleen een koepel sluit contracten af namens haar leden."))
    if funder is None or funder.kind not in FUNDER_KINDS or not funder.is_active:
        raise UmbrellaError(
            _("Kies de financier: een zorgverzekeraar, gemeente of regio."), "funder"
        )
    if not members:
        raise UmbrellaError(_("Kies minstens één deelnemende coöperatie."), "members")
    current = {m.id for m in members_of(umbrella, today)}
    outsiders = [m.name for m in members if m.id not in current]
    if outsiders:
        raise UmbrellaError(
            _(
                "Alleen huidige leden van de koepel doen mee. Geen lid: %(names)s.",
                names=", ".join(sorted(outsiders)),
            ),
            "members",
        )
    unit = (unit or "").strip()
    if not unit or len(unit) > 40:
        raise UmbrellaError(
            _("Schrijf waarin het volume geteld wordt, bijvoorbeeld uren (hoogstens 40 tekens)."),
            "unit",
        )
    if data.value is None and data.yearly_amount is None:
        raise UmbrellaError(_("Vul het bedrag van het contract in."), "value")
    parties = [(funder, PartyRole.FUNDER)] + [(m, PartyRole.MEMBER) for m in members]
    contract = contracting.create(actor=actor, owner=umbrella, data=data, parties=parties)
    arrangement = UmbrellaContract(
        tenant_id=umbrella.id,
        contract_id=contract.id,
        period=period,
        unit=unit,
        funder_sees_members=funder_sees_members,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(arrangement)
    db.session.flush()
    _record(
        actor,
        umbrella.id,
        "umbrella_contract.created",
        "contract",
        contract.id,
        funder=funder.slug,
        members=[m.slug for m in members],
        period=period.value,
        unit=unit,
        funder_sees_members=funder_sees_members,
    )
    return arrangement


# -- who sees what -----------------------------------------------------------------------------
@dataclass
class UmbrellaView:
    """The umbrella's contract as the acting organisation may see it."""

    seen: contracting.Seen
    arrangement: UmbrellaContract
    org: Organisation

    @property
    def contract(self) -> Contract:
        return self.seen.contract

    @property
    def is_umbrella(self) -> bool:
        return self.seen.is_owner

    @property
    def is_member(self) -> bool:
        return any(p.role == PartyRole.MEMBER for p in self.seen.own_parties)

    @property
    def is_funder(self) -> bool:
        return any(p.role == PartyRole.FUNDER for p in self.seen.own_parties)

    @property
    def members(self) -> list[ContractParty]:
        return [p for p in self.seen.parties if p.role == PartyRole.MEMBER]

    @property
    def funder(self) -> Organisation | None:
        return next((p.organisation for p in self.seen.parties if p.role == PartyRole.FUNDER), None)

    @property
    def periods(self) -> list[Period]:
        return periods_between(
            self.contract.start_date, self.contract.end_date, self.arrangement.period
        )


def umbrella_view(org: Organisation, contract_id: int) -> UmbrellaView | None:
    """The contract and its arrangement for the umbrella that owns it, a member taking part
    or the funder; None (404) for anyone else, also another umbrella."""
    seen = contracting.seen_contract(org, contract_id)
    if seen is None:
        return None
    query = select(UmbrellaContract).where(UmbrellaContract.contract_id == contract_id)
    if seen.is_owner:
        arrangement = db.session.scalar(query)
    else:
        if not any(p.role in (PartyRole.MEMBER, PartyRole.FUNDER) for p in seen.own_parties):
            return None
        with cross_tenant("a member or funder reads the umbrella arrangement it is party to"):
            arrangement = db.session.scalar(
                query.where(UmbrellaContract.tenant_id == seen.owner.id)
            )
            if arrangement is not None:
                db.session.expunge(arrangement)
    if arrangement is None:
        return None
    return UmbrellaView(seen, arrangement, org)


def contracts_for(org: Organisation) -> list[tuple[UmbrellaContract, contracting.ContractSummary]]:
    """The umbrella contracts ``org`` owns or takes part in (as member or funder)."""
    if org.kind == OrgKind.UMBRELLA:
        summaries = {s.id: s for s in contracting.own_contracts(org)}
        rows = db.session.scalars(select(UmbrellaContract)).all()
    else:
        summaries = {
            s.id: s
            for s in contracting.contracts_as_party(org)
            if s.role in (PartyRole.MEMBER, PartyRole.FUNDER)
        }
        with cross_tenant("members and funders list the umbrella contracts they are party to"):
            rows = db.session.scalars(
                select(UmbrellaContract).where(UmbrellaContract.contract_id.in_(list(summaries)))
            ).all()
            for row in rows:
                db.session.expunge(row)
    pairs = [(row, summaries[row.contract_id]) for row in rows if row.contract_id in summaries]
    return sorted(pairs, key=lambda p: (p[1].start_date, p[1].id), reverse=True)


# -- the allocation to members -----------------------------------------------------------------
def budget_view(view: UmbrellaView) -> BudgetView | None:
    if view.arrangement.budget_id is None:
        return None
    return budgeting.budget_for(view.org, view.arrangement.budget_id)


def _require_umbrella(view: UmbrellaView) -> None:
    if not view.is_umbrella:
        raise UmbrellaError(_("Alleen %(owner)s beheert dit contract.", owner=view.seen.owner.name))


def _make_budget(actor: User | None, view: UmbrellaView, total: Decimal) -> Budget:
    """The budget the members share: the contract's yearly amount for its first year. The
    umbrella approves its allocation itself (``budgeting.create`` only lets funders
    approve, so the row is made here, with the same audit event)."""
    contract, umbrella = view.contract, view.seen.owner
    end = min(contract.end_date, contracting_year_end(contract.start_date))
    budget = Budget(
        tenant_id=umbrella.id,
        title=_("Verdeling aan de leden: %(title)s", title=contract.title)[:300],
        kind=BudgetKind.ALLOCATION,
        period_start=contract.start_date,
        period_end=end,
        approver_id=umbrella.id,
        contract_id=contract.id,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(budget)
    db.session.flush()
    _record(
        actor,
        umbrella.id,
        "budget.created",
        "budget",
        budget.id,
        title=budget.title,
        kind=budget.kind.value,
        period=[budget.period_start.isoformat(), budget.period_end.isoformat()],
        approver=umbrella.slug,
        contract=contract.id,
    )
    bview = budgeting.budget_for(umbrella, budget.id)
    budgeting.add_funding(
        actor=actor, view=bview, funder=view.funder, scheme=contract.title[:200], amount_=total
    )
    for party in view.members:
        # Subcontractor-partners: each member sees its own share and the totals.
        budgeting.add_partner(
            actor=actor, view=bview, partner=party.organisation, role=BudgetPartnerRole.SUB
        )
    view.arrangement.budget_id = budget.id
    db.session.flush()
    return budget


def contracting_year_end(start: date) -> date:
    from koepel.contracts.models.core import add_months

    return add_months(start, 12) - timedelta(days=1)


def allocate_to_members(
    *,
    actor: User | None,
    view: UmbrellaView,
    tariff: Decimal,
    volumes: dict[int, Decimal],
    now: datetime | None = None,
) -> AllocationVersion:
    """A proposed allocation (volume × tariff) of the contract's first year to the members.
    The budget is made the first time; a later call makes a new version."""
    _require_umbrella(view)
    members = {p.organisation_id for p in view.members}
    if set(volumes) != members:
        raise UmbrellaError(_("Vul voor elke deelnemende coöperatie een volume in."), "volumes")
    rules.VolumeLine(Decimal(0), tariff)  # refuses a negative tariff or fractions of a cent
    for org_id, volume in volumes.items():
        if volume is None or volume < 0:
            raise UmbrellaError(_("Een volume kan niet negatief zijn."), f"volume_{org_id}")
    bview = budget_view(view)
    if bview is None:
        total = view.contract.yearly_amount or view.contract.value
        _make_budget(actor, view, total)
        bview = budget_view(view)
    inputs = {
        org_id: ShareInput(lines=[VolumeInput(volume, tariff, view.arrangement.unit)])
        for org_id, volume in volumes.items()
    }
    return allocation_versions.propose(
        actor=actor,
        view=bview,
        method=AllocationMethod.VOLUME_TARIFF,
        inputs=inputs,
        note=_("Verdeling aan de leden op volume × tarief."),
        now=now,
    )


@dataclass
class Allocation:
    """The current allocation as the acting organisation may see it."""

    budget: BudgetView
    version: AllocationVersion
    shares: list[AllocationShare]  # what the organisation may see of them
    agreed: set[int]
    total: Decimal

    def share_of(self, org_id: int) -> AllocationShare | None:
        return next((s for s in self.shares if s.partner_id == org_id), None)


def current_allocation(view: UmbrellaView) -> Allocation | None:
    """The newest allocation version that is not superseded (None before the first)."""
    bview = budget_view(view)
    if bview is None:
        return None
    newest = next(
        (v for v in allocation_versions.versions(bview) if v.status != VersionStatus.SUPERSEDED),
        None,
    )
    if newest is None:
        return None
    data = allocation_versions.load(bview, newest.id)
    shares = allocation_versions.visible_shares(bview, data)
    if view.is_funder and not view.arrangement.funder_sees_members:
        shares = []
    return Allocation(
        bview,
        data.version,
        list(shares),
        set(data.agreements),
        allocation_versions.total_of(data.shares),
    )


def member_agrees(
    *, actor: User | None, view: UmbrellaView, version_id: int, now: datetime | None = None
) -> AllocationVersion:
    if not view.is_member:
        raise UmbrellaError(_("Alleen een deelnemende coöperatie geeft akkoord."))
    bview = budget_view(view)
    if bview is None:
        raise UmbrellaError(_("Er is nog geen verdeling om akkoord op te geven."))
    return allocation_versions.agree(actor=actor, view=bview, version_id=version_id, now=now)


def umbrella_approves(
    *, actor: User | None, view: UmbrellaView, version_id: int, now: datetime | None = None
) -> AllocationVersion:
    _require_umbrella(view)
    bview = budget_view(view)
    if bview is None:
        raise UmbrellaError(_("Er is nog geen verdeling om goed te keuren."))
    return allocation_versions.approve(actor=actor, view=bview, version_id=version_id, now=now)


def _approved_tariffs(view: UmbrellaView) -> dict[int, Decimal] | None:
    """Per member the tariff of the approved allocation (None while none is approved)."""
    allocation = current_allocation(view)
    if allocation is None or allocation.version.status != VersionStatus.APPROVED:
        return None
    tariffs = {}
    for share in allocation.shares:
        lines = share.lines or []
        if lines:
            tariffs[share.partner_id] = Decimal(str(lines[0]["tariff"]))
    return tariffs


# -- members report --------------------------------------------------------------------------
def _quantity(value: Decimal | None, label: str, name: str) -> Decimal:
    if value is None:
        raise UmbrellaError(_("Vul %(what)s in.", what=label), name)
    value = number(value, name)
    if value < 0:
        raise UmbrellaError(_("%(what)s kan niet negatief zijn.", what=label.capitalize()), name)
    if value > MAX_QUANTITY or value != value.quantize(CENT):
        raise UmbrellaError(
            _("Gebruik voor %(what)s hoogstens twee cijfers achter de komma.", what=label), name
        )
    return value.quantize(CENT)


def _closed_periods(view: UmbrellaView) -> set[date]:
    """Periods the umbrella already reported to the funder."""
    query = select(CombinedReport.period_start).where(
        CombinedReport.contract_id == view.contract.id
    )
    if view.is_umbrella:
        return set(db.session.scalars(query))
    with cross_tenant("a member checks which periods its umbrella already reported"):
        return set(db.session.scalars(query.where(CombinedReport.tenant_id == view.seen.owner.id)))


def check_open(view: UmbrellaView, period: Period, today: date) -> None:
    """A period can be reported once it is over, inside the contract's term, until the
    reporting window after it closes or the umbrella sent its combined report."""
    contract = view.contract
    if period.end < contract.start_date or period.start > contract.end_date:
        raise UmbrellaError(
            _(
                "Deze periode valt buiten het contract (%(start)s tot en met %(end)s).",
                start=contract.start_date.strftime("%d-%m-%Y"),
                end=contract.end_date.strftime("%d-%m-%Y"),
            ),
            "period",
        )
    if period.end >= today:
        raise UmbrellaError(
            _(
                "Deze periode is nog niet voorbij. Rapporteer na %(end)s.",
                end=period.end.strftime("%d-%m-%Y"),
            ),
            "period",
        )
    if period.start in _closed_periods(view):
        raise UmbrellaError(
            _(
                "Deze periode is gesloten: de koepel heeft het verslag al naar de "
                "financier gestuurd."
            ),
            "period",
        )
    if today > period.end + timedelta(days=contract.kpi_window_days):
        raise UmbrellaError(
            _(
                "Deze periode is gesloten: rapporteren kon tot %(days)s dagen na het einde.",
                days=contract.kpi_window_days,
            ),
            "period",
        )


def report(
    *,
    actor: User | None,
    view: UmbrellaView,
    period: Period,
    volume: Decimal | None,
    hours: Decimal | None,
    note: str = "",
    today: date | None = None,
) -> MemberReport:
    """A member's own figures for one period (again for the same period: replaced)."""
    if not view.is_member:
        raise UmbrellaError(_("Alleen een deelnemende coöperatie rapporteert."))
    volume = _quantity(volume, _("het geleverde volume"), "volume")
    hours = _quantity(hours, _("de uren"), "hours")
    if period.kind != view.arrangement.period:
        raise UmbrellaError(_("Rapporteer per %(kind)s.", kind=period_label(view)), "period")
    check_open(view, period, today or today_local())
    if _approved_tariffs(view) is None:
        raise UmbrellaError(
            _("Rapporteren kan als de verdeling aan de leden is goedgekeurd."), "period"
        )
    member = view.org
    row = db.session.scalar(
        select(MemberReport).where(
            MemberReport.contract_id == view.contract.id,
            MemberReport.period_start == period.start,
        )
    )  # the member's own rows, in its own scope
    before = {"volume": row.volume, "hours": row.hours} if row else None
    if row is None:
        row = MemberReport(
            tenant_id=member.id,
            contract_id=view.contract.id,
            period_start=period.start,
            period_end=period.end,
        )
        db.session.add(row)
    row.volume, row.hours, row.note = volume, hours, (note or "").strip()[:2000]
    row.reported_by_id, row.reported_at = (actor.id if actor else None), utcnow()
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=member.id,
        action="umbrella_contract.reported",
        obj_type="member_report",
        obj_id=row.id,
        before=before,
        after={
            "contract": view.contract.id,
            "period": period.key,
            "volume": volume,
            "hours": hours,
        },
    )
    return row


def period_label(view: UmbrellaView) -> str:
    return _("maand") if view.arrangement.period == ReportPeriod.MONTH else _("kwartaal")


def own_reports(view: UmbrellaView) -> list[MemberReport]:
    """The acting member's own reports for this contract (its own scope)."""
    return list(
        db.session.scalars(
            select(MemberReport)
            .where(MemberReport.contract_id == view.contract.id)
            .order_by(MemberReport.period_start.desc())
        )
    )


def member_reports(view: UmbrellaView) -> list[MemberReport]:
    """Every participating member's reports for this contract, for the umbrella only: one
    query across the members' tenants, whatever their number."""
    _require_umbrella(view)
    ids = [p.organisation_id for p in view.members]
    with cross_tenant("the umbrella reads its members' reports for its contract with the funder"):
        rows = db.session.scalars(
            select(MemberReport)
            .where(MemberReport.contract_id == view.contract.id, MemberReport.tenant_id.in_(ids))
            .order_by(MemberReport.period_start, MemberReport.tenant_id)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


# -- the roll-up -------------------------------------------------------------------------------
@dataclass
class Line:
    """One member (or the total) in one period, or over the whole term."""

    name: str
    volume_allocated: Decimal = Decimal("0.00")
    amount_allocated: Decimal = Decimal("0.00")
    volume: Decimal = Decimal("0.00")
    hours: Decimal = Decimal("0.00")
    used: Decimal = Decimal("0.00")
    reported: bool = False

    @property
    def used_percent(self) -> Decimal | None:
        if not self.amount_allocated:
            return None
        return (self.used * 100 / self.amount_allocated).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    def add(self, other: Line) -> None:
        self.volume_allocated += other.volume_allocated
        self.amount_allocated += other.amount_allocated
        self.volume += other.volume
        self.hours += other.hours
        self.used += other.used
        self.reported = self.reported or other.reported


@dataclass
class PeriodRollup:
    period: Period
    members: list[Line]
    total: Line


@dataclass
class Rollup:
    unit: str
    periods: list[PeriodRollup]  # periods with at least one report, oldest first
    members: list[Line]  # over the whole allocation period
    total: Line
    tariffs: dict[int, Decimal] = field(default_factory=dict)


def _per_period(amount: Decimal, keys: list[str]) -> dict[str, Decimal]:
    """A yearly figure divided over the periods, to the cent (the rules' equal split)."""
    if not keys:
        return {}
    return rules.allocate_equal(to_money(amount), keys).amounts


def rollup(
    view: UmbrellaView, reports: list[MemberReport] | None = None, only: Period | None = None
) -> Rollup:
    """Per period and per member: allocated volume and budget (the approved allocation
    divided equally over the allocation's periods), delivered volume, hours and budget used
    (delivered volume × the member's tariff); and the totals. A fixed number of queries."""
    _require_umbrella(view)
    allocation = current_allocation(view)
    reports = member_reports(view) if reports is None else reports
    budget = allocation.budget.budget if allocation else None
    budget_periods = (
        [
            p.key
            for p in periods_between(
                budget.period_start, budget.period_end, view.arrangement.period
            )
        ]
        if budget
        else []
    )
    names = {p.organisation_id: p.organisation.name for p in view.members}
    order = [p.organisation_id for p in view.members]
    shares = {s.partner_id: s for s in (allocation.shares if allocation else [])}
    tariffs, per_volume, per_amount = {}, {}, {}
    for org_id in order:
        share = shares.get(org_id)
        lines = (share.lines or []) if share else []
        volume = sum((Decimal(str(line["volume"])) for line in lines), Decimal("0.00"))
        if lines:
            tariffs[org_id] = Decimal(str(lines[0]["tariff"]))
        per_volume[org_id] = _per_period(volume, budget_periods)
        amount = (share.amount or Decimal(0)) if share else Decimal(0)
        per_amount[org_id] = _per_period(amount, budget_periods)
    by_period: dict[date, dict[int, MemberReport]] = defaultdict(dict)
    for row in reports:
        by_period[row.period_start][row.tenant_id] = row
    totals = {org_id: Line(names[org_id]) for org_id in order}
    periods = []
    for period in view.periods:
        if only is not None and period != only:
            continue
        if period.start not in by_period and only is None:
            continue
        lines_ = []
        for org_id in order:
            line = Line(
                names[org_id],
                volume_allocated=per_volume[org_id].get(period.key, Decimal("0.00")),
                amount_allocated=per_amount[org_id].get(period.key, Decimal("0.00")),
            )
            row = by_period.get(period.start, {}).get(org_id)
            if row is not None:
                line.volume, line.hours, line.reported = row.volume, row.hours, True
                line.used = to_money(row.volume * tariffs.get(org_id, Decimal(0)))
            lines_.append(line)
            totals[org_id].add(line)
        total = Line(_("Totaal"))
        for line in lines_:
            total.add(line)
        periods.append(PeriodRollup(period, lines_, total))
    members = list(totals.values())
    for org_id in order:  # over the whole term the allocation is the whole share
        line = totals[org_id]
        line.volume_allocated = sum(per_volume[org_id].values(), Decimal("0.00"))
        line.amount_allocated = sum(per_amount[org_id].values(), Decimal("0.00"))
    grand = Line(_("Totaal"))
    for line in members:
        grand.add(line)
    return Rollup(view.arrangement.unit, periods, members, grand, tariffs)


# -- the combined report to the funder ---------------------------------------------------------
def job_key(contract_id: int, period: Period) -> str:
    return f"umbrella-report:{contract_id}:{period.start.isoformat()}"


def request_combined_report(
    *, actor: User | None, view: UmbrellaView, period: Period, today: date | None = None
) -> CombinedReport:
    """Queue the combined report of one period (once: asking again returns the same)."""
    _require_umbrella(view)
    if period not in view.periods:
        raise UmbrellaError(_("Deze periode valt buiten het contract."), "period")
    if period.end >= (today or today_local()):
        raise UmbrellaError(_("Deze periode is nog niet voorbij."), "period")
    existing = db.session.scalar(
        select(CombinedReport).where(
            CombinedReport.contract_id == view.contract.id,
            CombinedReport.period_start == period.start,
        )
    )
    if existing is not None:
        return existing
    if not any(r.period_start == period.start for r in member_reports(view)):
        raise UmbrellaError(
            _("Voor deze periode heeft nog geen coöperatie gerapporteerd."), "period"
        )
    row = CombinedReport(
        tenant_id=view.seen.owner.id,
        contract_id=view.contract.id,
        period_start=period.start,
        period_end=period.end,
        requested_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    run = enqueue(
        JOB_NAME,
        tenant_id=row.tenant_id,
        kwargs={"report_id": row.id},
        key=job_key(view.contract.id, period),
        created_by_id=actor.id if actor else None,
    )
    row.job_run_id = run.id
    db.session.flush()
    _record(
        actor,
        row.tenant_id,
        "umbrella_contract.report_requested",
        "contract",
        view.contract.id,
        period=period.key,
        job=run.id,
    )
    return row


def report_figures(view: UmbrellaView, period: Period) -> dict[str, Any]:
    """What the funder receives: the totals, and each member's line when the arrangement
    shares them. Members that did not report appear as such, never with figures."""
    data = rollup(view, only=period)
    lines = data.periods[0] if data.periods else None
    return {
        "contract": view.contract,
        "umbrella": view.seen.owner,
        "funder": view.funder,
        "period": period,
        "unit": view.arrangement.unit,
        "members": (lines.members if lines else []) if view.arrangement.funder_sees_members else [],
        "total": lines.total if lines else Line(_("Totaal")),
        "reported": sum(1 for m in (lines.members if lines else []) if m.reported),
        "participants": len(view.members),
        "generated_at": utcnow(),
    }


def render_pdf(figures: dict[str, Any]) -> bytes:
    from flask import current_app
    from flask_babel import force_locale

    from koepel.platform import pdf

    with force_locale("nl"):
        html = current_app.jinja_env.get_template("contracts/umbrella/report_pdf.html").render(
            **figures
        )
    return pdf.render(html)


def render_xlsx(figures: dict[str, Any]) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from koepel.platform import xlsx

    wb = Workbook()
    ws = wb.active
    ws.title = "Verslag"
    xlsx.put(ws, 1, 1, figures["contract"].title).font = Font(bold=True)
    xlsx.put(ws, 2, 1, "Koepel")
    xlsx.put(ws, 2, 2, figures["umbrella"].name)
    xlsx.put(ws, 3, 1, "Financier")
    xlsx.put(ws, 3, 2, figures["funder"].name if figures["funder"] else "")
    xlsx.put(ws, 4, 1, "Periode")
    xlsx.put(ws, 4, 2, figures["period"].key)
    header = [
        "Coöperatie",
        f"Volume toegekend ({figures['unit']})",
        f"Volume geleverd ({figures['unit']})",
        "Uren",
        "Budget toegekend",
        "Budget gebruikt",
    ]
    money, quantity = "#,##0.00", "#,##0.00"
    rows = [
        [
            m.name,
            m.volume_allocated,
            m.volume if m.reported else "niet gerapporteerd",
            m.hours if m.reported else None,
            m.amount_allocated,
            m.used if m.reported else None,
        ]
        for m in figures["members"]
    ]
    t = figures["total"]
    rows.append(["Totaal", t.volume_allocated, t.volume, t.hours, t.amount_allocated, t.used])
    xlsx.table(ws, 6, header, rows, {2: quantity, 3: quantity, 4: quantity, 5: money, 6: money})
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@job(JOB_NAME)
def build_combined_report(ctx: JobContext, report_id: int) -> None:
    """Compute, render and store one combined report (in the umbrella's scope)."""
    row = db.session.get(CombinedReport, report_id)
    if row is None or row.status == CombinedStatus.READY:
        return
    umbrella = db.session.get(Organisation, row.tenant_id)
    ctx.progress(0, 3, _("De cijfers van de leden worden opgeteld…"))
    view = umbrella_view(umbrella, row.contract_id)
    period = period_of(row.period_start, view.arrangement.period)
    figures = report_figures(view, period)
    ctx.progress(1, 3, _("Het verslag wordt opgemaakt…"))
    pdf_bytes, xlsx_bytes = render_pdf(figures), render_xlsx(figures)
    ctx.progress(2, 3, _("Het verslag wordt bewaard…"))
    row.pdf_name = files.store(row.tenant_id, pdf_bytes, ".pdf", FILES_AREA)
    row.xlsx_name = files.store(row.tenant_id, xlsx_bytes, ".xlsx", FILES_AREA)
    row.status, row.ready_at = CombinedStatus.READY, utcnow()
    db.session.flush()
    _record(
        None,
        row.tenant_id,
        "umbrella_contract.report_ready",
        "contract",
        row.contract_id,
        period=period.key,
    )
    ctx.progress(3, 3, _("Het verslag is klaar."))


def combined_reports(view: UmbrellaView) -> list[CombinedReport]:
    """The umbrella's combined reports of this contract: for the umbrella all, for the
    funder the finished ones (read across tenants); members see none."""
    query = (
        select(CombinedReport)
        .where(CombinedReport.contract_id == view.contract.id)
        .order_by(CombinedReport.period_start.desc())
    )
    if view.is_umbrella:
        return list(db.session.scalars(query))
    if not view.is_funder:
        return []
    with cross_tenant("the funder reads the combined reports of an umbrella contract"):
        rows = db.session.scalars(
            query.where(
                CombinedReport.tenant_id == view.seen.owner.id,
                CombinedReport.status == CombinedStatus.READY,
            )
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


def combined_file(view: UmbrellaView, report_id: int, fmt: str) -> tuple[CombinedReport, bytes]:
    """A finished report's file for the umbrella or the funder (LookupError: 404)."""
    row = next((r for r in combined_reports(view) if r.id == report_id), None)
    name = None if row is None else {"pdf": row.pdf_name, "xlsx": row.xlsx_name}.get(fmt)
    if row is None or row.status != CombinedStatus.READY or not name:
        raise LookupError(report_id)
    return row, files.read(row.tenant_id, name, FILES_AREA)


# -- demo --------------------------------------------------------------------------------------
DEMO_TITLE = "Persoonlijke verzorging en verpleging (Zorgverzekeraar Zuid)"
DEMO_VOLUMES = {
    "elsendorp": Decimal(1800),
    "hoogeloon": Decimal(1500),
    "laarbeek-zorg": Decimal(2400),
}
DEMO_TARIFF = Decimal("58.40")
# Per member, per month: (volume delivered, hours worked).
DEMO_REPORTS = {
    "elsendorp": [(Decimal("142.50"), Decimal("168.00")), (Decimal("151.00"), Decimal("176.25"))],
    "hoogeloon": [(Decimal("118.00"), Decimal("131.50")), (Decimal("124.75"), Decimal("140.00"))],
    "laarbeek-zorg": [
        (Decimal("197.25"), Decimal("230.00")),
        (Decimal("205.00"), Decimal("241.50")),
    ],
}


def load_demo(orgs: dict[str, Organisation]) -> int:
    """KZZN's insurer contract on behalf of Elsendorp, Hoogeloon and Laarbeek: allocated,
    agreed and approved, two months reported by every member and one combined report.
    Idempotent: nothing is added when the contract exists."""
    from koepel.contracts.models.core import add_months

    umbrella, insurer = orgs.get("kzzn"), orgs.get("zorgverzekeraar-zuid")
    members = [orgs.get(slug) for slug in DEMO_VOLUMES]
    if umbrella is None or insurer is None or None in members:
        return 0
    with acting_for(umbrella.id):
        if db.session.scalar(select(Contract.id).where(Contract.title == DEMO_TITLE)):
            return 0
        today = today_local()
        this_month = period_of(today, ReportPeriod.MONTH).start
        start = add_months(this_month, -10)  # the last two months fall inside the first year
        total = sum(DEMO_VOLUMES.values()) * DEMO_TARIFF
        arrangement = enter_contract(
            actor=None,
            umbrella=umbrella,
            data=contracting.ContractData(
                title=DEMO_TITLE,
                kind=ContractKind.INSURER,
                start_date=start,
                initial_months=24,
                description=(
                    "De koepel contracteert namens Elsendorp, Hoogeloon en Laarbeek de "
                    "persoonlijke verzorging en verpleging met Zorgverzekeraar Zuid."
                ),
                value=total * 2,
                yearly_amount=total,
            ),
            funder=insurer,
            members=members,
            today=today,
        )
        view = umbrella_view(umbrella, arrangement.contract_id)
        version = allocate_to_members(
            actor=None,
            view=view,
            tariff=DEMO_TARIFF,
            volumes={orgs[slug].id: v for slug, v in DEMO_VOLUMES.items()},
        )
        version_id, contract_id = version.id, arrangement.contract_id
    for member in members:
        with acting_for(member.id):
            member_agrees(
                actor=None, view=umbrella_view(member, contract_id), version_id=version_id
            )
    with acting_for(umbrella.id):
        umbrella_approves(
            actor=None, view=umbrella_view(umbrella, contract_id), version_id=version_id
        )
    months = [period_of(add_months(this_month, -2), ReportPeriod.MONTH)]
    months.append(period_of(add_months(this_month, -1), ReportPeriod.MONTH))
    for member in members:
        with acting_for(member.id):
            mview = umbrella_view(member, contract_id)
            for period, (volume, hours) in zip(months, DEMO_REPORTS[member.slug], strict=True):
                report(
                    actor=None, view=mview, period=period, volume=volume, hours=hours, today=today
                )
    with acting_for(umbrella.id):
        request_combined_report(
            actor=None, view=umbrella_view(umbrella, contract_id), period=months[0], today=today
        )
    return 1
