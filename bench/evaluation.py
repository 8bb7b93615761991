"""Wall time of evaluating a tender: scoring, ranking and abnormally-low checks.

    .venv/bin/python bench/evaluation.py [--bids 1000] [--lots 4] [--repeat 30] [--seed 2026]

Generates the bids (seeded, so every run evaluates the same tender) over the lots with five
criteria (price 40 %, four quality criteria 60 %), then times ``evaluate_tender`` plus
``abnormally_low`` for every lot, ``--repeat`` times, with ``time.perf_counter``. Prints
the median and p95 wall time of one full evaluation, bids per second, and the ratio to a
trivial baseline measured in the same run (sorting as many Decimals as there are bids), so
numbers from different machines can be compared roughly.
"""

from __future__ import annotations

import argparse
import random
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from timing import p95, timed

from koepel.bids.scoring import BidScores, Criterion, abnormally_low, evaluate_tender

CRITERIA = [
    Criterion("prijs", "price", Decimal(40)),
    Criterion("plan_van_aanpak", "quality", Decimal(20)),
    Criterion("samenwerking", "quality", Decimal(15)),
    Criterion("maatschappelijke_meerwaarde", "quality", Decimal(15)),
    Criterion("continuiteit", "quality", Decimal(10)),
]


def price_cents(rnd: random.Random) -> int:
    """Around 250 000.00 euros (sd 15 %); one bid in fifty at half that, for abnormally_low."""
    cents = round(rnd.gauss(25_000_000, 3_750_000))
    if rnd.random() < 0.02:
        cents //= 2
    return max(100, cents)


def generate(n_bids: int, n_lots: int, seed: int) -> dict[str, list[BidScores]]:
    rnd = random.Random(seed)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    lots: dict[str, list[BidScores]] = {f"perceel-{i + 1}": [] for i in range(n_lots)}
    names = list(lots)
    for i in range(n_bids):
        lot = names[i % n_lots]
        lots[lot].append(
            BidScores(
                bid_id=i + 1,
                lot_id=lot,
                price=Decimal(price_cents(rnd)).scaleb(-2),
                # Consensus scores in half points: plenty of equal totals for the tie rule.
                scores={
                    c.id: Decimal(rnd.randint(0, 20)) / 2 for c in CRITERIA if c.kind == "quality"
                },
                submitted_at=start + timedelta(seconds=rnd.randint(0, 14 * 24 * 3600)),
                excluded=rnd.random() < 0.05,
                reserved_eligible=rnd.random() < 0.3,
            )
        )
    return lots


def evaluate(lots: dict[str, list[BidScores]]) -> int:
    ranked = evaluate_tender(CRITERIA, lots)
    flagged = sum(len(abnormally_low(bids)) for bids in lots.values())
    return sum(len(r) for r in ranked.values()) + flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bids", type=int, default=1000)
    parser.add_argument("--lots", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")

    lots = generate(args.bids, args.lots, args.seed)
    rnd = random.Random(args.seed)
    decimals = [Decimal(rnd.randint(0, 10**9)).scaleb(-2) for _ in range(args.bids)]

    evaluate(lots)  # warm up (imports, caches) outside the measurement
    sorted(decimals)
    evaluation = timed(lambda: evaluate(lots), args.repeat)
    baseline = timed(lambda: sorted(decimals), args.repeat)

    excluded = sum(b.excluded for bids in lots.values() for b in bids)
    flagged = sum(len(abnormally_low(bids)) for bids in lots.values())
    median, median_base = statistics.median(evaluation), statistics.median(baseline)
    print(
        f"tender: {args.bids} bids over {args.lots} lots, {len(CRITERIA)} criteria "
        f"({excluded} excluded, {flagged} abnormally low), seed {args.seed}, "
        f"{args.repeat} repetitions"
    )
    print(f"evaluation  median {median * 1000:8.2f} ms   p95 {p95(evaluation) * 1000:8.2f} ms")
    print(f"baseline    median {median_base * 1000:8.3f} ms   p95 {p95(baseline) * 1000:8.3f} ms")
    print(f"throughput  {args.bids / median:,.0f} bids/s (median)")
    print(f"ratio       {median / median_base:,.0f}x the baseline (sorting {args.bids} Decimals)")


if __name__ == "__main__":
    main()
