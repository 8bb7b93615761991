"""Server-rendered SVG bar charts: no chart library, no script, no CDN.

Returns geometry for a template to draw; bars scale to the largest value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    maximum: int


def bar_chart(
    values: list[tuple[str, int]], *, width: int = 600, height: int = 200, label_space: int = 24
) -> BarChart:
    maximum = max((v for _, v in values), default=0)
    plot_height = height - label_space
    slot = width / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(values):
        bar_height = (value / maximum * (plot_height - 16)) if maximum else 0
        bars.append(
            Bar(
                x=i * slot + slot * 0.15,
                y=plot_height - bar_height,
                width=slot * 0.7,
                height=bar_height,
                value=value,
                label=label,
            )
        )
    return BarChart(width=width, height=height, baseline=plot_height, bars=bars, maximum=maximum)
