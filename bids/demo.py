"""Demo data of the bids module (from DOMAIN.md):

- Brunssum's dialogue-model tender in three lots, open for bids (two years + twice a
  one-year option; results judged on seven indicators — here as award criteria).
- Alphen aan den Rijn's 'Tom in de buurt': a tender already awarded to the coalition of
  eight parties led by Kwadraad (four main contractors, four subcontractors), lumpsum
  € 8.5 million a year; opened by two officials, scored, letters sent.
Idempotent: a tender with the same title at the same buyer is not made again.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from koepel.bids import challenges, dossier, evaluation, opening, questions, submission, tenders
from koepel.bids.models import CriterionKind, LotKind, OpenedBid, PartnerRole, Procedure, Tender
from koepel.platform.auth import operations as accounts
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

ALPHEN_MAIN = ["Gemiva-SVG Groep", "Kwintes", "Participe"]  # with Kwadraad as lead party
ALPHEN_SUB = ["ActiVite", "De Binnenvest", "Ipse de Bruggen", "Wijdezorg"]
BRUNSSUM_PROVIDERS = ["MeanderGroep", "Cicero Thuis"]
BRUNSSUM_TEXT = (
    "Lumpsum voor ondersteuning in Brunssum; contract 2 jaar met twee keer een optie van 1 jaar. "
    "De aanbieders stellen samen voor hoe het budget wordt verdeeld."
)
ALPHEN_TEXT = (
    "Best Value Procurement: één gezicht voor een coalitie; lumpsum € 8,5 miljoen per jaar."
)


def _org(orgs: dict[str, Organisation], name: str, kind: OrgKind) -> Organisation:
    slug = _slug(name)
    org = orgs.get(slug) or db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(slug=slug, name=name, kind=kind)
        db.session.add(org)
        db.session.flush()
    orgs[slug] = org
    return org


def _user(local: str):
    from koepel.platform.demo import demo_email

    return accounts.find_user(demo_email(local))


def _exists(buyer: Organisation, title: str) -> bool:
    with acting_for(buyer.id):
        return db.session.scalar(select(Tender.id).where(Tender.title == title)) is not None


def load(orgs: dict[str, Organisation]) -> int:
    created = 0
    for name in BRUNSSUM_PROVIDERS + ALPHEN_MAIN + ALPHEN_SUB:
        _org(orgs, name, OrgKind.PROVIDER)
    created += _brunssum(orgs)
    created += questions.load_demo(orgs)
    created += challenges.load_demo(orgs)
    created += dossier.load_demo(orgs)  # before the Alphen bid: partners confirm with their UEA
    created += _alphen(orgs)
    return created


def _brunssum(orgs) -> int:
    buyer, officer = orgs["brunssum"], _user("inkoper.brunssum")
    title = "Sociaal domein Brunssum: dialoogmodel"
    if _exists(buyer, title):
        return 0
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officer,
            buyer=buyer,
            data=tenders.TenderData(
                title=title,
                procedure=Procedure.SOCIAL,
                estimated_value=Decimal("6000000"),
                description=BRUNSSUM_TEXT,
                questions_deadline=utcnow() + timedelta(days=14),
                submission_deadline=utcnow() + timedelta(days=30),
                show_bid_count=True,
            ),
        )
        for lot in ("Jeugd en gezin", "Volwassenen", "Ouderen"):
            tenders.add_lot(
                actor=officer,
                buyer=buyer,
                tender=tender,
                title=lot,
                kind=LotKind.THEMATIC,
                budget=Decimal("2000000"),
                reserved_share=Decimal("10"),
            )
        for title_, kind, weight in (
            ("Prijs", CriterionKind.PRICE, 20),
            ("Synergie", CriterionKind.QUALITY, 15),
            ("Vakmanschap", CriterionKind.QUALITY, 15),
            ("Bereik", CriterionKind.QUALITY, 10),
            ("Cliënttevredenheid", CriterionKind.QUALITY, 15),
            ("Participatieladder", CriterionKind.QUALITY, 10),
            ("Steun uit het netwerk", CriterionKind.SOCIAL_VALUE, 15),
        ):
            tenders.add_criterion(
                actor=officer,
                buyer=buyer,
                tender=tender,
                title=title_,
                kind=kind,
                weight=Decimal(weight),
            )
        tenders.add_requirement(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Raad van toezicht",
            equivalent="Een algemene ledenvergadering die het bestuur controleert",
        )
        tenders.add_requirement(
            actor=officer, buyer=buyer, tender=tender, title="VOG voor vrijwilligers"
        )
        tenders.publish(actor=officer, buyer=buyer, tender=tender)
    return 1


def _alphen(orgs) -> int:
    buyer, officer = orgs["alphen"], _user("inkoper.alphen")
    title = "Tom in de buurt: ondersteuning in Alphen aan den Rijn"
    if _exists(buyer, title):
        return 0
    second = accounts.find_user("inkoper2.alphen@demo.koepel.nl") or accounts.create_user(
        actor=None,
        email="inkoper2.alphen@demo.koepel.nl",
        display_name="Joke van Wijk",
        password=_password(),
    )
    accounts.grant_role(actor=None, user=second, org=buyer, role="procurement_officer")
    start = utcnow() - timedelta(days=120)
    deadline = start + timedelta(days=40)
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officer,
            buyer=buyer,
            data=tenders.TenderData(
                title=title,
                procedure=Procedure.OPEN,
                estimated_value=Decimal("8500000"),
                description=ALPHEN_TEXT,
                submission_deadline=deadline,
            ),
        )
        tenders.add_lot(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Heel Alphen aan den Rijn",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("8500000"),
        )
        tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=Decimal(30),
        )
        quality = tenders.add_criterion(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Prestatie en risico's",
            kind=CriterionKind.QUALITY,
            weight=Decimal(70),
        )
        tenders.publish(actor=officer, buyer=buyer, tender=tender, now=start)
        tender_id, lot_id, quality_id = tender.id, tender.lots[0].id, quality.id
    lead = orgs["kwadraad"]
    lead_user = _user("contact.kwadraad")
    public = submission.published_tender(tender_id)
    with acting_for(lead.id):
        bid = submission.start(
            actor=lead_user, bidder=lead, tender=public, lot_id=lot_id, now=start
        )
        submission.save_draft(
            actor=lead_user,
            bidder=lead,
            bid=bid,
            content={
                "price": "8.500.000",
                "answers": {str(quality_id): "Eén gezicht in de wijk, samen met acht partijen."},
                "requirements": {},
            },
        )
        for name in ALPHEN_MAIN + ALPHEN_SUB:
            submission.add_partner(
                actor=lead_user,
                bidder=lead,
                bid=bid,
                partner=orgs[_slug(name)],
                role=PartnerRole.MAIN if name in ALPHEN_MAIN else PartnerRole.SUB,
                share=Decimal("10"),
            )
        bid_id = bid.id
    for name in ALPHEN_MAIN + ALPHEN_SUB:
        partner = orgs[_slug(name)]
        with acting_for(partner.id):
            submission.confirm_participation(actor=lead_user, partner=partner, bid_id=bid_id)
    with acting_for(lead.id):
        from koepel.bids.models import Bid

        bid = db.session.scalar(select(Bid).where(Bid.id == bid_id))
        submission.submit(
            actor=lead_user, bidder=lead, bid=bid, tender=public, now=deadline - timedelta(days=1)
        )
    after = deadline + timedelta(hours=1)
    with acting_for(buyer.id):
        tender = tenders.get_tender(tender_id)
        opening.start(actor=officer, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after + timedelta(minutes=10))
        evaluation.assign_reviewer(
            actor=officer, buyer=buyer, tender=tender, reviewer=officer, chair=True
        )
        evaluation.declare_no_conflict(reviewer=officer, buyer=buyer, tender=tender)
        copy = db.session.scalar(select(OpenedBid).where(OpenedBid.tender_id == tender_id))
        criterion = next(c for c in tender.criteria if c.id == quality_id)
        evaluation.set_consensus(
            chair=officer,
            buyer=buyer,
            tender=tender,
            bid=copy,
            criterion=criterion,
            points=Decimal(8),
            motivation="Sterke samenwerking en duidelijke risicoaanpak.",
        )
        evaluation.decide(
            actor=officer,
            buyer=buyer,
            tender=tender,
            reasons="De coalitie biedt de beste prijs-kwaliteitverhouding.",
        )
        evaluation.send_letters(
            actor=officer, buyer=buyer, tender=tender, now=after + timedelta(days=14)
        )
    return 1


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("ë", "e")


def _password() -> str:
    from koepel.platform.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
