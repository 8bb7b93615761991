"""Realistic data at any scale: the demo's cooperatives and `koepel generate` for benchmarks.

Rows are written with ORM bulk inserts (executemany with RETURNING), in the tenancy scope
of the cooperative they belong to, so the result is what the app itself would write.
Seeded: the same arguments give the same data.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from koepel.platform.extensions import db
from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants.models import (
    CooperativeProfile,
    FundingSource,
    HelpRequest,
    HelpStatus,
    HourEntry,
    Household,
    LegalForm,
    Member,
    Service,
    ServiceKind,
    VolunteerProfile,
)
from koepel.tenants.models.services import CATALOGUE
from koepel.tenants.models.volunteers import DAYPARTS

FIRST = (
    "Anna",
    "Maria",
    "Johanna",
    "Cornelia",
    "Wilhelmina",
    "Elisabeth",
    "Petronella",
    "Hendrika",
    "Jan",
    "Johannes",
    "Cornelis",
    "Hendrik",
    "Willem",
    "Gerrit",
    "Pieter",
    "Theo",
    "Toos",
    "Riet",
    "Mien",
    "Kees",
    "Henk",
    "Ria",
    "Annie",
    "Gerard",
    "Harrie",
    "Frans",
    "Sjaan",
    "Lies",
    "Bert",
    "Ans",
)
LAST = (
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "Swinkels",
    "van Lieshout",
    "Verhoeven",
    "Manders",
    "Raaijmakers",
    "Donkers",
    "van de Ven",
    "Smulders",
    "Kuijpers",
    "Dijkmans",
)
STREETS = (
    "Dorpsstraat",
    "Kerkstraat",
    "Schoolstraat",
    "Molenweg",
    "Lindelaan",
    "Hoofdstraat",
    "Julianastraat",
    "Beatrixlaan",
    "Eikenlaan",
    "Kapelstraat",
    "Broekstraat",
    "Heuvel",
)
SERVICES = (
    (
        "transport",
        "Vervoer",
        ServiceKind.INFORMAL,
        FundingSource.MEMBER_CONTRIBUTION,
        "2.50",
        "per rit",
        False,
    ),
    (
        "odd_jobs",
        "Klussen in huis",
        ServiceKind.INFORMAL,
        FundingSource.MEMBER_CONTRIBUTION,
        "0.00",
        "",
        False,
    ),
    (
        "gardening",
        "Tuinonderhoud",
        ServiceKind.INFORMAL,
        FundingSource.MEMBER_CONTRIBUTION,
        "5.00",
        "per keer",
        False,
    ),
    (
        "meeting_place",
        "Koffieochtend",
        ServiceKind.INFORMAL,
        FundingSource.WMO_GENERAL,
        "1.00",
        "per keer",
        False,
    ),
    (
        "home_visits",
        "Huisbezoek",
        ServiceKind.INFORMAL,
        FundingSource.WMO_GENERAL,
        "0.00",
        "",
        True,
    ),
    (
        "meals",
        "Maaltijden",
        ServiceKind.INFORMAL,
        FundingSource.MEMBER_CONTRIBUTION,
        "7.50",
        "per maaltijd",
        False,
    ),
    (
        "day_activities",
        "Dagbesteding",
        ServiceKind.FORMAL,
        FundingSource.WMO_CUSTOMISED,
        "0.00",
        "",
        True,
    ),
)
SKILL_POOL = tuple(s for s in {v for v in CATALOGUE.values() if v})


@dataclass(frozen=True)
class Place:
    village: str
    postcode: int  # the 4-digit area


def _letters(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEGHJKLMNPRTVWXZ") for _ in range(2))  # never SA/SD/SS


def _rng(seed: str) -> random.Random:
    return random.Random(seed)  # noqa: S311  (test data, not secrets)


def fill_cooperative(
    org: Organisation,
    *,
    members: int,
    volunteers: int,
    place: Place,
    seed: str,
    today: date,
    requests_per_member: float = 0.4,
) -> int:
    """Members in households, volunteers, the service catalogue, a year of help requests
    and hours. Returns the number of rows written."""
    rng = _rng(f"{seed}:{org.slug}")
    written = 0
    with acting_for(org.id):
        if db.session.scalar(select(func.count()).select_from(Member)):
            return 0  # already filled: idempotent
        if db.session.scalar(select(func.count()).select_from(CooperativeProfile)) == 0:
            db.session.add(
                CooperativeProfile(
                    tenant_id=org.id,
                    legal_form=LegalForm.COOPERATIVE,
                    kvk_number=f"{rng.randrange(10**7, 10**8)}",
                    founded_on=date(2005 + rng.randrange(12), 1, 1),
                    description=f"Wonen, welzijn en zorg in {place.village}, door bewoners.",
                    is_public=True,
                    contact_name="Coördinator",
                    contact_email=f"info@{org.slug}.example.org",
                    contact_phone="0492 123456",
                )
            )
        households = []
        for _ in range(max(1, members * 2 // 3)):
            households.append(
                {
                    "tenant_id": org.id,
                    "street": rng.choice(STREETS),
                    "house_number": str(rng.randrange(1, 200)),
                    "postcode": f"{place.postcode + rng.randrange(0, 3)} {_letters(rng)}",
                    "city": place.village,
                }
            )
        household_ids = list(
            db.session.scalars(
                insert(Household).returning(Household.id, sort_by_parameter_order=True), households
            )
        )
        postcode_of = {hid: h["postcode"] for hid, h in zip(household_ids, households, strict=True)}
        rows = []
        for number in range(1, members + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            household_id = rng.choice(household_ids)
            born = date(1930 + rng.randrange(60), rng.randrange(1, 13), rng.randrange(1, 29))
            left = today - timedelta(days=rng.randrange(1, 700)) if rng.random() < 0.05 else None
            rows.append(
                {
                    "tenant_id": org.id,
                    "number": number,
                    "first_name": first,
                    "last_name": last,
                    "search_name": f"{first} {last}".lower(),
                    "household_id": household_id,
                    "date_of_birth": born,
                    "birth_year": born.year,
                    "phone": f"06 {rng.randrange(10**7, 10**8)}",
                    "email": "",
                    "joined_on": today - timedelta(days=rng.randrange(800, 5000)),
                    "left_on": left,
                    "postcode_digits": postcode_of[household_id][:4],
                    "consent_contact": True,
                    "consent_newsletter": rng.random() < 0.6,
                    "consent_photos": False,
                }
            )
        member_ids = list(
            db.session.scalars(
                insert(Member).returning(Member.id, sort_by_parameter_order=True), rows
            )
        )
        current = [mid for mid, row in zip(member_ids, rows, strict=True) if row["left_on"] is None]
        volunteer_members = rng.sample(current, min(volunteers, len(current)))
        vol_rows = [
            {
                "tenant_id": org.id,
                "member_id": mid,
                "skills": sorted(rng.sample(SKILL_POOL, rng.randrange(1, 4))),
                "availability": sorted(
                    rng.sample(DAYPARTS, rng.randrange(2, 8)), key=DAYPARTS.index
                ),
                "vog_date": today - timedelta(days=rng.randrange(30, 1500))
                if rng.random() < 0.7
                else None,
                "active": True,
            }
            for mid in volunteer_members
        ]
        volunteer_ids = (
            list(
                db.session.scalars(
                    insert(VolunteerProfile).returning(
                        VolunteerProfile.id, sort_by_parameter_order=True
                    ),
                    vol_rows,
                )
            )
            if vol_rows
            else []
        )
        skills_of = dict(zip(volunteer_ids, (v["skills"] for v in vol_rows), strict=True))
        service_rows = [
            {
                "tenant_id": org.id,
                "code": code,
                "name": name,
                "description": "",
                "kind": kind,
                "funding": funding,
                "member_price": Decimal(price),
                "price_unit": unit,
                "partner_id": None,
                "requires_vog": vog,
                "active": True,
            }
            for code, name, kind, funding, price, unit, vog in SERVICES
        ]
        service_ids = list(
            db.session.scalars(
                insert(Service).returning(Service.id, sort_by_parameter_order=True), service_rows
            )
        )
        services = list(zip(service_ids, (s[0] for s in SERVICES), strict=True))
        requests, hours = [], []
        for _ in range(int(len(current) * requests_per_member)):
            service_id, code = rng.choice(services[:6])  # informal services get the help requests
            skill = CATALOGUE[code]
            able = [v for v, skills in skills_of.items() if skill in skills]
            wanted = today + timedelta(days=rng.randrange(-360, 21))
            volunteer = rng.choice(able) if able and wanted <= today + timedelta(days=7) else None
            if wanted < today and volunteer:
                status = HelpStatus.DONE if rng.random() < 0.9 else HelpStatus.CANCELLED
            else:
                status = HelpStatus.MATCHED if volunteer else HelpStatus.OPEN
            requests.append(
                {
                    "tenant_id": org.id,
                    "member_id": rng.choice(current),
                    "service_id": service_id,
                    "wanted_on": wanted,
                    "daypart": rng.choice(("", "morning", "afternoon")),
                    "description": "",
                    "status": status,
                    "volunteer_id": volunteer,
                    "recurrence": "none",
                }
            )
        request_ids = (
            list(
                db.session.scalars(
                    insert(HelpRequest).returning(HelpRequest.id, sort_by_parameter_order=True),
                    requests,
                )
            )
            if requests
            else []
        )
        for rid, req in zip(request_ids, requests, strict=True):
            if req["status"] == HelpStatus.DONE:
                hours.append(
                    {
                        "tenant_id": org.id,
                        "volunteer_id": req["volunteer_id"],
                        "help_request_id": rid,
                        "worked_on": req["wanted_on"],
                        "minutes": rng.choice((30, 45, 60, 90, 120, 180)),
                        "note": "",
                    }
                )
        if hours:
            db.session.execute(insert(HourEntry), hours)
        written = (
            len(households)
            + len(rows)
            + len(vol_rows)
            + len(service_rows)
            + len(requests)
            + len(hours)
            + 1
        )
        db.session.flush()
    return written


# The largest cooperative is a city one (as Austerlitz): this share of all members on top of
# its spread share, so at demo scale (50 000 members) its member list has more than 50 pages.
CITY_PERCENT = 3


def member_shares(members: int, weights: list[float]) -> list[int]:
    """Whole members per cooperative in proportion to ``weights``, exactly ``members`` in
    all; the one with the largest weight gets ``CITY_PERCENT`` % of all on top."""
    if not weights:
        return []
    city = members * CITY_PERCENT // 100 if len(weights) > 1 else 0
    total_weight = sum(weights) or 1
    shares = [int((members - city) * w / total_weight) for w in weights]
    shares[0] += members - city - sum(shares)  # whole members, exactly the asked total
    shares[weights.index(max(weights))] += city
    return shares


@dataclass(frozen=True)
class Scale:
    """What ``koepel generate`` asks of the later modules' generators."""

    seed: str
    municipalities: int
    tenders: int
    bids: int
    framework_providers: int


