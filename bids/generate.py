"""Generated tenders and sealed bids at any scale, for ``koepel generate`` (benchmarks).

Municipalities publish tenders with lots, weighted criteria (summing to 100) and a
requirement; the generated cooperatives and umbrellas bid on them. Rows are written with
ORM bulk inserts in the tenancy scope of their owner, as ``koepel.tenants.generate`` does.
Bid content goes through the real sealing code (``koepel.bids.sealing``, the envelopes
``koepel.bids.submission`` makes, bound to the bid and envelope), so an opening decrypts
and checks every bid against its digest. Every ``OPENED_EVERY``-th tender is past its
deadline and opened by two officials and scored through the app's own functions
(``koepel.bids.opening``, ``koepel.bids.evaluation``), so the evaluation page has content.

Seeded: the same arguments give the same rows (ciphertexts differ: their nonces and the
envelopes' salts are random, as on a real submission).
"""

from __future__ import annotations

import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update

from koepel.bids import evaluation, opening, sealing
from koepel.bids.models import (
    Bid,
    BidStatus,
    Criterion,
    CriterionKind,
    Lot,
    LotKind,
    OpenedBid,
    Procedure,
    Requirement,
    Tender,
    TenderStatus,
)
from koepel.bids.submission import CITIZEN_INITIATIVES, aad, sealing_key
from koepel.bids.tenders import get_tender
from koepel.platform.auth import operations as accounts
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

OPENED_EVERY = 50  # 20 opened tenders in 1 000; the first tender is always one
DRAFT_EVERY = 20  # drafts get no bids
CLOSED_EVERY = 10  # past the deadline, not opened yet (offset 5)
# (title, kind, weight): weights sum to 100, as publishing demands.
CRITERIA = (
    ("Prijs", CriterionKind.PRICE, Decimal(40)),
    ("Aanpak en samenwerking in de wijk", CriterionKind.QUALITY, Decimal(35)),
    ("Maatschappelijke meerwaarde", CriterionKind.SOCIAL_VALUE, Decimal(25)),
)
SUBJECTS = (
    "Huishoudelijke hulp",
    "Dagbesteding ouderen",
    "Mantelzorgondersteuning",
    "Vervoer naar de huisarts",
    "Welzijn op recept",
    "Maaltijden aan huis",
    "Ontmoeting in de buurt",
    "Jeugd en gezin",
)
LOT_AREAS = ("Noord", "Zuid", "Oost", "West", "Centrum")
ANSWERS = (
    "Vrijwilligers uit het dorp, met een vaste coördinator en korte lijnen met de huisarts.",
    "Wij werken samen met de kerk, de school en de buurtvereniging.",
    "Elke maand een gesprek met de gemeente over wat werkt en wat beter kan.",
    "Wij zetten in op ontmoeting, zodat minder mensen alleen thuis zitten.",
)


@dataclass(frozen=True)
class TendersReport:
    municipalities: int
    tenders: int
    bids: int
    opened: int
    seconds: float


def _rng(seed: str) -> random.Random:
    return random.Random(seed)  # noqa: S311  (test data, not secrets)


def municipality_slug(seed: str, number: int) -> str:
    return f"gen-{seed}-gemeente-{number}"


def _state(index: int) -> str:
    if index % OPENED_EVERY == 0:
        return "opened"
    if index % DRAFT_EVERY == DRAFT_EVERY - 1:
        return "draft"
    if index % CLOSED_EVERY == CLOSED_EVERY // 2:
        return "closed"
    return "open"


