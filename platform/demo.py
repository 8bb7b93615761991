"""Demo data from ../shared/DOMAIN.md: real names of umbrellas, cooperatives,
municipalities and providers, with one demo account per role. Idempotent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from koepel.platform.auth import operations as ops
from koepel.platform.extensions import db
from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind

DEMO_PASSWORD = "koepel-demo-2026"
DEMO_DOMAIN = "demo.koepel.nl"

ORGANISATIONS: list[tuple[str, OrgKind, str]] = [
    ("kzzn", OrgKind.UMBRELLA, "Koepel Zorgcoöperaties Zuid-Nederland"),
    ("elsendorp", OrgKind.COOPERATIVE, "Zorgcoöperatie Elsendorp"),
    ("hoogeloon", OrgKind.COOPERATIVE, "Zorgcoöperatie Hoogeloon"),
    ("laarbeek-zorg", OrgKind.COOPERATIVE, "Zorgcoöperatie Laarbeek"),
    ("stadsdorp-zuid", OrgKind.COOPERATIVE, "Stadsdorp Zuid"),
    ("bladel", OrgKind.MUNICIPALITY, "Gemeente Bladel"),
    ("laarbeek", OrgKind.MUNICIPALITY, "Gemeente Laarbeek"),
    ("brunssum", OrgKind.MUNICIPALITY, "Gemeente Brunssum"),
    ("alphen", OrgKind.MUNICIPALITY, "Gemeente Alphen aan den Rijn"),
    ("goeree-overflakkee", OrgKind.MUNICIPALITY, "Gemeente Goeree-Overflakkee"),
    ("den-haag", OrgKind.MUNICIPALITY, "Gemeente Den Haag"),
    ("peel", OrgKind.REGION, "Regio Peel"),
    ("puurzuid", OrgKind.PROVIDER, "PuurZuid"),
    ("kwadraad", OrgKind.PROVIDER, "Kwadraad"),
    ("zorgverzekeraar-zuid", OrgKind.INSURER, "Zorgverzekeraar Zuid (demo)"),
]

AFFILIATIONS = [
    (AffiliationKind.UMBRELLA_MEMBER, "kzzn", "elsendorp", date(2016, 1, 1)),
    (AffiliationKind.UMBRELLA_MEMBER, "kzzn", "hoogeloon", date(2016, 1, 1)),
    (AffiliationKind.UMBRELLA_MEMBER, "kzzn", "laarbeek-zorg", date(2016, 1, 1)),
    (AffiliationKind.REGION_MEMBER, "peel", "laarbeek", date(2015, 1, 1)),
]

# (e-mail local part, display name, organisation slug, role)
USERS = [
    ("staf.kzzn", "Anneke van der Heijden", "kzzn", "staff"),
    ("bestuur.kzzn", "Jan Swinkels", "kzzn", "board"),
    ("bestuur.elsendorp", "Marij Verhoeven", "elsendorp", "board"),
    ("coordinator.elsendorp", "Ria van den Berg", "elsendorp", "coordinator"),
    ("vrijwilliger.elsendorp", "Henk Manders", "elsendorp", "volunteer"),
    ("coordinator.hoogeloon", "Toos Dijkmans", "hoogeloon", "coordinator"),
    ("coordinator.laarbeek-zorg", "Piet van Lieshout", "laarbeek-zorg", "coordinator"),
    ("coordinator.stadsdorp-zuid", "Els de Wit", "stadsdorp-zuid", "coordinator"),
    ("inkoper.bladel", "Sanne Smulders", "bladel", "procurement_officer"),
    ("beoordelaar.bladel", "Kees Maas", "bladel", "reviewer"),
    ("beleid.bladel", "Fatima El Amrani", "bladel", "policy_officer"),
    ("inkoper.laarbeek", "Bart Vogels", "laarbeek", "procurement_officer"),
    ("inkoper.brunssum", "Yvonne Custers", "brunssum", "procurement_officer"),
    ("inkoper.alphen", "Mark de Jong", "alphen", "procurement_officer"),
    ("inkoper.goeree-overflakkee", "Lies Breen", "goeree-overflakkee", "procurement_officer"),
    ("inkoper.den-haag", "Rachid Bouali", "den-haag", "procurement_officer"),
    ("inkoper.peel", "Gerard Raaijmakers", "peel", "procurement_officer"),
    ("contact.puurzuid", "Ineke Boon", "puurzuid", "contact"),
    ("contact.kwadraad", "Tom Verweij", "kwadraad", "contact"),
    ("contract.zorgverzekeraar-zuid", "Wim Hendriks", "zorgverzekeraar-zuid", "contract_manager"),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def load() -> int:
    """Create what is missing; returns how many records were added."""
    created = 0
    orgs: dict[str, Organisation] = {}
    for slug, kind, name in ORGANISATIONS:
        org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            org = Organisation(slug=slug, kind=kind, name=name)
            db.session.add(org)
            created += 1
        orgs[slug] = org
    db.session.flush()

    for kind, parent, child, start in AFFILIATIONS:
        exists = db.session.scalar(
            select(Affiliation).where(
                Affiliation.kind == kind,
                Affiliation.parent_id == orgs[parent].id,
                Affiliation.child_id == orgs[child].id,
            )
        )
        if exists is None:
            db.session.add(
                Affiliation(
                    kind=kind, parent_id=orgs[parent].id, child_id=orgs[child].id, start_date=start
                )
            )
            created += 1

    for local, name, slug, role in USERS:
        user = ops.find_user(demo_email(local))
        if user is None:
            user = ops.create_user(
                actor=None, email=demo_email(local), display_name=name, password=DEMO_PASSWORD
            )
            created += 1
        ops.grant_role(actor=None, user=user, org=orgs[slug], role=role)
    db.session.flush()
    for extension in EXTENSIONS:  # the domain modules' demo data, in registration order
        created += extension(orgs)
    return created


# Domain modules append loaders here: ``fn(orgs_by_slug) -> records added`` (idempotent).
EXTENSIONS: list[Callable[[dict[str, Organisation]], int]] = []
