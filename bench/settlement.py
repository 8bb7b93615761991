"""Wall time of settling a pooled district budget, transfers and statements included.

    .venv/bin/python bench/settlement.py [--partners 100] [--records 100000] [--repeat 20]
                                         [--seed 2026]

Generates (seeded, so every run settles the same district) four funders' contributions, the
partners' delivery records (hours of four products at their tariffs, in quarter hours) and
the advances they received, then times ``settle`` (values, due amounts, positions, the
fewest transfers and a statement per partner) ``--repeat`` times with ``time.perf_counter``.
With more than 16 non-zero positions the transfers come from the greedy rule; the exact
search on 16 positions is timed on its own. Prints the median and p95 wall times, records
per second, and the ratio to a trivial baseline measured in the same run (adding up the
records' quantities), so numbers from different machines can be compared roughly.
"""

from __future__ import annotations

import argparse
import random
import statistics
from decimal import Decimal

from timing import p95, timed

from koepel.contracts.settlement import Contribution, Delivery, fewest_transfers, settle
from koepel.platform.money import split

PRODUCTS = [
    ("persoonlijke verzorging", Decimal("52.00")),
    ("verpleging", Decimal("75.00")),
    ("begeleiding", Decimal("62.50")),
    ("huishoudelijke hulp", Decimal("27.50")),
]


def generate(n_partners: int, n_records: int, seed: int):
    rnd = random.Random(seed)
    partners = [f"aanbieder-{i:03d}" for i in range(n_partners)]
    deliveries = []
    for _ in range(n_records):
        product, tariff = rnd.choice(PRODUCTS)
        hours = Decimal(rnd.randint(1, 16)) / 4
        deliveries.append(Delivery(rnd.choice(partners), hours, tariff, "uur", product))
    value = sum(d.quantity * d.tariff for d in deliveries)
    # A pool a little smaller than the value delivered, so the due amounts are scaled.
    pool = (value * Decimal("0.97")).quantize(Decimal(1))
    contributions = [
        Contribution("Zorgkantoor", scheme, part)
        for scheme, part in zip(
            ["persoonlijke verzorging", "verpleging", "begeleiding"],
            split(pool * Decimal("0.75"), [40, 35, 25]),
            strict=True,
        )
    ]
    contributions.append(
        Contribution("Gemeente", "huishoudelijke hulp", pool - sum(c.amount for c in contributions))
    )
    # Advances: 95 % of the pool, in proportion to a rough forecast of each partner's share.
    advanced = split(pool * Decimal("0.95"), [rnd.randint(50, 150) for _ in partners])
    return contributions, partners, deliveries, dict(zip(partners, advanced, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")

    contributions, partners, deliveries, advances = generate(args.partners, args.records, args.seed)
    quantities = [d.quantity for d in deliveries]
    rnd = random.Random(args.seed)
    sixteen = [rnd.randint(-(10**7), 10**7) for _ in range(15)]
    sixteen.append(-sum(sixteen))
    positions16 = {f"p{i:02d}": Decimal(c).scaleb(-2) for i, c in enumerate(sixteen)}

    result = settle(contributions, partners, deliveries, advances)  # warm up, and check
    assert sum(result.positions.values()) == 0
    sum(quantities)
    runs = timed(lambda: settle(contributions, partners, deliveries, advances), args.repeat)
    transfers = timed(lambda: fewest_transfers(result.positions), args.repeat)
    exact = timed(lambda: fewest_transfers(positions16), args.repeat)
    baseline = timed(lambda: sum(quantities), args.repeat)

    non_zero = sum(1 for v in result.positions.values() if v)
    median, median_base = statistics.median(runs), statistics.median(baseline)
    print(
        f"settlement: {args.partners} partners, {args.records} delivery records, pool "
        f"{result.pool} (value {result.total_value:.2f}, capped: {result.capped}), seed "
        f"{args.seed}, {args.repeat} repetitions"
    )
    print(
        f"settle          median {median * 1000:8.2f} ms   p95 {p95(runs) * 1000:8.2f} ms   "
        f"{args.records / median:,.0f} records/s   {median / median_base:,.0f}x baseline"
    )
    print(
        f"  of which transfers  median {statistics.median(transfers) * 1000:6.2f} ms   "
        f"({non_zero} non-zero positions, {len(result.transfers)} transfers, greedy)"
    )
    print(
        f"exact search, 16 positions  median {statistics.median(exact) * 1000:6.2f} ms   "
        f"p95 {p95(exact) * 1000:6.2f} ms   ({len(fewest_transfers(positions16)[0])} transfers)"
    )
    print(
        f"baseline        median {median_base * 1000:8.3f} ms   p95 {p95(baseline) * 1000:8.3f} ms"
        f"   (adding up {args.records} Decimal quantities)"
    )


if __name__ == "__main__":
    main()
