"""Demo data of contracts and partnership agreements (cases 2, 3, 6 and 7 of DOMAIN.md):

- **Brunssum** (dialogue model): five contracted providers, each with a contract of
  2 years + twice a 1-year option and the seven indicators, with values reported for the
  periods that are over. MeanderGroep and Cicero Thuis are named in DOMAIN.md; the three
  others are illustrative, marked "(demo)", and the same as in the budget demo.
- **Alphen aan den Rijn** ('Tom in de buurt'): the coalition contract made from the award
  of the bids demo (Kwadraad lead party, 4 main contractors and 4 subcontractors), lumpsum
  € 8.5 million a year for four years, every signature, ten indicators, monthly advances.
  The ten indicators are our plausible reading of the self-sufficiency matrix (ZRM) and
  the participation ladder, plus waiting time and the yearly client questionnaire.
- **Stadsdorp Zuid and PuurZuid**: their partnership agreement with the members' quality
  criteria (familiar faces, less administration, board-level consultation).
- **Samen en Anders, Rotterdam**: residents deliver 10 hours a month of reciprocity
  services, expressed as a subsidy agreement of the municipality with the indicator "uren
  wederkerigheid per bewoner per maand" (target 10) and values for the months gone by.

Dates are relative to today, so reminders, reporting windows and advances are live.
Idempotent: a contract or agreement with the same title at the same owner is not made again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from koepel.contracts import (
    contract_awards,
    contract_options,
    contract_payments,
    contract_signing,
    contracting,
    kpis,
    partnerships,
)
from koepel.contracts.models.core import (
    Contract,
    ContractKind,
    KpiDirection,
    KpiPeriod,
    PartnershipAgreement,
    PartyRole,
)
from koepel.platform.auth import operations as accounts
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind, User
from koepel.platform.tenancy import acting_for

D = Decimal
# The five contracted providers with their yearly lumpsum (the same organisations and
# amounts as the budget demo's 2016 division, ``koepel.contracts.budget_demo``).
BRUNSSUM_PROVIDERS = [
    ("meandergroep", "MeanderGroep", D("2160000.00")),
    ("cicero-thuis", "Cicero Thuis", D("1440000.00")),
    ("welzijn-parkstad", "Welzijn Parkstad (demo)", D("1296000.00")),
    ("jeugdhulp-brunssum", "Jeugdhulp Brunssum (demo)", D("1224000.00")),
    ("buurtzorg-brunssum", "Buurtzorg Brunssum (demo)", D("1080000.00")),
]
# (name, unit, target, direction, period)
BRUNSSUM_KPIS = [
    ("Synergie", "gezamenlijke plannen", D(12), KpiDirection.HIGHER, KpiPeriod.QUARTER),
    ("Vakmanschap", "% geregistreerde professionals", D(95), KpiDirection.HIGHER, KpiPeriod.YEAR),
    ("Bereik", "inwoners", D(450), KpiDirection.HIGHER, KpiPeriod.QUARTER),
    ("Prijs", "euro per cliënt", D(2400), KpiDirection.LOWER, KpiPeriod.YEAR),
    ("Cliënttevredenheid", "rapportcijfer", D("7.5"), KpiDirection.HIGHER, KpiPeriod.YEAR),
    (
        "Verantwoordelijkheidsladder",
        "% cliënten een trede hoger",
        D(60),
        KpiDirection.HIGHER,
        KpiPeriod.QUARTER,
    ),
    (
        "Steun uit het netwerk",
        "% cliënten met steun",
        D(70),
        KpiDirection.HIGHER,
        KpiPeriod.QUARTER,
    ),
]
ALPHEN_KPIS = [
    ("ZRM financiën", "% cliënten vooruit", D(60), KpiDirection.HIGHER, KpiPeriod.QUARTER),
    ("ZRM dagbesteding", "% cliënten vooruit", D(55), KpiDirection.HIGHER, KpiPeriod.QUARTER),
    ("ZRM huisvesting", "% cliënten vooruit", D(50), KpiDirection.HIGHER, KpiPeriod.QUARTER),
    (
        "ZRM huiselijke relaties",
        "% cliënten vooruit",
        D(50),
        KpiDirection.HIGHER,
        KpiPeriod.QUARTER,
    ),
    (
        "ZRM geestelijke gezondheid",
        "% cliënten vooruit",
        D(45),
        KpiDirection.HIGHER,
        KpiPeriod.QUARTER,
    ),
    ("ZRM sociaal netwerk", "% cliënten vooruit", D(55), KpiDirection.HIGHER, KpiPeriod.QUARTER),
    (
        "Participatieladder",
        "% cliënten een trede hoger",
        D(40),
        KpiDirection.HIGHER,
        KpiPeriod.QUARTER,
    ),
    (
        "Inzet informele zorg",
        "% trajecten met vrijwilligers of mantelzorg",
        D(50),
        KpiDirection.HIGHER,
        KpiPeriod.QUARTER,
    ),
    ("Wachttijd eerste gesprek", "werkdagen", D(5), KpiDirection.LOWER, KpiPeriod.QUARTER),
    ("Cliënttevredenheid (IPA)", "rapportcijfer", D("7.5"), KpiDirection.HIGHER, KpiPeriod.YEAR),
]
ALPHEN_YEARLY = D("8500000.00")


def _org(orgs: dict[str, Organisation], slug: str, name: str, kind: OrgKind) -> Organisation:
    org = orgs.get(slug) or db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(slug=slug, name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    orgs[slug] = org
    return org


def _person(local: str, name: str, org: Organisation, role: str) -> User:
    """A demo account (password as the other demo accounts) with ``role`` at ``org``."""
    from koepel.platform.demo import DEMO_PASSWORD, demo_email

    user = accounts.find_user(demo_email(local))
    if user is None:
        user = accounts.create_user(
            actor=None, email=demo_email(local), display_name=name, password=DEMO_PASSWORD
        )
    accounts.grant_role(actor=None, user=user, org=org, role=role)
    return user


def _contact(org: Organisation) -> User:
    local = f"{'coordinator' if org.kind == OrgKind.COOPERATIVE else 'contact'}.{org.slug}"
    role = "coordinator" if org.kind == OrgKind.COOPERATIVE else "contact"
    return _person(local, f"Contactpersoon {org.name}", org, role)


def _exists(owner: Organisation, title: str) -> bool:
    with acting_for(owner.id):
        return db.session.scalar(select(Contract.id).where(Contract.title == title)) is not None


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _sign_all(contract_id: int, owner: Organisation, people: dict[int, User], day: date) -> None:
    """Every party signs every agreement it is part of (the owner first)."""
    with acting_for(owner.id):
        seen = contracting.seen_contract(owner, contract_id)
        parties = list(seen.parties)
    for party in sorted(parties, key=lambda p: p.organisation_id != owner.id):
        org = party.organisation
        with acting_for(org.id):
            seen = contracting.seen_contract(org, contract_id)
            for other in seen.to_sign():
                contract_signing.sign(
                    actor=people[org.id],
                    org=org,
                    contract_id=contract_id,
                    counterparty_id=other.id,
                    now=_moment(day),
                )
    with acting_for(owner.id):
        contract = db.session.get(Contract, contract_id)
        contracting.activate(
            actor=people[owner.id], owner=owner, contract=contract, now=_moment(day)
        )


def _add_kpis(owner: Organisation, contract: Contract, actor: User, rows) -> None:
    for name, unit, target, direction, period in rows:
        kpis.add_kpi(
            actor=actor,
            owner=owner,
            contract=contract,
            name=name,
            unit=unit,
            target=target,
            direction=direction,
            period=period,
        )


def _report(org: Organisation, person: User, contract_id: int, today: date, value_of) -> int:
    """Report a value for every period that is over (a few days after each), as ``org``."""
    reported = 0
    with acting_for(org.id):
        seen = contracting.seen_contract(org, contract_id)
        for i, kpi in enumerate(kpis.kpis_of(seen)):
            for j, span in enumerate(kpis.term_spans(seen.contract, kpi.period, today)):
                when = span.end + timedelta(days=5)
                if when >= today:
                    continue
                kpis.report(
                    actor=person,
                    org=org,
                    seen=seen,
                    kpi_id=kpi.id,
                    period_start=span.start,
                    value=value_of(kpi, i, j),
                    note="",
                    now=_moment(when),
                )
                reported += 1
    return reported


def _varied(target: Decimal, direction: KpiDirection, seed: int) -> Decimal:
    """A plausible value around the target: mostly met, sometimes not."""
    step = [D("1.04"), D("0.97"), D("1.08"), D("1.01"), D("0.93"), D("1.05")][seed % 6]
    if direction == KpiDirection.LOWER:
        step = 2 - step
    # Counts and percentages as whole numbers, a mark (7,5) to one decimal.
    whole = target == target.to_integral_value()
    return (target * step).quantize(D("1") if whole else D("0.1"), rounding=ROUND_HALF_UP)


def load_demo(orgs: dict[str, Organisation]) -> int:
    today = contracting.today_local()
    created = 0
    created += _brunssum(orgs, today)
    created += _alphen(orgs, today)
    created += _stadsdorp(orgs, today)
    created += _samen_en_anders(orgs, today)
    return created


def _brunssum(orgs, today: date) -> int:
    buyer = _org(orgs, "brunssum", "Gemeente Brunssum", OrgKind.MUNICIPALITY)
    officer = _person("inkoper.brunssum", "Yvonne Custers", buyer, "procurement_officer")
    start = date(today.year - 1, 1, 1)
    created = 0
    for n, (slug, name, yearly) in enumerate(BRUNSSUM_PROVIDERS):
        provider = _org(orgs, slug, name, OrgKind.PROVIDER)
        title = f"Sociaal domein Brunssum (dialoogmodel): {name}"
        if _exists(buyer, title):
            continue
        contact = _contact(provider)
        with acting_for(buyer.id):
            contract = contracting.create(
                actor=officer,
                owner=buyer,
                data=contracting.ContractData(
                    title=title,
                    kind=ContractKind.AWARD,
                    description=(
                        "Lumpsum na de aanbesteding in drie percelen (dialoogmodel). Vijf van de "
                        "ongeveer veertig aanbieders zijn gecontracteerd; zij stellen samen voor "
                        "hoe het integrale budget wordt verdeeld. Resultaten tellen op zeven "
                        "indicatoren."
                    ),
                    start_date=start,
                    initial_months=24,
                    value=yearly * 2,
                    yearly_amount=yearly,
                ),
                parties=[(provider, PartyRole.MAIN)],
            )
            for year in (today.year, today.year + 1):
                contract_options.add_option(
                    actor=officer,
                    owner=buyer,
                    contract=contract,
                    months=12,
                    decision_date=date(year, 9, 30),
                )
            _add_kpis(buyer, contract, officer, BRUNSSUM_KPIS)
            contract_id = contract.id
        _sign_all(
            contract_id,
            buyer,
            {buyer.id: officer, provider.id: contact},
            start - timedelta(days=20),
        )
        with acting_for(buyer.id):
            contract = db.session.get(Contract, contract_id)
            first = contract.options[0]
            if today > first.decision_date:  # decided in time: the first year is added
                contract_options.decide(
                    actor=officer,
                    owner=buyer,
                    contract=contract,
                    option_id=first.id,
                    exercise=True,
                    note="De resultaten op de zeven indicatoren zijn goed.",
                    now=_moment(first.decision_date - timedelta(days=30)),
                )
        _report(
            provider,
            contact,
            contract_id,
            today,
            lambda kpi, i, j, n=n: _varied(kpi.target, kpi.direction, i + j + n),
        )
        created += 1
    return created


def _alphen(orgs, today: date) -> int:
    from koepel.bids.models import Tender

    buyer = _org(orgs, "alphen", "Gemeente Alphen aan den Rijn", OrgKind.MUNICIPALITY)
    officer = _person("inkoper.alphen", "Mark de Jong", buyer, "procurement_officer")
    with acting_for(buyer.id):
        tender_id = db.session.scalar(
            select(Tender.id).where(Tender.title.like("Tom in de buurt%"))
        )
        done = db.session.scalar(select(Contract.id).where(Contract.tender_id == tender_id))
        rows = [r for r in contract_awards.open_awards(buyer) if r.tender_id == tender_id]
    if tender_id is None or done is not None or not rows:
        return 0  # the bids demo's award is missing, not final yet, or already contracted
    with acting_for(buyer.id):
        contract = contract_awards.from_awards(
            actor=officer,
            buyer=buyer,
            award_ids=[r.award_id for r in rows],
            winner_bid_ids=[r.winner_bid_id for r in rows],
            start_date=date(today.year, today.month, 1),
            initial_months=48,
        )
        contracting.update(
            actor=officer,
            owner=buyer,
            contract=contract,
            data=contracting.ContractData(
                title="Tom in de buurt: coalitiecontract sociaal domein Alphen aan den Rijn",
                kind=ContractKind.AWARD,
                description=(
                    "Best Value Procurement: één gezicht voor een coalitie van acht partijen. "
                    "Lumpsum € 8,5 miljoen per jaar; de coalitie verdeelt het zelf over de "
                    "hoofd- en onderaannemers. Kwadraad is penvoerder. Elke hoofdaannemer "
                    "tekent afzonderlijk; onderaannemers tekenen met elke hoofdaannemer. "
                    "Ieder kwartaal een rapportage aan de raad; jaarlijks het IPA-onderzoek."
                ),
                start_date=contract.start_date,
                initial_months=48,
                value=ALPHEN_YEARLY * 4,
                yearly_amount=ALPHEN_YEARLY,
            ),
        )
        _add_kpis(buyer, contract, officer, ALPHEN_KPIS)
        contract_id = contract.id
        parties = list(contract.parties)
    people = {buyer.id: officer}
    for party in parties:
        if party.organisation_id != buyer.id:
            people[party.organisation_id] = _contact(party.organisation)
    _sign_all(contract_id, buyer, people, contract.start_date - timedelta(days=10))
    lead = next(p for p in parties if p.role == PartyRole.LEAD)
    with acting_for(buyer.id):
        contract = db.session.get(Contract, contract_id)
        planned = contract_payments.plan_advances(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=lead.id,
            year=today.year,
        )
        for payment in planned:
            if payment.period_start <= today:
                contract_payments.mark_paid(
                    actor=officer,
                    owner=buyer,
                    contract=contract,
                    payment_id=payment.id,
                    paid_on=payment.period_start,
                )
    return 1


def _stadsdorp(orgs, today: date) -> int:
    coop = _org(orgs, "stadsdorp-zuid", "Stadsdorp Zuid", OrgKind.COOPERATIVE)
    provider = _org(orgs, "puurzuid", "PuurZuid", OrgKind.PROVIDER)
    title = "Samenwerking Stadsdorp Zuid en PuurZuid"
    with acting_for(coop.id):
        exists = db.session.scalar(
            select(PartnershipAgreement.id).where(PartnershipAgreement.title == title)
        )
    if exists is not None:
        return 0
    coordinator = _person("coordinator.stadsdorp-zuid", "Els de Wit", coop, "coordinator")
    contact = _person("contact.puurzuid", "Ineke Boon", provider, "contact")
    with acting_for(coop.id):
        agreement = partnerships.create(
            actor=coordinator,
            owner=coop,
            data=partnerships.AgreementData(
                title=title,
                partner=provider,
                starts_on=date(today.year - 1, 1, 1),
                professional_share=D(60),
                volunteer_share=D(25),
                family_share=D(15),
                responsible=partnerships.PARTNER,
                mission=(
                    "Leden van Stadsdorp Zuid kunnen zo lang mogelijk thuis blijven wonen, met "
                    "zorg van mensen die zij kennen en hulp van buren."
                ),
                way_of_working=(
                    "De werkgroep Zorg van het Stadsdorp is het eerste aanspreekpunt voor leden. "
                    "PuurZuid levert de persoonlijke verzorging en verpleging; vrijwilligers van "
                    "het Stadsdorp helpen met boodschappen, vervoer en gezelschap."
                ),
                own_contact="Els de Wit, coördinator Stadsdorp Zuid",
                partner_contact="Ineke Boon, teamleider PuurZuid",
                money_description=(
                    "Het Stadsdorp organiseert twee middagen dagbesteding per week in de "
                    "buurtkamer en krijgt daarvoor het deel van het budget dagbesteding van "
                    "PuurZuid voor de leden die meedoen."
                ),
                money_percentage=D(20),
                responsibility_note=(
                    "PuurZuid is eindverantwoordelijk voor de zorg; het Stadsdorp voor de inzet "
                    "van vrijwilligers."
                ),
                deviations=(
                    "Een vrijwilliger mag medicijnen aanreiken als de wijkverpleegkundige van "
                    "PuurZuid dat heeft uitgelegd."
                ),
            ),
            criteria=[
                (
                    "Vertrouwde gezichten",
                    "Een lid krijgt zorg van een vast, klein team van hooguit vier mensen.",
                ),
                (
                    "Minder administratie voor de cliënt",
                    "PuurZuid vult formulieren zoveel mogelijk zelf in; het lid tekent alleen.",
                ),
                (
                    "Overleg op bestuursniveau bij vastgelopen zorg",
                    "Klaagt een lid dat de zorg vastloopt, dan overleggen de besturen van het "
                    "Stadsdorp en PuurZuid binnen twee weken.",
                ),
            ],
        )
        agreement_id = agreement.id
    with acting_for(provider.id):
        partnerships.agree(
            actor=contact,
            org=provider,
            agreement_id=agreement_id,
            now=_moment(date(today.year - 1, 1, 1)),
        )
    return 1


def _samen_en_anders(orgs, today: date) -> int:
    rotterdam = _org(orgs, "rotterdam", "Gemeente Rotterdam", OrgKind.MUNICIPALITY)
    initiative = _org(orgs, "samen-en-anders", "Samen en Anders", OrgKind.COOPERATIVE)
    title = "Wederkerigheid in de wijk: Samen en Anders"
    if _exists(rotterdam, title):
        return 0
    officer = _person("beleid.rotterdam", "Noor Bakker", rotterdam, "procurement_officer")
    coordinator = _contact(initiative)
    start = date(today.year - 1, 1, 1)
    with acting_for(rotterdam.id):
        contract = contracting.create(
            actor=officer,
            owner=rotterdam,
            data=contracting.ContractData(
                title=title,
                kind=ContractKind.SUBSIDY,
                description=(
                    "Bewoners van goedkope studio's leveren elk 10 uur per maand "
                    "wederkerigheidsdiensten aan elkaar en aan de buurt; een lokale munt betaalt "
                    "de diensten. De gemeente steunt de coördinatie."
                ),
                start_date=start,
                initial_months=36,
                value=D("180000.00"),
                yearly_amount=D("60000.00"),
            ),
            parties=[(initiative, PartyRole.MAIN)],
        )
        kpis.add_kpi(
            actor=officer,
            owner=rotterdam,
            contract=contract,
            name="uren wederkerigheid per bewoner per maand",
            unit="uur",
            target=D(10),
            direction=KpiDirection.HIGHER,
            period=KpiPeriod.MONTH,
            description="Gemiddeld over alle bewoners; zo telt de afspraak van 10 uur per maand.",
        )
        contract_id = contract.id
    _sign_all(
        contract_id,
        rotterdam,
        {rotterdam.id: officer, initiative.id: coordinator},
        start - timedelta(days=14),
    )
    hours = [D("9.5"), D("10.25"), D("11"), D("10"), D("8.75"), D("10.5")]
    _report(initiative, coordinator, contract_id, today, lambda kpi, i, j: hours[j % len(hours)])
    return 1
