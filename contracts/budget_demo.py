"""Demo data for budgets (DOMAIN.md, "Contract and funding models"); runs after the bids
demo, so the Alphen and Brunssum organisations exist. Idempotent: a budget or scheme with
the same title at the same owner is not made again.

- **Alphen aan den Rijn** ('Tom in de buurt'): € 8.500.000 a year divided by the coalition
  itself: Kwadraad (lead party) opens a proposals round, the four main contractors and four
  subcontractors propose their parts, Kwadraad consolidates, all agree, the municipality
  approves.
- **Brunssum 2016**: one integral budget; the five providers propose its division; three of
  them have agreed so far.
- **Handen Ineen, Leeuwarden West**: the care office's long-term-care budgets and the
  municipality's household help pooled; four partners recorded their care; settled.
- **Westelijke Mijnstreek**: nine arrangements with historical costs, tariffs after an 11 %
  national cut, and clients assigned to two providers.

The figures are illustrative (the cases do not publish them); the organisations other than
those DOMAIN.md names are made up and say so in their names where it matters.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from koepel.contracts import allocation_versions, arrangement_financing, budgeting, districts
from koepel.contracts.models.budgets import (
    ArrangementScheme,
    Budget,
    BudgetKind,
    BudgetPartnerRole,
)
from koepel.platform.auth import operations as accounts
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.tenancy import acting_for

D = Decimal

ALPHEN = [  # (name, main contractor?, proposed)
    ("Kwadraad", True, D("2150000.00")),
    ("Gemiva-SVG Groep", True, D("1600000.00")),
    ("Kwintes", True, D("1450000.00")),
    ("Participe", True, D("1300000.00")),
    ("ActiVite", False, D("600000.00")),
    ("De Binnenvest", False, D("500000.00")),
    ("Ipse de Bruggen", False, D("500000.00")),
    ("Wijdezorg", False, D("400000.00")),
]
ALPHEN_TOTAL = D("8500000.00")
ALPHEN_TITLE = "Tom in de buurt: lumpsum 2026"

BRUNSSUM = [  # the two DOMAIN.md names, three illustrative ones
    ("MeanderGroep", D("2160000.00")),
    ("Cicero Thuis", D("1440000.00")),
    ("Welzijn Parkstad (demo)", D("1296000.00")),
    ("Jeugdhulp Brunssum (demo)", D("1224000.00")),
    ("Buurtzorg Brunssum (demo)", D("1080000.00")),
]
BRUNSSUM_TOTAL = D("7200000.00")
BRUNSSUM_TITLE = "Integraal budget sociaal domein Brunssum 2016"

HANDEN_INEEN_TITLE = "Handen Ineen: wijkbudget Leeuwarden West 2015"
HANDEN_INEEN_FUNDING = [  # (funder slug, scheme, amount)
    ("zorgkantoor-friesland", "persoonlijke verzorging", D("420000.00")),
    ("zorgkantoor-friesland", "verpleging", D("310000.00")),
    ("zorgkantoor-friesland", "begeleiding", D("180000.00")),
    ("leeuwarden", "huishoudelijke hulp", D("290000.00")),
]
HANDEN_INEEN = [  # (name, advance, [(scheme, tariff, hours in the year)])
    ("Palet", D("120000.00"), [("begeleiding", D("62.50"), 2000)]),
    (
        "Thuiszorg West (demo)",
        D("560000.00"),
        [("persoonlijke verzorging", D("52.00"), 6000), ("verpleging", D("75.00"), 3500)],
    ),
    (
        "Wijkzorg Noord (demo)",
        D("300000.00"),
        [("huishoudelijke hulp", D("27.50"), 9000), ("begeleiding", D("62.50"), 800)],
    ),
    (
        "Hulp aan Huis (demo)",
        D("170000.00"),
        [("persoonlijke verzorging", D("52.00"), 2000), ("huishoudelijke hulp", D("27.50"), 2000)],
    ),
]

WM_TITLE = "Arrangementen Westelijke Mijnstreek 2016"
WM_HISTORY = {  # arrangement: ((Zuyderland cost per client, clients), (other provider, clients))
    ("low", "low"): ((2000, 30), (2300, 10)),
    ("low", "medium"): ((3500, 20), (3800, 20)),
    ("low", "high"): ((5000, 12), (5600, 4)),
    ("medium", "low"): ((3000, 25), (3300, 15)),
    ("medium", "medium"): ((4500, 18), (4200, 12)),
    ("medium", "high"): ((6500, 10), (7100, 5)),
    ("high", "low"): ((4000, 8), (4400, 2)),
    ("high", "medium"): ((7000, 6), (7700, 3)),
    ("high", "high"): ((12000, 3), (13500, 1)),
}
WM_PROVIDERS = ("Zuyderland", "Wijkzorg Westelijke Mijnstreek (demo)")
WM_CLIENTS = [  # (pseudonym, complexity, intensity, provider index, start, end)
    ("WM-0001", "low", "low", 0, date(2016, 1, 1), date(2016, 12, 31)),
    ("WM-0002", "low", "medium", 1, date(2016, 1, 1), date(2016, 12, 31)),
    ("WM-0003", "medium", "medium", 0, date(2016, 3, 1), date(2016, 12, 31)),
    ("WM-0004", "medium", "high", 1, date(2016, 1, 1), date(2016, 6, 30)),
    ("WM-0004", "high", "high", 0, date(2016, 7, 1), date(2016, 12, 31)),
    ("WM-0005", "high", "low", 0, date(2016, 1, 1), date(2016, 12, 31)),
    ("WM-0006", "low", "high", 1, date(2016, 5, 1), date(2016, 12, 31)),
]


def _slug(name: str) -> str:
    plain = name.lower().replace("(demo)", "").replace("ë", "e").replace("ö", "o").strip()
    return "-".join(plain.replace(":", "").split())


def _org(orgs: dict[str, Organisation], name: str, kind: OrgKind, slug: str | None = None):
    slug = slug or _slug(name)
    org = orgs.get(slug) or db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(slug=slug, name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    orgs[slug] = org
    return org


def _user(org: Organisation, role: str, name: str) -> User:
    """The organisation's demo account for ``role`` (made when missing)."""
    from koepel.platform.demo import DEMO_PASSWORD, demo_email

    local = {"procurement_officer": "inkoper", "contract_manager": "contract"}.get(role, role)
    email = demo_email(f"{local}.{org.slug}")
    user = accounts.find_user(email) or accounts.create_user(
        actor=None, email=email, display_name=name, password=DEMO_PASSWORD
    )
    accounts.grant_role(actor=None, user=user, org=org, role=role)
    return user