def _bidders(seed: str) -> list[Organisation]:
    """The generated cooperatives and umbrellas: citizen initiatives that bid."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.slug.like(f"gen-{seed}-%"),
                Organisation.kind.in_(CITIZEN_INITIATIVES),
            )
            .order_by(Organisation.id)
        )
    )


def generate_tenders(
    *, municipalities: int, tenders: int, bids: int, seed: str, now: datetime
) -> TendersReport:
    """``municipalities`` buyers sharing ``tenders`` tenders and ``bids`` submitted bids.
    Run after ``koepel.tenants.generate.generate`` with the same seed (its cooperatives
    and umbrellas are the bidders)."""
    started = time.perf_counter()
    rng = _rng(f"{seed}:tenders")
    bidders = _bidders(seed)
    if tenders and bids and not bidders:
        raise ValueError("no generated cooperatives to bid; generate cooperatives first")
    if municipalities < 1 and tenders:
        raise ValueError("tenders need at least one municipality")
    buyers = [
        Organisation(
            kind=OrgKind.MUNICIPALITY,
            slug=municipality_slug(seed, i + 1),
            name=f"Gemeente Dorpen {i + 1}",
        )
        for i in range(municipalities)
    ]
    db.session.add_all(buyers)
    db.session.flush()
    plans = _tender_plans(rng, tenders, len(buyers), now)
    by_buyer: dict[int, list[dict]] = defaultdict(list)
    for plan in plans:
        by_buyer[plan["buyer"]].append(plan)
    for index, buyer in enumerate(buyers):
        _write_tenders(buyer, by_buyer.get(index, []), rng)
    biddable = [p for p in plans if p["state"] != "draft"]
    if bids and not biddable:
        raise ValueError("every generated tender is a draft; ask for more tenders")
    _write_bids(rng, biddable, bidders, bids, now)
    opened = [p for p in plans if p["state"] == "opened"]
    for plan in opened:
        buyer = buyers[plan["buyer"]]
        _open_and_score(buyer, plan, officials(buyer), rng)
    return TendersReport(len(buyers), len(plans), bids, len(opened), time.perf_counter() - started)


def _tender_plans(rng: random.Random, count: int, buyers: int, now: datetime) -> list[dict]:
    plans = []
    for index in range(count):
        state = _state(index)
        if state in ("opened", "closed"):
            deadline = now - timedelta(days=rng.randrange(2, 40), hours=rng.randrange(24))
        else:
            deadline = now + timedelta(days=rng.randrange(7, 90), hours=rng.randrange(24))
        published = deadline - timedelta(days=rng.randrange(30, 60))
        plans.append(
            {
                "index": index,
                "buyer": index % buyers,
                "state": state,
                "deadline": deadline,
                "published": min(published, now - timedelta(days=1)),
                "lots": 1 + rng.randrange(3),
                "subject": rng.choice(SUBJECTS),
            }
        )
    return plans


def _write_tenders(buyer: Organisation, plans: list[dict], rng: random.Random) -> None:
    """Tenders, lots, criteria and a requirement of one buyer, in its scope."""
    if not plans:
        return
    with acting_for(buyer.id):
        rows = [
            {
                "tenant_id": buyer.id,
                "title": f"{p['subject']} {buyer.name} {p['index'] + 1}",
                "description": f"{p['subject']} voor de inwoners van {buyer.name}.",
                "procedure": rng.choice((Procedure.SOCIAL, Procedure.OPEN)),
                "status": TenderStatus.DRAFT if p["state"] == "draft" else TenderStatus.PUBLISHED,
                "estimated_value": Decimal(rng.randrange(100, 5000) * 1000),
                "submission_deadline": p["deadline"],
                "questions_deadline": p["deadline"] - timedelta(days=7),
                "published_at": None if p["state"] == "draft" else p["published"],
                "show_bid_count": rng.random() < 0.3,
                "created_at": p["published"] - timedelta(days=3),
            }
            for p in plans
        ]
        ids = db.session.scalars(
            insert(Tender).returning(Tender.id, sort_by_parameter_order=True), rows
        ).all()
        lots, criteria, requirements = [], [], []
        for plan, tender_id, row in zip(plans, ids, rows, strict=True):
            plan["id"] = tender_id
            value = row["estimated_value"]
            for number in range(1, plan["lots"] + 1):
                lots.append(
                    {
                        "tenant_id": buyer.id,
                        "tender_id": tender_id,
                        "number": number,
                        "title": f"Perceel {LOT_AREAS[number - 1]}",
                        "description": "",
                        "kind": LotKind.GEOGRAPHIC,
                        "area": LOT_AREAS[number - 1],
                        "budget": (value / plan["lots"]).quantize(Decimal("0.01")),
                        "reserved_share": Decimal(10) if number == 1 else Decimal(0),
                    }
                )
            for title, kind, weight in CRITERIA:
                criteria.append(
                    {
                        "tenant_id": buyer.id,
                        "tender_id": tender_id,
                        "title": title,
                        "description": "",
                        "kind": kind,
                        "weight": weight,
                        "max_points": Decimal(10),
                    }
                )
            requirements.append(
                {
                    "tenant_id": buyer.id,
                    "tender_id": tender_id,
                    "title": "VOG voor vrijwilligers",
                    "description": "",
                    "equivalent": "Een vertrouwenspersoon en een gedragscode",
                }
            )
        lot_ids = db.session.scalars(
            insert(Lot).returning(Lot.id, sort_by_parameter_order=True), lots
        ).all()
        criterion_ids = db.session.scalars(
            insert(Criterion).returning(Criterion.id, sort_by_parameter_order=True), criteria
        ).all()
        requirement_ids = db.session.scalars(
            insert(Requirement).returning(Requirement.id, sort_by_parameter_order=True),
            requirements,
        ).all()
        lot_iter, criterion_iter, requirement_iter = (
            iter(lot_ids),
            iter(criterion_ids),
            iter(requirement_ids),
        )
        for plan in plans:
            plan["lot_ids"] = [next(lot_iter) for _ in range(plan["lots"])]
            plan["criterion_ids"] = [next(criterion_iter) for _ in CRITERIA]
            plan["requirement_ids"] = [next(requirement_iter)]
        db.session.flush()


def _write_bids(
    rng: random.Random,
    plans: list[dict],
    bidders: list[Organisation],
    count: int,
    now: datetime,
) -> None:
    """``count`` submitted bids spread over the tenders, at most one per bidder and lot."""
    per_tender = [count // len(plans)] * len(plans)
    for i in range(count - sum(per_tender)):
        per_tender[i % len(plans)] += 1
    wanted: dict[int, list[dict]] = defaultdict(list)  # by bidder id
    for plan, n in zip(plans, per_tender, strict=True):
        slots = [(lot, b) for lot in plan["lot_ids"] for b in range(len(bidders))]
        if n > len(slots):
            raise ValueError("more bids than bidders × lots; generate more cooperatives")
        latest = min(plan["deadline"], now) - timedelta(minutes=5)
        span = max(60, int((latest - plan["published"]).total_seconds()))
        for lot_id, b in rng.sample(slots, n):
            wanted[bidders[b].id].append(
                {
                    "plan": plan,
                    "lot_id": lot_id,
                    "submitted_at": latest - timedelta(seconds=rng.randrange(span)),
                    "price": Decimal(rng.randrange(50_000, 2_000_000)) + Decimal("0.50"),
                    "answer": rng.choice(ANSWERS),
                }
            )
    key = sealing_key()
    for bidder in bidders:
        if wanted.get(bidder.id):
            _write_bidder_bids(bidder, wanted[bidder.id], key)


def _write_bidder_bids(bidder: Organisation, wanted: list[dict], key: bytes) -> None:
    """One bidder's bids: rows first (the seals are bound to the bid ids), then the sealed
    envelopes exactly as ``koepel.bids.submission.submit`` stores them."""
    with acting_for(bidder.id):
        ids = db.session.scalars(
            insert(Bid).returning(Bid.id, sort_by_parameter_order=True),
            [
                {
                    "tenant_id": bidder.id,
                    "tender_id": w["plan"]["id"],
                    "lot_id": w["lot_id"],
                    "status": BidStatus.SUBMITTED,
                    "draft": "{}",
                    "version": 1,
                    "created_at": w["submitted_at"] - timedelta(days=2),
                }
                for w in wanted
            ],
        ).all()
        sealed_rows = []
        for bid_id, w in zip(ids, wanted, strict=True):
            plan = w["plan"]
            head = {"tender": plan["id"], "lot": w["lot_id"], "bidder": bidder.name}
            criteria = [
                cid
                for cid, (_t, kind, _w) in zip(plan["criterion_ids"], CRITERIA, strict=True)
                if kind != CriterionKind.PRICE
            ]
            quality = {
                **head,
                "answers": {str(cid): w["answer"] for cid in criteria},
                "requirements": {
                    str(rid): "Ja, alle vrijwilligers" for rid in plan["requirement_ids"]
                },
                "partners": [],
                "attachments": [],
                "citizen_initiative": bidder.kind in CITIZEN_INITIATIVES,
                "salt": secrets.token_hex(16),
            }
            price = {**head, "price": str(w["price"]), "salt": secrets.token_hex(16)}
            q = sealing.seal(quality, key, aad(bid_id, "quality"))
            p = sealing.seal(price, key, aad(bid_id, "price"))
            sealed_rows.append(
                {
                    "id": bid_id,
                    "quality_sealed": q.ciphertext,
                    "quality_digest": q.digest,
                    "price_sealed": p.ciphertext,
                    "price_digest": p.digest,
                    "submitted_at": w["submitted_at"],
                }
            )
        db.session.execute(update(Bid), sealed_rows)  # bulk UPDATE by primary key
        db.session.flush()


def officials(buyer: Organisation):
    """Two procurement officials (four eyes) without a password: they only act here."""
    users = []
    for n in (1, 2):
        email = f"inkoper-{n}.{buyer.slug}@generated.example.org"
        user = accounts.find_user(email) or accounts.create_user(
            actor=None, email=email, display_name=f"Inkoper {n} {buyer.name}", password=None
        )
        accounts.grant_role(actor=None, user=user, org=buyer, role="procurement_officer")
        users.append(user)
    return users


def _open_and_score(buyer: Organisation, plan: dict, pair, rng: random.Random) -> None:
    """Open the tender (four eyes, after the deadline) and score every opened bid."""
    first, second = pair
    after = plan["deadline"] + timedelta(hours=1)
    with acting_for(buyer.id):
        tender = get_tender(plan["id"])
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after + timedelta(minutes=5))
        evaluation.assign_reviewer(
            actor=first, buyer=buyer, tender=tender, reviewer=first, chair=True
        )
        evaluation.declare_no_conflict(reviewer=first, buyer=buyer, tender=tender)
        copies = db.session.scalars(
            select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)
        ).all()
        quality = [c for c in tender.criteria if c.kind != CriterionKind.PRICE]
        for copy in copies:
            for criterion in quality:
                points = Decimal(rng.randrange(3, 11))
                motivation = "Goed onderbouwd, met concrete afspraken."
                evaluation.score(
                    reviewer=first,
                    buyer=buyer,
                    tender=tender,
                    bid=copy,
                    criterion=criterion,
                    points=points,
                    motivation=motivation,
                )
                evaluation.set_consensus(
                    chair=first,
                    buyer=buyer,
                    tender=tender,
                    bid=copy,
                    criterion=criterion,
                    points=points,
                    motivation=motivation,
                )


def extension(scale) -> str:
    """``koepel generate``'s step for tenders and bids (see koepel.tenants.generate)."""
    report = generate_tenders(
        municipalities=scale.municipalities,
        tenders=scale.tenders,
        bids=scale.bids,
        seed=scale.seed,
        now=utcnow(),
    )
    return (
        f"{report.municipalities} municipalities, {report.tenders} tenders "
        f"({report.opened} opened and scored), {report.bids} sealed bids "
        f"in {report.seconds:.1f} s"
    )
