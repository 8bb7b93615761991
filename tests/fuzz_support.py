"""A small world of tenants for fuzzing the API, with a marker string in every object so a
response can be searched for what its reader may not see.

Organisations: an umbrella with two member cooperatives (A, B), two municipalities (M1, M2)
and a provider. Objects are made through the API itself where it offers the step (so they
come about as a client's would), else through the same rules the pages use. Every object's
text carries the marker of its *visibility class*: the set of identities that may read it.
``FORBIDDEN[identity]`` lists the markers that must never reach that identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from koepel.platform.auth import operations as accounts
from koepel.platform.extensions import db
from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

API = "/api/v1/orgs"
IDENTITIES = ("coop_a", "coop_b", "umbrella", "municipality", "anonymous")

# Visibility class -> who may read objects of that class (besides public data, which has
# no marker: published tenders' titles, organisation names, OCDS packages).
VISIBLE_TO: dict[str, frozenset[str]] = {
    "APRIV": frozenset({"coop_a"}),  # A's members, services, help, draft bid and challenge
    "BPRIV": frozenset({"coop_b"}),  # B's members, services, help
    "BSEALED": frozenset({"coop_b"}),  # B's bid on a tender not yet opened
    "BOPENED": frozenset({"coop_b", "municipality"}),  # B's bid after the opening
    "ACHAL": frozenset({"coop_a", "municipality"}),  # A's submitted challenge to M1
    "M1PRIV": frozenset({"municipality"}),  # M1's draft tender
    "M1B": frozenset({"coop_b", "municipality"}),  # contract, framework, budget of M1 and B
    "M2PRIV": frozenset(),  # M2's draft tender
    "M2A": frozenset({"coop_a"}),  # contract, framework, budget of M2 and A
}
MARKERS = {name: f"Zqx{name}mrk" for name in VISIBLE_TO}
# The sealed price of B's bid on the open tender, in both notations the API could use.
SEALED_PRICE = ("987654.32", "987.654,32")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    who: tuple(
        [MARKERS[c] for c, readers in VISIBLE_TO.items() if who not in readers]
        + ([] if who == "coop_b" else list(SEALED_PRICE))
    )
    for who in IDENTITIES
}


def mark(cls: str, text: str) -> str:
    return f"{text} {MARKERS[cls]}"


@dataclass
class World:
    slugs: dict[str, str]  # organisation key -> slug
    own_slugs: dict[str, tuple[str, ...]]  # identity -> slugs it acts for
    headers: dict[str, dict[str, str]]  # identity -> request headers
    # url parameter name -> {id: visibility class}; ids any identity may try in a path
    objects: dict[str, dict[Any, str]] = field(default_factory=dict)

    def add(self, param: str, ident: Any, cls: str) -> None:
        self.objects.setdefault(param, {})[ident] = cls

    def foreign(self, identity: str, param: str, value: Any) -> bool:
        """Is ``value`` a known object that ``identity`` may not see through this parameter?"""
        cls = self.objects.get(param, {}).get(value)
        return cls is not None and identity not in VISIBLE_TO[cls]


def _org(kind: OrgKind, slug: str, name: str) -> Organisation:
    org = Organisation(kind=kind, slug=slug, name=name)
    db.session.add(org)
    db.session.flush()
    return org


def _user(org: Organisation, role: str, local: str):
    user = accounts.create_user(
        actor=None,
        email=f"{local}@fuzz.example.org",
        display_name=f"Fuzz {local}",
        password="fuzz fuzz fuzz fuzz",
    )
    accounts.grant_role(actor=None, user=user, org=org, role=role)
    db.session.flush()
    return user


def _bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_api_token(user=user, label='fuzz')[1]}"}


def _ok(response, status: int = 201) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).replace(microsecond=0).isoformat()


def build(client) -> World:
    """The world, committed in the caller's transaction; ``client`` sends API requests."""
    orgs = {
        "umbrella": _org(OrgKind.UMBRELLA, "fz-koepel", "Fuzz Koepel"),
        "a": _org(OrgKind.COOPERATIVE, "fz-coop-a", "Fuzz Coöperatie A"),
        "b": _org(OrgKind.COOPERATIVE, "fz-coop-b", "Fuzz Coöperatie B"),
        "m1": _org(OrgKind.MUNICIPALITY, "fz-gemeente-1", "Fuzz Gemeente 1"),
        "m2": _org(OrgKind.MUNICIPALITY, "fz-gemeente-2", "Fuzz Gemeente 2"),
        "provider": _org(OrgKind.PROVIDER, "fz-aanbieder", "Fuzz Aanbieder"),
    }
    for child in ("a", "b"):
        db.session.add(
            Affiliation(
                kind=AffiliationKind.UMBRELLA_MEMBER,
                parent_id=orgs["umbrella"].id,
                child_id=orgs[child].id,
                start_date=date(2020, 1, 1),
            )
        )
    users = {
        "coop_a": _user(orgs["a"], "coordinator", "coordinator-a"),
        "coop_b": _user(orgs["b"], "board", "bidder-b"),
        "umbrella": _user(orgs["umbrella"], "staff", "staff-u"),
        "municipality": _user(orgs["m1"], "procurement_officer", "officer-m1"),
        "m1_second": _user(orgs["m1"], "procurement_officer", "officer2-m1"),
        "m2": _user(orgs["m2"], "procurement_officer", "officer-m2"),
    }
    headers = {who: _bearer(u) for who, u in users.items()}
    headers["anonymous"] = {}
    slugs = {k: o.slug for k, o in orgs.items()}
    world = World(
        slugs=slugs,
        own_slugs={
            "coop_a": (slugs["a"],),
            "coop_b": (slugs["b"],),
            "umbrella": (slugs["umbrella"],),
            "municipality": (slugs["m1"],),
            "anonymous": (),
        },
        headers={k: headers[k] for k in IDENTITIES},
    )
    db.session.commit()

    _cooperative(client, world, "a", headers["coop_a"], "APRIV")
    _cooperative(client, world, "b", headers["coop_b"], "BPRIV")
    _tenders(client, world, orgs, users, headers)
    _challenges(client, world, orgs, users, headers)
    _contracts(client, world, orgs, headers)
    _frameworks(client, world, headers)
    _budgets(client, world, headers)
    db.session.commit()
    return world


