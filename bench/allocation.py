"""Wall time of dividing a budget among many partners, by each allocation method.

    .venv/bin/python bench/allocation.py [--partners 1000] [--repeat 30] [--seed 2026]

Generates (seeded, so every run divides the same budget) € 8.500.000,00 a year, the partners'
proposals (adding up to it), percentages (hundredths, adding up to exactly 100), volumes ×
tariffs (more than the budget, so every share is scaled down) and a 2 % reserve for three
citizen initiatives. Times each method ``--repeat`` times with ``time.perf_counter``; prints
the median and p95 wall time, partners per second, and the ratio to a trivial baseline
measured in the same run (sorting as many Decimals as there are partners), so numbers from
different machines can be compared roughly.
"""

from __future__ import annotations

import argparse
import random
import statistics
from decimal import Decimal

from timing import p95, timed

from koepel.contracts.allocation import (
    Reserve,
    VolumeLine,
    allocate_equal,
    allocate_percentages,
    allocate_proposals,
    allocate_volume_tariff,
)
from koepel.platform.money import split

BUDGET = Decimal("8500000.00")
RESERVE = Reserve(percent=Decimal(2), initiatives=["Buurtkamer", "Repair Café", "Samen Eten"])


def generate(n: int, seed: int):
    rnd = random.Random(seed)
    names = [f"partner-{i:04d}" for i in range(n)]
    weights = [rnd.randint(1, 1000) for _ in names]
    distributable = split(BUDGET, [98, 2])[0]
    proposals = dict(zip(names, split(distributable, weights), strict=True))
    percentages = dict(zip(names, split(Decimal(100), weights), strict=True))
    volumes = {
        name: [
            VolumeLine(Decimal(rnd.randint(0, 2000)), Decimal(rnd.randint(2000, 8000)).scaleb(-2)),
            VolumeLine(
                Decimal(rnd.randint(0, 400)).scaleb(-1), Decimal(rnd.randint(1500, 3000)).scaleb(-2)
            ),
        ]
        for name in names
    }
    return names, proposals, percentages, volumes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")

    names, proposals, percentages, volumes = generate(args.partners, args.seed)
    methods = {
        "proposals": lambda: allocate_proposals(BUDGET, proposals, reserve=RESERVE),
        "percentages": lambda: allocate_percentages(BUDGET, percentages, reserve=RESERVE),
        "volume_tariff": lambda: allocate_volume_tariff(BUDGET, volumes, reserve=RESERVE),
        "equal": lambda: allocate_equal(BUDGET, names, reserve=RESERVE),
    }
    rnd = random.Random(args.seed)
    decimals = [Decimal(rnd.randint(0, 10**9)).scaleb(-2) for _ in range(args.partners)]

    results = {name: fn() for name, fn in methods.items()}  # warm up, and check the result
    for name, allocation in results.items():
        assert allocation.balanced, name
        total = sum(allocation.amounts.values()) + allocation.unallocated
        assert total == BUDGET, name
    sorted(decimals)
    baseline = timed(lambda: sorted(decimals), args.repeat)
    median_base = statistics.median(baseline)

    scaled = results["volume_tariff"].scale
    print(
        f"allocation: {args.partners} partners, budget {BUDGET}, 2 % reserve for 3 initiatives, "
        f"seed {args.seed}, {args.repeat} repetitions (volume × tariff scaled by "
        f"{float(scaled):.4f})"
    )
    for name, fn in methods.items():
        times = timed(fn, args.repeat)
        median = statistics.median(times)
        print(
            f"{name:<14} median {median * 1000:8.2f} ms   p95 {p95(times) * 1000:8.2f} ms   "
            f"{args.partners / median:>10,.0f} partners/s   {median / median_base:>6,.0f}x baseline"
        )
    print(
        f"baseline       median {median_base * 1000:8.3f} ms   p95 {p95(baseline) * 1000:8.3f} ms"
        f"   (sorting {args.partners} Decimals)"
    )


if __name__ == "__main__":
    main()