def _exists(owner: Organisation, model, title: str) -> bool:
    with acting_for(owner.id):
        return db.session.scalar(select(model.id).where(model.title == title)) is not None


def load_demo(orgs: dict[str, Organisation]) -> int:
    return _alphen(orgs) + _brunssum(orgs) + _handen_ineen(orgs) + _westelijke_mijnstreek(orgs)


def _partner_view(partner: Organisation, budget_id: int) -> budgeting.BudgetView:
    view = budgeting.budget_for(partner, budget_id)
    assert view is not None
    return view


def _alphen(orgs: dict[str, Organisation]) -> int:
    buyer = _org(orgs, "Gemeente Alphen aan den Rijn", OrgKind.MUNICIPALITY, "alphen")
    lead = _org(orgs, "Kwadraad", OrgKind.PROVIDER, "kwadraad")
    if _exists(lead, Budget, ALPHEN_TITLE):
        return 0
    officer = _user(buyer, "procurement_officer", "Mark de Jong")
    partners = [(_org(orgs, name, OrgKind.PROVIDER), main, amount) for name, main, amount in ALPHEN]
    users = {
        org.id: _user(org, "contact", f"Contactpersoon {org.name}") for org, _m, _a in partners
    }
    with acting_for(lead.id):
        budget = budgeting.create(
            actor=users[lead.id],
            owner=lead,
            data=budgeting.BudgetData(
                title=ALPHEN_TITLE,
                kind=BudgetKind.ALLOCATION,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31),
                approver=buyer,
                description="De coalitie verdeelt de lumpsum zelf over hoofd- en onderaannemers.",
            ),
        )
        view = budgeting.budget_for(lead, budget.id)
        budgeting.add_funding(
            actor=users[lead.id],
            view=view,
            funder=buyer,
            scheme="Wmo-ondersteuning (lumpsum)",
            amount_=ALPHEN_TOTAL,
        )
        for org, main, _amount in partners:
            role = BudgetPartnerRole.MAIN if main else BudgetPartnerRole.SUB
            budgeting.add_partner(actor=users[lead.id], view=view, partner=org, role=role)
        version = allocation_versions.open_round(
            actor=users[lead.id], view=view, note="Elke partner stelt het eigen deel voor."
        )
        budget_id, version_id = budget.id, version.id
    for org, _main, amount in partners:
        with acting_for(org.id):
            allocation_versions.enter_proposal(
                actor=users[org.id],
                view=_partner_view(org, budget_id),
                version_id=version_id,
                proposed=amount,
            )
    with acting_for(lead.id):
        allocation_versions.consolidate(
            actor=users[lead.id], view=budgeting.budget_for(lead, budget_id), version_id=version_id
        )
    for org, _main, _amount in partners:
        with acting_for(org.id):
            allocation_versions.agree(
                actor=users[org.id], view=_partner_view(org, budget_id), version_id=version_id
            )
    with acting_for(buyer.id):
        allocation_versions.approve(
            actor=officer, view=_partner_view(buyer, budget_id), version_id=version_id
        )
    return 1


