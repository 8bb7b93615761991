"""Key performance indicators of a contract: target, unit, direction and reporting period;
contractors report a value per period; the owner sees values against targets in a table and
a chart.

Reporting periods are calendar months, quarters or years. A period can be reported once it
is over, until the contract's reporting window (``kpi_window_days``) after its end has
passed: a running or future period is refused, and so is a closed one, each with the date
that explains why. A value reported again within the window replaces the earlier one
(audited with both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.dates import format_date
from sqlalchemy import select

from koepel.contracts.contracting import CONTRACTORS, Seen, today_local
from koepel.contracts.errors import ContractRuleError, _, _language, number_text
from koepel.contracts.models.core import (
    Contract,
    ContractKpi,
    ContractStatus,
    KpiDirection,
    KpiPeriod,
    KpiValue,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

MAX_VALUE = Decimal("999999999999.99")
REPORTING = (ContractStatus.ACTIVE, ContractStatus.ENDED)


# -- periods (pure) ---------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Span:
    start: date
    end: date
    kind: KpiPeriod

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.kind == KpiPeriod.YEAR:
            return str(self.start.year)
        if self.kind == KpiPeriod.QUARTER:
            return _("K%(q)d %(y)d", q=(self.start.month - 1) // 3 + 1, y=self.start.year)
        return format_date(self.start, "MMM y", locale=_language())


def span_of(day: date, kind: KpiPeriod) -> Span:
    """The calendar period of ``kind`` that ``day`` falls in."""
    if kind == KpiPeriod.YEAR:
        return Span(date(day.year, 1, 1), date(day.year, 12, 31), kind)
    months = 3 if kind == KpiPeriod.QUARTER else 1
    first = (day.month - 1) // months * months + 1
    start = date(day.year, first, 1)
    after = date(day.year + (first + months > 12), (first + months - 1) % 12 + 1, 1)
    return Span(start, after - timedelta(days=1), kind)


def spans(start: date, end: date, kind: KpiPeriod) -> list[Span]:
    """The periods that overlap ``start``..``end``, in order."""
    result, day = [], start
    while day <= end:
        span = span_of(day, kind)
        result.append(span)
        day = span.end + timedelta(days=1)
    return result


def check_reportable(
    span: Span, today: date, window_days: int, term_start: date, term_end: date
) -> None:
    """Refuse a report for a period outside the contract, not over yet, or closed."""
    if span.end < term_start or span.start > term_end:
        raise ContractRuleError(
            _("%(period)s valt buiten de looptijd van het contract.", period=span.label), "period"
        )
    if today <= span.end:
        raise ContractRuleError(
            _(
                "%(period)s is nog niet voorbij. U kunt de waarde melden vanaf %(day)s.",
                period=span.label,
                day=_long(span.end + timedelta(days=1)),
            ),
            "period",
        )
    closes = span.end + timedelta(days=window_days)
    if today > closes:
        raise ContractRuleError(
            _(
                "De termijn om over %(period)s te melden is voorbij: dat kon tot en met "
                "%(day)s. Neem contact op met de opdrachtgever als de waarde toch moet worden "
                "aangepast.",
                period=span.label,
                day=_long(closes),
            ),
            "period",
        )


def _long(day: date) -> str:
    return format_date(day, "long", locale=_language())


def meets(value: Decimal, target: Decimal, direction: KpiDirection) -> bool:
    return value >= target if direction == KpiDirection.HIGHER else value <= target


# -- chart (pure): bars per period with the target as a line -----------------------------------
@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: Decimal | None
    met: bool | None


@dataclass(frozen=True)
class KpiChart:
    width: int
    height: int
    baseline: float
    target_y: float
    bars: list[Bar]


def chart(
    points: Sequence[tuple[str, Decimal | None]],
    target: Decimal,
    direction: KpiDirection,
    *,
    width: int = 600,
    height: int = 220,
    label_space: int = 24,
) -> KpiChart:
    """Geometry for an SVG: one bar per period (none where nothing was reported) scaled
    to the largest of the values and the target, and the target as a horizontal line."""
    values = [v for _label, v in points if v is not None]
    top = max([abs(v) for v in values] + [abs(target), Decimal(1)])
    plot = height - label_space - 16  # room above the highest bar for its value
    baseline = float(height - label_space)
    slot = width / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        bar_height = float(abs(value) / top) * plot if value is not None else 0.0
        bars.append(
            Bar(
                x=i * slot + slot * 0.15,
                y=baseline - bar_height,
                width=slot * 0.7,
                height=bar_height,
                label=label,
                value=value,
                met=None if value is None else meets(value, target, direction),
            )
        )
    target_y = baseline - float(abs(target) / top) * plot
    return KpiChart(width, height, baseline, target_y, bars)


# -- storage ----------------------------------------------------------------------------------
def _decimal(value: object, label: str, field: str) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise ContractRuleError(_("%(what)s is geen getal.", what=label), field)
    value = Decimal(value)
    if not value.is_finite() or abs(value) > MAX_VALUE:
        raise ContractRuleError(_("%(what)s is te groot.", what=label), field)
    if value != value.quantize(Decimal("0.01")):
        raise ContractRuleError(
            _("%(what)s heeft meer dan twee cijfers achter de komma.", what=label), field
        )
    return value


def add_kpi(
    *,
    actor: User,
    owner: Organisation,
    contract: Contract,
    name: str,
    unit: str,
    target: Decimal,
    direction: KpiDirection,
    period: KpiPeriod,
    description: str = "",
) -> ContractKpi:
    if contract.status in (ContractStatus.ENDED, ContractStatus.TERMINATED):
        raise ContractRuleError(_("Dit contract is gesloten; er komen geen indicatoren bij."))
    name, unit = (name or "").strip(), (unit or "").strip()
    if not name:
        raise ContractRuleError(_("Geef de indicator een naam."), "name")
    if not unit:
        raise ContractRuleError(
            _("Vul de eenheid in, bijvoorbeeld procent, cliënten of een rapportcijfer."), "unit"
        )
    target = _decimal(target, _("De streefwaarde"), "target")
    existing = db.session.scalars(
        select(ContractKpi).where(ContractKpi.contract_id == contract.id)
    ).all()
    if any(k.name.casefold() == name.casefold() for k in existing):
        raise ContractRuleError(_("Er is al een indicator met deze naam."), "name")
    kpi = ContractKpi(
        tenant_id=owner.id,
        contract_id=contract.id,
        position=len(existing) + 1,
        name=name[:200],
        unit=unit[:40],
        target=target,
        direction=direction,
        period=period,
        description=(description or "").strip(),
    )
    db.session.add(kpi)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=owner.id,
        action="contract.kpi_added",
        obj_type="contract",
        obj_id=contract.id,
        after={"kpi": kpi.name, "target": target, "unit": kpi.unit, "period": period.value},
    )
    return kpi


def _read(seen: Seen, stmt):
    if seen.is_owner:
        return db.session.scalars(stmt).all()
    with cross_tenant("a party reads the indicators of a contract it is party to"):
        return db.session.scalars(stmt).all()


def kpis_of(seen: Seen) -> list[ContractKpi]:
    return list(
        _read(
            seen,
            select(ContractKpi)
            .where(ContractKpi.contract_id == seen.contract.id)
            .order_by(ContractKpi.position, ContractKpi.id),
        )
    )


def values_of(seen: Seen) -> list[KpiValue]:
    return list(
        _read(
            seen,
            select(KpiValue)
            .where(KpiValue.contract_id == seen.contract.id)
            .order_by(KpiValue.period_start),
        )
    )


@dataclass(frozen=True)
class Cell:
    span: Span
    value: KpiValue | None
    met: bool | None


@dataclass(frozen=True)
class KpiRow:
    kpi: ContractKpi
    cells: list[Cell]
    chart: KpiChart

    @property
    def reported(self) -> int:
        return sum(1 for c in self.cells if c.value is not None)

    @property
    def met(self) -> int:
        return sum(1 for c in self.cells if c.met)


def term_spans(contract: Contract, kind: KpiPeriod, today: date) -> list[Span]:
    """The periods of the contract's term that have begun by ``today``."""
    last = min(contract.end_date, today)
    return spans(contract.start_date, last, kind) if last >= contract.start_date else []