def _cooperative(client, world: World, key: str, auth: dict, cls: str) -> None:
    url = f"{API}/{world.slugs[key]}"
    numbers = []
    for first in ("Anna", "Bram"):
        member = _ok(
            client.post(
                f"{url}/members",
                headers=auth,
                json={
                    "first_name": mark(cls, first),
                    "last_name": mark(cls, "Jansen"),
                    "street": mark(cls, "Dorpsstraat"),
                    "joined_on": "2020-01-01",
                },
            )
        )
        world.add("member_id", member["id"], cls)
        numbers.append(member["number"])
    service = _ok(
        client.post(
            f"{url}/services",
            headers=auth,
            json={
                "code": _a_catalogue_code(),
                "name": mark(cls, "Boodschappen"),
                "description": mark(cls, "Samen naar de winkel"),
                "kind": _first_value("ServiceKind"),
                "funding": _first_value("FundingSource"),
                "member_price": "2.50",
            },
        )
    )
    world.add("service_id", service["id"], cls)
    wanted = (utcnow() + timedelta(days=7)).date().isoformat()
    request = _ok(
        client.post(
            f"{url}/help-requests",
            headers=auth,
            json={
                "member_number": numbers[0],
                "service_id": service["id"],
                "wanted_on": wanted,
                "description": mark(cls, "Hulp bij de boodschappen"),
            },
        )
    )
    world.add("request_id", request["id"], cls)


def _a_catalogue_code() -> str:
    from koepel.tenants.catalogue import CATALOGUE

    return next(iter(CATALOGUE))


def _first_value(enum_name: str) -> str:
    from koepel.tenants import models

    return next(iter(getattr(models, enum_name))).value