def _brunssum(orgs: dict[str, Organisation]) -> int:
    buyer = _org(orgs, "Gemeente Brunssum", OrgKind.MUNICIPALITY, "brunssum")
    if _exists(buyer, Budget, BRUNSSUM_TITLE):
        return 0
    officer = _user(buyer, "procurement_officer", "Yvonne Custers")
    partners = [(_org(orgs, name, OrgKind.PROVIDER), amount) for name, amount in BRUNSSUM]
    users = {org.id: _user(org, "contact", f"Contactpersoon {org.name}") for org, _a in partners}
    with acting_for(buyer.id):
        budget = budgeting.create(
            actor=officer,
            owner=buyer,
            data=budgeting.BudgetData(
                title=BRUNSSUM_TITLE,
                kind=BudgetKind.ALLOCATION,
                period_start=date(2016, 1, 1),
                period_end=date(2016, 12, 31),
                approver=buyer,
                description="Eén integraal budget voor alle doelgroepen; de vijf aanbieders "
                "stellen samen voor hoe het wordt verdeeld.",
            ),
        )
        view = budgeting.budget_for(buyer, budget.id)
        budgeting.add_funding(
            actor=officer,
            view=view,
            funder=buyer,
            scheme="Wmo en Jeugd (integraal, lumpsum)",
            amount_=BRUNSSUM_TOTAL,
        )
        for org, _amount in partners:
            budgeting.add_partner(actor=officer, view=view, partner=org)
        version = allocation_versions.open_round(actor=officer, view=view)
        budget_id, version_id = budget.id, version.id
    for org, amount in partners:
        with acting_for(org.id):
            allocation_versions.enter_proposal(
                actor=users[org.id],
                view=_partner_view(org, budget_id),
                version_id=version_id,
                proposed=amount,
            )
    with acting_for(buyer.id):
        allocation_versions.consolidate(
            actor=officer, view=budgeting.budget_for(buyer, budget_id), version_id=version_id
        )
    for org, _amount in partners[:3]:  # two providers have not agreed yet
        with acting_for(org.id):
            allocation_versions.agree(
                actor=users[org.id], view=_partner_view(org, budget_id), version_id=version_id
            )
    return 1