def table(seen: Seen, today: date | None = None) -> list[KpiRow]:
    """Per indicator: every period of the term so far with its value against the target."""
    today = today or today_local()
    by_kpi: dict[int, dict[date, KpiValue]] = {}
    for value in values_of(seen):
        by_kpi.setdefault(value.kpi_id, {})[value.period_start] = value
    rows = []
    for kpi in kpis_of(seen):
        values = by_kpi.get(kpi.id, {})
        cells = []
        for span in term_spans(seen.contract, kpi.period, today):
            value = values.get(span.start)
            met = None if value is None else meets(value.value, kpi.target, kpi.direction)
            cells.append(Cell(span, value, met))
        points = [(c.span.label, c.value.value if c.value else None) for c in cells]
        rows.append(KpiRow(kpi, cells, chart(points, kpi.target, kpi.direction)))
    return rows


def open_spans(seen: Seen, kpi: ContractKpi, today: date) -> list[Span]:
    """The periods a value can be reported for today."""
    result = []
    for span in spans(seen.contract.start_date, seen.contract.end_date, kpi.period):
        try:
            check_reportable(
                span,
                today,
                seen.contract.kpi_window_days,
                seen.contract.start_date,
                seen.contract.end_date,
            )
        except ContractRuleError:
            continue
        result.append(span)
    return result


