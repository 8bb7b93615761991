"""The tenants module's demo data: profiles, members, volunteers, services and a year of
help for the demo cooperatives, and Austerlitz (Zeist) with its 75 volunteers."""

from __future__ import annotations

from sqlalchemy import select

from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import local_today
from koepel.tenants.generate import Place, fill_cooperative
from koepel.tenants.models import ServiceArea

# slug: (members, volunteers, village, postcode area)
COOPERATIVES = {
    "elsendorp": (140, 18, "Elsendorp", 5424),
    "hoogeloon": (210, 30, "Hoogeloon", 5528),
    "laarbeek-zorg": (260, 32, "Beek en Donk", 5741),
    "stadsdorp-zuid": (330, 40, "Amsterdam Zuid", 1077),
    "austerlitz": (420, 75, "Austerlitz", 3711),
}
EXTRA = [
    ("austerlitz", OrgKind.COOPERATIVE, "Austerlitz Zorgt (Zeist)"),
    ("gemert-bakel", OrgKind.MUNICIPALITY, "Gemeente Gemert-Bakel"),
    ("amsterdam", OrgKind.MUNICIPALITY, "Gemeente Amsterdam"),
    ("zeist", OrgKind.MUNICIPALITY, "Gemeente Zeist"),
]
# cooperative: (municipality, villages or districts, postcode ranges)
AREAS = {
    "elsendorp": ("gemert-bakel", "Elsendorp", "5424"),
    "hoogeloon": ("bladel", "Hoogeloon, Casteren", "5528, 5529"),
    "laarbeek-zorg": ("laarbeek", "Beek en Donk, Aarle-Rixtel, Lieshout, Mariahout", "5735-5741"),
    "stadsdorp-zuid": ("amsterdam", "Oud-Zuid, Rivierenbuurt", "1071-1079"),
    "austerlitz": ("zeist", "Austerlitz", "3711"),
}


def load(orgs: dict[str, Organisation]) -> int:
    created = 0
    for slug, kind, name in EXTRA:
        org = orgs.get(slug) or db.session.scalar(
            select(Organisation).where(Organisation.slug == slug)
        )
        if org is None:
            org = Organisation(slug=slug, name=name, kind=kind)
            db.session.add(org)
            db.session.flush()
            created += 1
        orgs[slug] = org
    for slug, (members, volunteers, village, postcode) in COOPERATIVES.items():
        created += fill_cooperative(
            orgs[slug],
            members=members,
            volunteers=volunteers,
            place=Place(village, postcode),
            seed="demo",
            today=local_today(),
        )
    for slug, (municipality, districts, ranges) in AREAS.items():
        with acting_for(orgs[slug].id):
            if db.session.scalar(select(ServiceArea.id)) is None:
                db.session.add(
                    ServiceArea(
                        tenant_id=orgs[slug].id,
                        municipality_id=orgs[municipality].id,
                        districts=districts,
                        postcode_ranges=ranges,
                    )
                )
                db.session.flush()
                created += 1
    return created