def _handen_ineen(orgs: dict[str, Organisation]) -> int:
    lead = _org(orgs, "Palet", OrgKind.PROVIDER, "palet")
    if _exists(lead, Budget, HANDEN_INEEN_TITLE):
        return 0
    funders = {
        "zorgkantoor-friesland": _org(
            orgs, "Zorgkantoor Friesland", OrgKind.INSURER, "zorgkantoor-friesland"
        ),
        "leeuwarden": _org(orgs, "Gemeente Leeuwarden", OrgKind.MUNICIPALITY, "leeuwarden"),
    }
    _user(funders["leeuwarden"], "procurement_officer", "Inkoper Leeuwarden")
    _user(funders["zorgkantoor-friesland"], "contract_manager", "Contractmanager Zorgkantoor")
    partners = [(_org(orgs, name, OrgKind.PROVIDER), adv, rows) for name, adv, rows in HANDEN_INEEN]
    users = {
        org.id: _user(org, "contact", f"Contactpersoon {org.name}") for org, _a, _r in partners
    }
    with acting_for(lead.id):
        budget = budgeting.create(
            actor=users[lead.id],
            owner=lead,
            data=budgeting.BudgetData(
                title=HANDEN_INEEN_TITLE,
                kind=BudgetKind.DISTRICT,
                period_start=date(2015, 1, 1),
                period_end=date(2015, 12, 31),
                approver=funders["leeuwarden"],
                description="Budgetten voor persoonlijke verzorging, verpleging, begeleiding en "
                "huishoudelijke hulp in één wijkbudget; de partners verrekenen de geleverde zorg "
                "onderling. Palet is penvoerder.",
            ),
        )
        view = budgeting.budget_for(lead, budget.id)
        for funder, scheme, amount in HANDEN_INEEN_FUNDING:
            budgeting.add_funding(
                actor=users[lead.id],
                view=view,
                funder=funders[funder],
                scheme=scheme,
                amount_=amount,
            )
        for org, advance, _rows in partners:
            budgeting.add_partner(actor=users[lead.id], view=view, partner=org, advance=advance)
        budget_id = budget.id
    quarters = (date(2015, 3, 31), date(2015, 6, 30), date(2015, 9, 30), date(2015, 12, 31))
    for org, _advance, rows in partners:
        with acting_for(org.id):
            view = _partner_view(org, budget_id)
            for scheme, tariff, hours in rows:
                for day in quarters:  # one record per quarter
                    districts.record(
                        actor=users[org.id],
                        view=view,
                        data=districts.DeliveryData(day, scheme, D(hours) / 4, tariff),
                    )
    with acting_for(lead.id):
        districts.compute(actor=users[lead.id], view=budgeting.budget_for(lead, budget_id))
    return 1


def _westelijke_mijnstreek(orgs: dict[str, Organisation]) -> int:
    region = _org(orgs, "Regio Westelijke Mijnstreek", OrgKind.REGION, "westelijke-mijnstreek")
    if _exists(region, ArrangementScheme, WM_TITLE):
        return 0
    officer = _user(region, "procurement_officer", "Inkoper Westelijke Mijnstreek")
    providers = [_org(orgs, name, OrgKind.PROVIDER) for name in WM_PROVIDERS]
    for provider in providers:
        _user(provider, "contact", f"Contactpersoon {provider.name}")
    with acting_for(region.id):
        scheme = arrangement_financing.create(
            actor=officer, buyer=region, title=WM_TITLE, year=2016, national_cut=D(11)
        )
        for (complexity, intensity), rows in WM_HISTORY.items():
            for (cost, clients), provider in zip(rows, providers, strict=True):
                arrangement_financing.add_cost(
                    actor=officer,
                    scheme=scheme,
                    complexity=complexity,
                    intensity=intensity,
                    cost_per_client=D(cost),
                    clients=clients,
                    source=f"{provider.name}, 2014",
                )
        arrangement_financing.compute_tariffs(actor=officer, scheme=scheme)
        db.session.refresh(scheme)
        for ref, complexity, intensity, index, start, end in WM_CLIENTS:
            arrangement_financing.assign(
                actor=officer,
                scheme=scheme,
                client_ref=ref,
                complexity=complexity,
                intensity=intensity,
                provider=providers[index],
                starts_on=start,
                ends_on=end,
            )
    return 1
