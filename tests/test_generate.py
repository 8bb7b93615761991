"""`koepel generate` at a small scale: the generated tenders, sealed bids, framework
agreement and budget hold by the app's own rules, and the same seed gives the same data."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from koepel.bids import evaluation, opening, sealing
from koepel.bids.generate import generate_tenders, municipality_slug, officials
from koepel.bids.models import (
    Bid,
    BidStatus,
    ConsensusScore,
    CriterionKind,
    OpenedBid,
    Tender,
    TenderStatus,
)
from koepel.bids.submission import aad, sealing_key, submitted_content
from koepel.contracts.generate import generate_framework
from koepel.contracts.models.budgets import AllocationShare, AllocationVersion, VersionStatus
from koepel.contracts.models.framework import (
    AgreementStatus,
    FrameworkAgreement,
    FrameworkParty,
    FrameworkVolume,
)
from koepel.platform.models import Organisation
from koepel.platform.money import validate_weights_sum_100
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import to_local, utcnow
from koepel.tenants.generate import generate, member_shares

SMALL = {"umbrellas": 2, "cooperatives": 12, "members": 300}
TENDERS, BIDS, PROVIDERS = 60, 240, 6


def _generate(db, seed: str, now):
    generate(**SMALL, seed=seed, today=to_local(now).date())
    report = generate_tenders(municipalities=2, tenders=TENDERS, bids=BIDS, seed=seed, now=now)
    buyer = _org(db, municipality_slug(seed, 1))
    framework = generate_framework(
        buyer=buyer, providers=PROVIDERS, seed=seed, today=to_local(now).date()
    )
    db.session.flush()
    return report, framework


def _org(db, slug: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def _tenders(db, seed: str) -> list[Tender]:
    with cross_tenant("test: every generated tender"):
        return list(
            db.session.scalars(
                select(Tender)
                .join(Organisation, Organisation.id == Tender.tenant_id)
                .where(Organisation.slug.like(f"gen-{seed}-gemeente-%"))
                .order_by(Tender.id)
            )
        )


def test_generated_tenders_and_bids_are_valid(db):
    now = utcnow()
    report, _framework = _generate(db, "gt", now)
    tenders = _tenders(db, "gt")
    assert (report.tenders, report.bids, len(tenders)) == (TENDERS, BIDS, TENDERS)
    assert report.opened == 2  # tenders 1 and 51
    with cross_tenant("test: every generated bid"):
        bids = db.session.scalars(select(Bid).where(Bid.tender_id.in_([t.id for t in tenders])))
        bids = bids.all()
        for tender in tenders:
            assert tender.lots and tender.criteria and tender.requirements
            validate_weights_sum_100([c.weight for c in tender.criteria])  # publishable
            assert sum(c.kind == CriterionKind.PRICE for c in tender.criteria) == 1
        by_tender = {t.id: t for t in tenders}
    assert len(bids) == BIDS
    # One live bid per bidder per lot, only on published tenders, before the deadline.
    assert max(Counter((b.tenant_id, b.lot_id) for b in bids).values()) == 1
    for bid in bids:
        tender = by_tender[bid.tender_id]
        assert bid.status == BidStatus.SUBMITTED and bid.draft == "{}"
        assert tender.status != TenderStatus.DRAFT
        assert tender.published_at < bid.submitted_at < tender.submission_deadline
        assert bid.lot_id in {lot.id for lot in tender.lots}
    # Sealed: the bidder reads back what it submitted; another envelope's aad refuses.
    sample = bids[0]
    with acting_for(sample.tenant_id):
        quality, price = submitted_content(sample)
    assert quality["tender"] == sample.tender_id and quality["lot"] == sample.lot_id
    assert Decimal(price["price"]) > 0
    assert set(quality["answers"]) == {
        str(c.id) for c in by_tender[sample.tender_id].criteria if c.kind != CriterionKind.PRICE
    }
    try:
        sealing.unseal(sample.quality_sealed, sealing_key(), aad(sample.id, "price"), "0" * 64)
    except sealing.TamperedError:
        pass
    else:
        raise AssertionError("a sealed envelope opened in another context")


def test_opened_tenders_have_scores_and_a_ranking(db):
    now = utcnow()
    _generate(db, "go", now)
    opened = [t for t in _tenders(db, "go") if t.status == TenderStatus.OPENED]
    assert len(opened) == 2
    for tender in opened:
        with acting_for(tender.tenant_id):
            copies = db.session.scalars(
                select(OpenedBid).where(OpenedBid.tender_id == tender.id)
            ).all()
            with cross_tenant("test: the tender's submitted bids"):
                submitted = db.session.scalar(
                    select(func.count()).select_from(Bid).where(Bid.tender_id == tender.id)
                )
            assert copies and len(copies) == submitted
            assert all(c.price is not None and c.price > 0 for c in copies)
            quality = [c for c in tender.criteria if c.kind != CriterionKind.PRICE]
            consensus = db.session.scalar(
                select(func.count())
                .select_from(ConsensusScore)
                .join(OpenedBid, OpenedBid.id == ConsensusScore.opened_bid_id)
                .where(OpenedBid.tender_id == tender.id)
            )
            assert consensus == len(copies) * len(quality)
            ranking = evaluation.results(tender)  # every score is there: a ranking per lot
            assert sum(len(rows) for rows in ranking.values()) == len(copies)


def test_sealed_bids_of_a_closed_tender_decrypt_at_the_opening(db):
    now = utcnow()
    _generate(db, "gc", now)
    closed = next(
        t
        for t in _tenders(db, "gc")
        if t.status == TenderStatus.PUBLISHED and t.submission_deadline < now
    )
    buyer = db.session.get(Organisation, closed.tenant_id)
    first, second = officials(buyer)
    with acting_for(buyer.id):
        tender = db.session.get(Tender, closed.id)
        opening.start(actor=first, buyer=buyer, tender=tender)
        copies = opening.confirm(actor=second, buyer=buyer, tender=tender)
    assert copies and all(c.price > 0 and c.quality["answers"] for c in copies)


def test_framework_and_budget_add_up(db):
    now = utcnow()
    _report, framework = _generate(db, "gf", now)
    buyer = _org(db, municipality_slug("gf", 1))
    with acting_for(buyer.id):
        parties = db.session.scalars(
            select(FrameworkParty).where(FrameworkParty.agreement_id == framework.agreement_id)
        ).all()
        assert len(parties) == PROVIDERS
        agreement = db.session.get(FrameworkAgreement, framework.agreement_id)
        assert agreement.status == AgreementStatus.ACTIVE
        for party in parties:
            volumes = db.session.scalars(
                select(FrameworkVolume).where(FrameworkVolume.party_id == party.id)
            ).all()
            assert any(v.volume > 0 for v in volumes)
        version = db.session.get(AllocationVersion, framework.version_id)
        shares = db.session.scalars(
            select(AllocationShare).where(AllocationShare.version_id == version.id)
        ).all()
    assert version.status == VersionStatus.APPROVED
    assert len(shares) == PROVIDERS
    assert sum(s.amount for s in shares) == version.total == Decimal("8500000.00")
    assert all(s.amount > 0 for s in shares)


def _snapshot(db, seed: str, now) -> dict:
    """What a run generated, by natural keys (ids and ciphertexts differ between runs)."""
    tenders = _tenders(db, seed)
    with cross_tenant("test: snapshot of the generated data"):
        bids = db.session.execute(
            select(Organisation.slug, Tender.title, Bid.lot_id, Bid.submitted_at)
            .join(Tender, Tender.id == Bid.tender_id)
            .join(Organisation, Organisation.id == Bid.tenant_id)
            .where(Tender.id.in_([t.id for t in tenders]))
        ).all()
        lots = {t.id: {lot.id: lot.number for lot in t.lots} for t in tenders}
        tender_of = {t.title: t.id for t in tenders}
        shares = db.session.execute(
            select(Organisation.slug, AllocationShare.amount)
            .join(Organisation, Organisation.id == AllocationShare.partner_id)
            .where(Organisation.slug.like(f"gen-{seed}-%"))
        ).all()
    return {
        "tenders": [
            (t.title, t.status, t.submission_deadline - now, len(t.lots), t.estimated_value)
            for t in tenders
        ],
        "bids": sorted(
            (slug, title, lots[tender_of[title]][lot], at - now) for slug, title, lot, at in bids
        ),
        "shares": sorted(shares),
    }


def test_the_same_seed_gives_the_same_data(db):
    now = utcnow() - timedelta(minutes=1)
    savepoint = db.session.begin_nested()
    _generate(db, "gs", now)
    first = _snapshot(db, "gs", now)
    savepoint.rollback()
    _generate(db, "gs", now)
    assert _snapshot(db, "gs", now) == first
    assert first["bids"] and first["shares"]


def test_the_command_runs_every_generator(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "generate",
            "--umbrellas=1",
            "--cooperatives=6",
            "--members=120",
            "--municipalities=1",
            "--tenders=4",
            "--bids=8",
            "--framework-providers=2",
            "--seed=cli",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "4 tenders (1 opened and scored), 8 sealed bids" in result.output
    assert "allocated over 2 providers" in result.output
    assert len(_tenders(db, "cli")) == 4


def test_the_largest_cooperative_has_50_pages_of_members_at_demo_scale():
    from koepel.tenants.views.members import PAGE_SIZE

    even = member_shares(50_000, [1.0] * 500)  # without the city share: 100 each
    assert sum(even) == 50_000 and min(even) >= 95
    # Page 50 of the member list exists even if 5 % of them have left.
    assert max(even) * 0.95 > 49 * PAGE_SIZE
    spread = member_shares(50_000, [3.0, 1.0, 7.5, 2.0])
    assert sum(spread) == 50_000 and spread.index(max(spread)) == 2
    assert member_shares(10, [1.0]) == [10] and member_shares(10, []) == []
