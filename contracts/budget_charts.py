"""A horizontal bar chart as geometry for a server-rendered SVG (no script, no library):
one bar per partner, so long names fit on the left. The table on the same page carries the
same figures for screen readers, as in ``koepel.tenants.charts``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LABEL_CHARACTERS = 30


@dataclass(frozen=True)
class HBar:
    y: float
    width: float
    label: str
    value: Decimal


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[HBar]


def _short(label: str) -> str:
    label = label or ""
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def hbar_chart(
    values: list[tuple[str, Decimal | int]],
    *,
    width: int = 640,
    label_width: int = 210,
    value_width: int = 120,
    bar_height: int = 20,
    gap: int = 8,
) -> HBarChart:
    """Bars scaled to the largest value; a value of 0 has no bar."""
    maximum = max((Decimal(v) for _label, v in values), default=Decimal(0))
    room = width - label_width - value_width
    bars = []
    for i, (label, value) in enumerate(values):
        amount = Decimal(value)
        length = float(amount / maximum * room) if maximum > 0 and amount > 0 else 0.0
        bars.append(
            HBar(y=gap + i * (bar_height + gap), width=length, label=_short(label), value=amount)
        )
    height = gap + len(values) * (bar_height + gap)
    return HBarChart(width, max(height, bar_height + 2 * gap), label_width, bar_height, bars)