# The later modules' generators (tenders and bids, framework agreements and budgets), run by
# ``koepel generate`` after the cooperatives in the order the modules load; registered by
# those modules, since this one may not import them. Each returns a line for the report.
EXTENSIONS: list[Callable[[Scale], str]] = []


@dataclass(frozen=True)
class GenerateReport:
    umbrellas: int
    cooperatives: int
    members: int
    rows: int
    seconds: float


def generate(
    *,
    umbrellas: int,
    cooperatives: int,
    members: int,
    seed: str = "koepel",
    today: date | None = None,
) -> GenerateReport:
    """New umbrellas with member cooperatives, members spread unevenly over them (a few
    large ones like Austerlitz, many small villages)."""
    started = time.perf_counter()
    today = today or to_local(utcnow()).date()  # Amsterdam's date, not the machine's
    rng = _rng(seed)
    prefix = f"gen-{seed}"
    existing = db.session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.slug.like(f"{prefix}-%"))
    )
    if existing:
        raise ValueError(f"data for seed {seed!r} exists already; choose another --seed")
    umbrella_orgs = [
        Organisation(
            kind=OrgKind.UMBRELLA, slug=f"{prefix}-koepel-{i + 1}", name=f"Regionale koepel {i + 1}"
        )
        for i in range(umbrellas)
    ]
    coop_orgs = [
        Organisation(
            kind=OrgKind.COOPERATIVE,
            slug=f"{prefix}-coop-{i + 1}",
            name=f"Zorgcoöperatie Dorp {i + 1}",
        )
        for i in range(cooperatives)
    ]
    db.session.add_all(umbrella_orgs + coop_orgs)
    db.session.flush()
    for i, coop in enumerate(coop_orgs):
        if umbrella_orgs:
            db.session.add(
                Affiliation(
                    kind=AffiliationKind.UMBRELLA_MEMBER,
                    parent_id=umbrella_orgs[i % len(umbrella_orgs)].id,
                    child_id=coop.id,
                    start_date=date(2018, 1, 1),
                )
            )
    db.session.flush()
    shares = member_shares(members, [rng.paretovariate(1.5) for _ in coop_orgs])
    rows = 0
    for coop, share in zip(coop_orgs, shares, strict=True):
        rows += fill_cooperative(
            coop,
            members=share,
            volunteers=max(1, share // 8),
            place=Place(f"Dorp {coop.id}", 1000 + rng.randrange(8990)),
            seed=seed,
            today=today,
        )
    return GenerateReport(umbrellas, cooperatives, members, rows, time.perf_counter() - started)