def _draft_tender(client, slug: str, auth: dict, title: str, days: int = 10) -> dict:
    return _ok(
        client.post(
            f"{API}/{slug}/tenders",
            headers=auth,
            json={
                "title": title,
                "procedure": "social",
                "description": title,
                "estimated_value": "500000.00",
                "questions_deadline": _iso(timedelta(days=days // 2)),
                "submission_deadline": _iso(timedelta(days=days)),
            },
        )
    )


def _published_tender(client, slug: str, auth: dict, title: str) -> dict:
    tender = _draft_tender(client, slug, auth, title)
    url = f"{API}/{slug}/tenders/{tender['id']}"
    _ok(
        client.post(
            f"{url}/lots",
            headers=auth,
            json={"title": f"{title} perceel", "kind": "geographic", "budget": "250000"},
        )
    )
    for name, kind, weight in (("Prijs", "price", "40"), ("Kwaliteit", "quality", "60")):
        _ok(
            client.post(
                f"{url}/criteria",
                headers=auth,
                json={"title": name, "kind": kind, "weight": weight},
            )
        )
    _ok(client.post(f"{url}/requirements", headers=auth, json={"title": "VOG"}))
    return _ok(client.post(f"{url}/publish", headers=auth), 200)


def _bid(client, slug: str, auth: dict, tender: dict, words: str, price: str, submit: bool):
    url = f"{API}/{slug}/bids"
    bid = _ok(
        client.post(
            url, headers=auth, json={"tender_id": tender["id"], "lot_id": tender["lots"][0]["id"]}
        )
    )
    quality = next(c["id"] for c in tender["criteria"] if c["kind"] == "quality")
    _ok(
        client.put(
            f"{url}/{bid['id']}/draft",
            headers=auth,
            json={
                "price": price,
                "answers": {str(quality): words},
                "requirements": {str(tender["requirements"][0]["id"]): words},
            },
        ),
        200,
    )
    if submit:
        _ok(client.post(f"{url}/{bid['id']}/submit", headers=auth), 200)
    return bid


def _tenders(client, world: World, orgs, users, headers) -> None:
    from koepel.bids import opening
    from koepel.bids.models import Tender

    m1, m2 = world.slugs["m1"], world.slugs["m2"]
    draft = _draft_tender(client, m1, headers["municipality"], mark("M1PRIV", "Concept M1"))
    world.add("tender_id", draft["id"], "M1PRIV")
    draft2 = _draft_tender(client, m2, headers["m2"], mark("M2PRIV", "Concept M2"))
    world.add("tender_id", draft2["id"], "M2PRIV")
    # Published tenders are public by title; as path parameters of the buyer's API they are
    # the buyer's own: M1's count as M1PRIV there, M2's as M2PRIV.
    open_tender = _published_tender(client, m1, headers["municipality"], "Dagbesteding open")
    world.add("tender_id", open_tender["id"], "M1PRIV")
    to_open = _published_tender(client, m1, headers["municipality"], "Dagbesteding geopend")
    world.add("tender_id", to_open["id"], "M1PRIV")
    other = _published_tender(client, m2, headers["m2"], "Vervoer gemeente 2")
    world.add("tender_id", other["id"], "M2PRIV")

    sealed = _bid(
        client,
        world.slugs["b"],
        headers["coop_b"],
        open_tender,
        mark("BSEALED", "Ons verzegelde plan"),
        SEALED_PRICE[0],
        submit=True,
    )
    world.add("bid_id", sealed["id"], "BSEALED")
    opened = _bid(
        client,
        world.slugs["b"],
        headers["coop_b"],
        to_open,
        mark("BOPENED", "Ons geopende plan"),
        "240000.00",
        submit=True,
    )
    world.add("bid_id", opened["id"], "BSEALED")  # the bid row itself stays B's
    a_draft = _bid(
        client,
        world.slugs["a"],
        headers["coop_a"],
        open_tender,
        mark("APRIV", "Ons concept"),
        "199000.00",
        submit=False,
    )
    world.add("bid_id", a_draft["id"], "APRIV")
    buyer = orgs["m1"]
    with acting_for(buyer.id):
        row = db.session.get(Tender, to_open["id"])
        row.submission_deadline = utcnow() - timedelta(seconds=1)
        db.session.flush()
        opening.start(actor=users["municipality"], buyer=buyer, tender=row)
        opening.confirm(actor=users["m1_second"], buyer=buyer, tender=row)
    db.session.commit()


def _challenges(client, world: World, orgs, users, headers) -> None:
    from koepel.bids import challenges as ops

    buyer = orgs["m1"]
    with acting_for(buyer.id):
        task = ops.add_task(
            actor=users["municipality"],
            municipality=buyer,
            name="Dagbesteding in het dorp",
            current_yearly_cost=Decimal("96000.00"),
        )
    db.session.commit()
    found = ops.published_policy(buyer)
    url = f"{API}/{world.slugs['a']}/challenges"
    for cls, submit in (("APRIV", False), ("ACHAL", True)):
        body = {
            "municipality": world.slugs["m1"],
            "task_id": task.id,
            "area": mark(cls, "Het dorp"),
            "target_group": mark(cls, "Ouderen"),
            "motivation": mark(cls, "Dichtbij"),
            "social_value": mark(cls, "Ontmoeting"),
            "estimated_budget": "88500.00",
            "supporters": 210,
            "checks": [
                {"criterion": c.key, "met": True, "explanation": mark(cls, "Ja")}
                for c in found.criteria
            ],
            "submit": submit,
        }
        made = _ok(client.post(url, headers=headers["coop_a"], json=body))
        world.add("challenge_id", made["id"], cls)


def _contracts(client, world: World, orgs, headers) -> None:
    from koepel.contracts import kpis
    from koepel.contracts.models.core import Contract, KpiDirection, KpiPeriod

    for buyer_key, auth, party, cls in (
        ("m1", headers["municipality"], "b", "M1B"),
        ("m2", headers["m2"], "a", "M2A"),
    ):
        made = _ok(
            client.post(
                f"{API}/{world.slugs[buyer_key]}/contracts",
                headers=auth,
                json={
                    "title": mark(cls, "Subsidie"),
                    "description": mark(cls, "Ondersteuning"),
                    "kind": "subsidy",
                    "start_date": "2026-01-01",
                    "initial_months": 24,
                    "yearly_amount": "120000.00",
                    "parties": [{"organisation": world.slugs[party], "role": "main"}],
                },
            )
        )
        world.add("contract_id", made["id"], cls)
        buyer = orgs[buyer_key]
        with acting_for(buyer.id):
            kpi = kpis.add_kpi(
                actor=None,
                owner=buyer,
                contract=db.session.get(Contract, made["id"]),
                name=mark(cls, "Bereik"),
                unit="inwoners",
                target=Decimal(450),
                direction=KpiDirection.HIGHER,
                period=KpiPeriod.YEAR,
            )
        world.add("kpi_id", kpi.id, cls)
    db.session.commit()


def _frameworks(client, world: World, headers) -> None:
    for buyer_key, auth, party, cls in (
        ("m1", headers["municipality"], "b", "M1B"),
        ("m2", headers["m2"], "a", "M2A"),
    ):
        made = _ok(
            client.post(
                f"{API}/{world.slugs[buyer_key]}/framework-agreements",
                headers=auth,
                json={
                    "title": mark(cls, "Raamovereenkomst"),
                    "year": 2026,
                    "increase_above": "5",
                    "decrease_below": "10",
                    "products": [{"product": "ambulatory/light", "tariff": "45.00"}],
                    "parties": [
                        {
                            "organisation": world.slugs[party],
                            "clients": 10,
                            "volumes": {"ambulatory/light": "100"},
                        }
                    ],
                },
            )
        )
        world.add("agreement_id", made["id"], cls)


def _budgets(client, world: World, headers) -> None:
    for owner, auth, funder, cls in (
        ("b", headers["coop_b"], "m1", "M1B"),
        ("a", headers["coop_a"], "m2", "M2A"),
    ):
        url = f"{API}/{world.slugs[owner]}/budgets"
        made = _ok(
            client.post(
                url,
                headers=auth,
                json={
                    "title": mark(cls, "Pot"),
                    "description": mark(cls, "Samen verdelen"),
                    "kind": "allocation",
                    "period_start": "2026-01-01",
                    "period_end": "2026-12-31",
                    "approver": world.slugs[funder],
                    "funding": [
                        {"funder": world.slugs[funder], "scheme": "Wmo", "amount": "10000.00"}
                    ],
                    "partners": [{"organisation": world.slugs[owner]}],
                },
            )
        )
        world.add("budget_id", made["id"], cls)
        version = _ok(
            client.post(
                f"{url}/{made['id']}/allocations",
                headers=auth,
                json={
                    "method": "percentages",
                    "shares": [{"partner": world.slugs[owner], "percentage": "100"}],
                    "note": mark(cls, "Eerste verdeling"),
                },
            )
        )
        world.add("version_id", version["id"], cls)