def report(
    *,
    actor: User,
    org: Organisation,
    seen: Seen,
    kpi_id: int,
    period_start: date | None,
    value: Decimal | None,
    note: str = "",
    now: datetime | None = None,
) -> KpiValue:
    """A contractor party reports (or, within the window, corrects) the value of one
    period. The row is the owner's: written in a named cross-tenant scope for a party."""
    now = now or utcnow()
    if not any(p.role in CONTRACTORS for p in seen.own_parties):
        raise ContractRuleError(_("Alleen een aannemer van dit contract meldt waarden."))
    contract = seen.contract
    if contract.status not in REPORTING:
        raise ContractRuleError(_("U meldt waarden zodra het contract loopt."))
    kpi = next((k for k in kpis_of(seen) if k.id == kpi_id), None)
    if kpi is None:
        raise ContractRuleError(_("Deze indicator hoort niet bij dit contract."), "kpi")
    if period_start is None:
        raise ContractRuleError(_("Kies de periode."), "period")
    if value is None:
        raise ContractRuleError(_("Vul de waarde in."), "value")
    value = _decimal(value, _("De waarde"), "value")
    span = span_of(period_start, kpi.period)
    check_reportable(
        span, today_local(now), contract.kpi_window_days, contract.start_date, contract.end_date
    )
    with cross_tenant("a contractor reports an indicator of a contract it is party to"):
        row = db.session.scalar(
            select(KpiValue).where(KpiValue.kpi_id == kpi.id, KpiValue.period_start == span.start)
        )
        before = {"value": row.value, "by": row.reported_by_org_id} if row else None
        if row is None:
            row = KpiValue(
                tenant_id=contract.tenant_id,
                kpi_id=kpi.id,
                contract_id=contract.id,
                period_start=span.start,
                period_end=span.end,
                value=value,
                reported_by_org_id=org.id,
            )
            db.session.add(row)
        row.value, row.note = value, (note or "").strip()
        row.reported_by_org_id, row.reported_by_id, row.reported_at = org.id, actor.id, now
        db.session.flush()
        for tenant_id in dict.fromkeys([contract.tenant_id, org.id]):
            audit.record(
                db.session,
                actor=actor,
                tenant_id=tenant_id,
                action="contract.kpi_reported",
                obj_type="contract",
                obj_id=contract.id,
                before=before,
                after={"kpi": kpi.name, "period": span.label, "value": value},
            )
    return row


def value_text(value: Decimal | None) -> str:
    """A value for the table: 7,5 and 450, not 7,50 and 450,00."""
    if value is None:
        return ""
    return number_text(value.normalize())
