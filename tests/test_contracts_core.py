"""Contracts stored (koepel.contracts.contracting and friends), without HTTP: an award
becomes a draft contract with the winning consortium; Alphen's signature rule decides
*signed*; options extend the term in order and their reminder is sent once; KPI reports
respect the reporting window; payments and the final settlement; who sees what; the
transition plan; partnership agreements; the OCDS package with contracts; the demo cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koepel.bids import ocds, publication, tenders
from koepel.bids.models import (
    AwardDecision,
    Bid,
    BidPartner,
    BidStatus,
    LotKind,
    OpenedBid,
    PartnerRole,
    Procedure,
    TenderStatus,
)
from koepel.contracts import (
    contract_awards,
    contract_options,
    contract_payments,
    contract_signing,
    contracting,
    kpis,
    partnerships,
)
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import (
    Contract,
    ContractKind,
    ContractSignature,
    ContractStatus,
    KpiDirection,
    KpiPeriod,
    KpiValue,
    OptionStatus,
    PartnershipStatus,
    PartyRole,
    PaymentKind,
    PaymentStatus,
)
from koepel.platform import schedule
from koepel.platform.models import AuditEvent, OutboxMessage
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow
from koepel.platform.web import commit

from conftest import missing

D = Decimal
ALPHEN_MAIN = ["Gemiva-SVG Groep", "Kwintes", "Participe"]
ALPHEN_SUB = ["ActiVite", "De Binnenvest", "Ipse de Bruggen", "Wijdezorg"]


# -- set-up -----------------------------------------------------------------------------------
@pytest.fixture
def alphen(db, make_org, make_user):
    """Alphen's buyer and the coalition: Kwadraad (lead) with 3 more main contractors and
    4 subcontractors, a contact person each, and an outsider."""
    buyer = make_org("municipality", name="Gemeente Alphen aan den Rijn")
    lead = make_org("provider", name="Kwadraad")
    mains = [make_org("provider", name=n) for n in ALPHEN_MAIN]
    subs = [make_org("provider", name=n) for n in ALPHEN_SUB]
    people = {buyer.id: make_user(buyer, "procurement_officer")}
    for org in [lead, *mains, *subs]:
        people[org.id] = make_user(org, "contact")
    outsider = make_org("provider", name="Buiten de coalitie")
    people[outsider.id] = make_user(outsider, "contact")
    return {
        "buyer": buyer,
        "officer": people[buyer.id],
        "lead": lead,
        "mains": mains,
        "subs": subs,
        "people": people,
        "outsider": outsider,
    }


ALPHEN_PRICE = D("8500000.00")


def award(db, w, *, standstill_over: bool = True, price: D = ALPHEN_PRICE) -> dict:
    """A tender of the buyer with one lot awarded to the lead's consortium bid (rows written
    directly: the bids module has its own tests of how they come about)."""
    buyer, officer, lead = w["buyer"], w["officer"], w["lead"]
    now = utcnow()
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=officer,
            buyer=buyer,
            data=tenders.TenderData(
                title="Tom in de buurt",
                procedure=Procedure.OPEN,
                submission_deadline=now + timedelta(days=30),
            ),
        )
        lot = tenders.add_lot(
            actor=officer,
            buyer=buyer,
            tender=tender,
            title="Heel Alphen aan den Rijn",
            kind=LotKind.GEOGRAPHIC,
            budget=D("8500000"),
        )
    with acting_for(lead.id):
        bid = Bid(
            tenant_id=lead.id,
            tender_id=tender.id,
            lot_id=lot.id,
            status=BidStatus.SUBMITTED,
            submitted_at=now - timedelta(days=40),
        )
        bid.partners = [
            BidPartner(tenant_id=lead.id, partner_id=o.id, role=role, share=D(10))
            for orgs, role in ((w["mains"], PartnerRole.MAIN), (w["subs"], PartnerRole.SUB))
            for o in orgs
        ]
        db.session.add(bid)
        db.session.flush()
    with acting_for(buyer.id):
        copy = OpenedBid(
            tenant_id=buyer.id,
            tender_id=tender.id,
            lot_id=lot.id,
            bid_id=bid.id,
            bidder_id=lead.id,
            bidder_name=lead.name,
            partners=[{"organisation": o.name} for o in w["mains"] + w["subs"]],
            submitted_at=now - timedelta(days=40),
            quality_digest="0" * 64,
            price_digest="0" * 64,
            price=price,
            price_revealed_at=now - timedelta(days=39),
        )
        db.session.add(copy)
        db.session.flush()
        decision = AwardDecision(
            tenant_id=buyer.id,
            tender_id=tender.id,
            lot_id=lot.id,
            winner_id=copy.id,
            ranking=[copy.id],
            tie_rule="none",
            reasons="De beste prijs-kwaliteitverhouding.",
            decided_by_id=officer.id,
            letters_sent_at=now - timedelta(days=30),
            standstill_ends_at=now - timedelta(days=3)
            if standstill_over
            else now + timedelta(days=3),
        )
        tender.status, tender.opened_at = TenderStatus.AWARDED, now - timedelta(days=39)
        tender.published_at = now - timedelta(days=80)
        db.session.add(decision)
        db.session.flush()
    return {"tender_id": tender.id, "lot_id": lot.id, "award_id": decision.id, "bid_id": copy.id}


def coalition_contract(db, w) -> Contract:
    ctx = award(db, w)
    with acting_for(w["buyer"].id):
        return contract_awards.from_awards(
            actor=w["officer"],
            buyer=w["buyer"],
            award_ids=[ctx["award_id"]],
            winner_bid_ids=[ctx["bid_id"]],
        )


def sign_everything(db, w, contract_id: int, skip: tuple[int, int] | None = None) -> None:
    """Every party signs every agreement it is part of, except the (party org, counterparty
    org) in ``skip``."""
    for org in [w["buyer"], w["lead"], *w["mains"], *w["subs"]]:
        with acting_for(org.id):
            seen = contracting.seen_contract(org, contract_id)
            for other in seen.to_sign():
                if skip == (org.id, other.organisation_id):
                    continue
                contract_signing.sign(
                    actor=w["people"][org.id],
                    org=org,
                    contract_id=contract_id,
                    counterparty_id=other.id,
                )


def audited(db, action: str, obj_id: int) -> int:
    with cross_tenant("test reads the audit log"):
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_id == str(obj_id))
        )


def simple_contract(db, buyer, officer, provider, **changes) -> Contract:
    data = dict(
        title="Pilot dagbesteding",
        kind=ContractKind.PILOT,
        start_date=date(2025, 1, 1),
        initial_months=24,
        yearly_amount=D("120000.00"),
    )
    data.update(changes)
    with acting_for(buyer.id):
        return contracting.create(
            actor=officer,
            owner=buyer,
            data=contracting.ContractData(**data),
            parties=[(provider, PartyRole.MAIN)],
        )


def at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def running(db, buyer, officer, provider, people, options=(), **changes) -> Contract:
    """A contract with ``options`` (months, decision date) that both sides signed and that
    runs."""
    contract = simple_contract(db, buyer, officer, provider, **changes)
    with acting_for(buyer.id):
        for months, decision_date in options:
            contract_options.add_option(
                actor=officer,
                owner=buyer,
                contract=contract,
                months=months,
                decision_date=decision_date,
            )
    for org in (buyer, provider):
        with acting_for(org.id):
            seen = contracting.seen_contract(org, contract.id)
            contract_signing.sign(
                actor=people[org.id],
                org=org,
                contract_id=contract.id,
                counterparty_id=seen.to_sign()[0].id,
            )
    with acting_for(buyer.id):
        contracting.activate(actor=officer, owner=buyer, contract=contract)
    return contract


# -- from an award ----------------------------------------------------------------------------
def test_an_award_becomes_a_draft_contract_with_the_winning_consortium(db, alphen):
    w = alphen
    early = award(db, w, standstill_over=False)
    with acting_for(w["buyer"].id):
        # The standstill period still runs: the award is not final, nothing to contract.
        assert contract_awards.open_awards(w["buyer"]) == []
        with pytest.raises(ContractRuleError, match="definitieve gunningen") as refused:
            contract_awards.from_awards(
                actor=w["officer"],
                buyer=w["buyer"],
                award_ids=[early["award_id"]],
                winner_bid_ids=[early["bid_id"]],
            )
        assert refused.value.field == "awards"
    contract = coalition_contract(db, w)
    assert contract.status == ContractStatus.DRAFT and contract.kind == ContractKind.AWARD
    assert contract.value == D("8500000.00")
    roles = {p.organisation.name: p.role for p in contract.parties}
    assert roles == {
        "Gemeente Alphen aan den Rijn": PartyRole.BUYER,
        "Kwadraad": PartyRole.LEAD,
        **{n: PartyRole.MAIN for n in ALPHEN_MAIN},
        **{n: PartyRole.SUB for n in ALPHEN_SUB},
    }
    assert [lot.award_id for lot in contract.lots] != [None]
    assert audited(db, "contract.from_award", contract.id) == 1
    with acting_for(w["buyer"].id):
        # Contracted: the award is no longer offered, and a second contract is refused.
        assert all(
            r.award_id != contract.lots[0].award_id for r in contract_awards.open_awards(w["buyer"])
        )


# -- signatures -------------------------------------------------------------------------------
def test_the_signature_rule_pairs_every_sub_with_every_main():
    parties = [(1, PartyRole.BUYER), (2, PartyRole.LEAD), (3, PartyRole.MAIN), (4, PartyRole.MAIN)]
    parties += [(5, PartyRole.MAIN), (6, PartyRole.SUB), (7, PartyRole.SUB), (8, PartyRole.SUB)]
    parties += [(9, PartyRole.SUB), (10, PartyRole.MEMBER)]
    pairs = contract_signing.required_pairs(parties)
    # Each of 4 main contractors with the buyer, each of 4 subs with each of 4 mains.
    assert len(pairs) == 4 + 16
    assert (1, 2) in pairs and (5, 9) in pairs and (1, 6) not in pairs and (6, 7) not in pairs
    assert all(10 not in pair for pair in pairs)  # a participating member does not sign
    assert len(contract_signing.required_signatures(parties)) == 40
    with pytest.raises(ContractRuleError, match="opdrachtgever"):
        contract_signing.check_signable([(2, PartyRole.LEAD), (6, PartyRole.SUB)])


def test_alphen_is_signed_only_when_each_sub_signed_with_each_main(db, alphen):
    w = alphen
    contract = coalition_contract(db, w)
    ipse, kwintes = w["subs"][2], w["mains"][1]
    sign_everything(db, w, contract.id, skip=(ipse.id, kwintes.id))
    with acting_for(w["buyer"].id):
        assert db.session.scalar(select(func.count()).select_from(ContractSignature)) == 39
        db.session.refresh(contract)
        assert contract.status == ContractStatus.DRAFT  # one sub has not signed with one main
        with pytest.raises(ContractRuleError, match="lopen"):
            contracting.activate(actor=w["officer"], owner=w["buyer"], contract=contract)
    with acting_for(ipse.id):
        seen = contracting.seen_contract(ipse, contract.id)
        assert [p.organisation.name for p in seen.to_sign()] == ["Kwintes"]
        # A subcontractor does not sign with the buyer.
        buyer_party = next(p for p in seen.parties if p.role == PartyRole.BUYER)
        buyer_party_id = buyer_party.id
        with pytest.raises(ContractRuleError, match="Kies een partij") as refused:
            contract_signing.sign(
                actor=w["people"][ipse.id],
                org=ipse,
                contract_id=contract.id,
                counterparty_id=buyer_party.id,
            )
        assert refused.value.field == "counterparty"
        done = contract_signing.sign(
            actor=w["people"][ipse.id],
            org=ipse,
            contract_id=contract.id,
            counterparty_id=seen.to_sign()[0].id,
        )
    assert done
    with acting_for(w["buyer"].id):
        db.session.refresh(contract)
        assert contract.status == ContractStatus.SIGNED and contract.signed_at is not None
    assert audited(db, "contract.signed", contract.id) == 1
    # An organisation that is no party cannot sign.
    outsider = w["outsider"]
    with acting_for(outsider.id), pytest.raises(ContractRuleError, match="geen partij"):
        contract_signing.sign(
            actor=w["people"][outsider.id],
            org=outsider,
            contract_id=contract.id,
            counterparty_id=buyer_party_id,
        )


def test_parties_cannot_change_once_someone_signed(db, alphen):
    w = alphen
    contract = simple_contract(db, w["buyer"], w["officer"], w["lead"])
    with acting_for(w["buyer"].id):
        seen = contracting.seen_contract(w["buyer"], contract.id)
        contract_signing.sign(
            actor=w["officer"],
            org=w["buyer"],
            contract_id=contract.id,
            counterparty_id=seen.to_sign()[0].id,
        )
        with pytest.raises(ContractRuleError, match="al ondertekend"):
            contracting.add_party(
                actor=w["officer"],
                owner=w["buyer"],
                contract=contract,
                organisation=w["subs"][0],
                role=PartyRole.SUB,
            )


# -- options and their reminder -----------------------------------------------------------------
def test_options_extend_the_term_in_order(db, alphen):
    w = alphen
    buyer, officer = w["buyer"], w["officer"]
    contract = simple_contract(db, buyer, officer, w["lead"], start_date=date(2026, 1, 1))
    with acting_for(buyer.id):
        first = contract_options.add_option(
            actor=officer,
            owner=buyer,
            contract=contract,
            months=12,
            decision_date=date(2027, 9, 30),
        )
        second = contract_options.add_option(
            actor=officer,
            owner=buyer,
            contract=contract,
            months=12,
            decision_date=date(2028, 9, 30),
        )
        with pytest.raises(ContractRuleError, match="afloopt") as late:
            contract_options.add_option(
                actor=officer,
                owner=buyer,
                contract=contract,
                months=12,
                decision_date=date(2030, 1, 1),
            )
        assert late.value.field == "decision_date"
    assert contract.end_date == date(2027, 12, 31)  # 2 years
    running_contract = contract
    for org in (buyer, w["lead"]):
        with acting_for(org.id):
            seen = contracting.seen_contract(org, contract.id)
            contract_signing.sign(
                actor=w["people"][org.id],
                org=org,
                contract_id=contract.id,
                counterparty_id=seen.to_sign()[0].id,
            )
    with acting_for(buyer.id):
        with pytest.raises(ContractRuleError, match="eerdere optie"):
            contract_options.decide(
                actor=officer,
                owner=buyer,
                contract=running_contract,
                option_id=second.id,
                exercise=True,
                now=at(2027, 6),
            )
        with pytest.raises(ContractRuleError, match="beslisdatum"):
            contract_options.decide(
                actor=officer,
                owner=buyer,
                contract=running_contract,
                option_id=first.id,
                exercise=True,
                now=at(2027, 10, 2),
            )
        contract_options.decide(
            actor=officer,
            owner=buyer,
            contract=running_contract,
            option_id=first.id,
            exercise=True,
            note="Goede resultaten",
            now=at(2027, 6),
        )
        assert running_contract.end_date == date(2028, 12, 31)
        contract_options.decide(
            actor=officer,
            owner=buyer,
            contract=running_contract,
            option_id=second.id,
            exercise=False,
            now=at(2028, 6),
        )
        assert second.status == OptionStatus.DECLINED
        assert running_contract.end_date == date(2028, 12, 31)
    assert audited(db, "contract.option_exercised", contract.id) == 1
    assert audited(db, "contract.option_declined", contract.id) == 1


def _reminders(db) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject.startswith("Beslis over optie"))
        )
    )


def test_the_option_reminder_is_sent_once_even_when_the_tick_runs_twice(db, alphen, run_jobs):
    w = alphen
    buyer, officer = w["buyer"], w["officer"]
    today = contracting.today_local()
    start = date(today.year - 1, today.month, 1)
    near = running(
        db,
        buyer,
        officer,
        w["lead"],
        w["people"],
        start_date=start,
        title="Bijna",
        options=[(12, today + timedelta(days=30))],
    )
    running(
        db,
        buyer,
        officer,
        w["mains"][0],
        w["people"],
        start_date=start,
        title="Ver",
        options=[(12, today + timedelta(days=200))],
    )
    commit()
    run_jobs()
    for run in range(2):
        outcome = schedule.tick()
        assert outcome["contracts.remind_options"] == (1 if run == 0 else 0)
        run_jobs()
    mails = _reminders(db)
    assert [m.to_address for m in mails] == [officer.email]
    assert "Bijna" in mails[0].subject and "12 maanden" in mails[0].body_text
    with acting_for(buyer.id):
        db.session.refresh(near.options[0])
        assert near.options[0].reminded_for == today + timedelta(days=30)
    assert audited(db, "contract.option_reminder_sent", near.id) == 1


# -- KPIs -------------------------------------------------------------------------------------
def test_a_kpi_value_for_a_closed_or_future_period_is_refused(db, alphen):
    w = alphen
    buyer, provider = w["buyer"], w["lead"]
    contract = running(db, buyer, w["officer"], provider, w["people"], kpi_window_days=60)
    with acting_for(buyer.id):
        kpi = kpis.add_kpi(
            actor=w["officer"],
            owner=buyer,
            contract=contract,
            name="Bereik",
            unit="inwoners",
            target=D(450),
            direction=KpiDirection.HIGHER,
            period=KpiPeriod.QUARTER,
        )
    person = w["people"][provider.id]

    def report(start, value, when):
        with acting_for(provider.id):
            seen = contracting.seen_contract(provider, contract.id)
            return kpis.report(
                actor=person,
                org=provider,
                seen=seen,
                kpi_id=kpi.id,
                period_start=start,
                value=value,
                now=at(when.year, when.month, when.day),
            )

    row = report(date(2025, 1, 1), D(470), date(2025, 4, 15))
    assert row.period_end == date(2025, 3, 31)
    with pytest.raises(ContractRuleError, match="nog niet voorbij") as future:
        report(date(2025, 4, 1), D(480), date(2025, 4, 15))
    assert future.value.field == "period"
    with pytest.raises(ContractRuleError, match="termijn om over K1 2025 te melden is voorbij"):
        report(date(2025, 1, 1), D(500), date(2025, 6, 1))  # 31 March + 60 days passed
    with pytest.raises(ContractRuleError, match="buiten de looptijd"):
        report(date(2024, 10, 1), D(500), date(2025, 1, 15))
    # Within the window a value is corrected, with both on record.
    report(date(2025, 1, 1), D(455), date(2025, 5, 30))
    with acting_for(buyer.id):
        values = db.session.scalars(select(KpiValue)).all()
        assert [(v.period_start, v.value) for v in values] == [(date(2025, 1, 1), D(455))]
        seen = contracting.seen_contract(buyer, contract.id)
        # The buyer does not report (it is no contractor).
        with pytest.raises(ContractRuleError, match="aannemer"):
            kpis.report(
                actor=w["officer"],
                org=buyer,
                seen=seen,
                kpi_id=kpi.id,
                period_start=date(2025, 1, 1),
                value=D(1),
            )
        row = kpis.table(seen, date(2025, 7, 1))[0]
    assert [c.span.label for c in row.cells] == ["K1 2025", "K2 2025", "K3 2025"]
    assert [c.met for c in row.cells] == [True, None, None]
    assert audited(db, "contract.kpi_reported", contract.id) == 4  # owner's and reporter's log


def test_kpi_periods_and_chart_are_plain_arithmetic():
    assert kpis.span_of(date(2026, 5, 17), KpiPeriod.QUARTER) == kpis.Span(
        date(2026, 4, 1), date(2026, 6, 30), KpiPeriod.QUARTER
    )
    assert kpis.span_of(date(2026, 12, 31), KpiPeriod.MONTH).start == date(2026, 12, 1)
    spans = kpis.spans(date(2025, 11, 15), date(2026, 2, 1), KpiPeriod.MONTH)
    assert [s.start.month for s in spans] == [11, 12, 1, 2]
    chart = kpis.chart([("a", D(5)), ("b", None), ("c", D(10))], D(10), KpiDirection.HIGHER)
    assert chart.bars[1].height == 0 and chart.bars[0].met is False and chart.bars[2].met
    assert chart.bars[2].y == pytest.approx(chart.target_y)  # the bar that meets reaches the line


# -- payments ---------------------------------------------------------------------------------
def test_advances_supplements_and_the_final_settlement(db, alphen):
    w = alphen
    buyer, officer, lead = w["buyer"], w["officer"], w["lead"]
    contract = running(
        db,
        buyer,
        officer,
        lead,
        w["people"],
        start_date=date(2026, 1, 1),
        initial_months=48,
        yearly_amount=D("8500000.00"),
    )
    party = next(p for p in contract.parties if p.organisation_id == lead.id)
    with acting_for(buyer.id):
        rows = contract_payments.plan_advances(
            actor=officer, owner=buyer, contract=contract, party_id=party.id, year=2026
        )
        assert [r.amount for r in rows] == [D("708333.34")] * 4 + [D("708333.33")] * 8
        assert sum(r.amount for r in rows) == D("8500000.00")
        with pytest.raises(ContractRuleError, match="al gepland"):
            contract_payments.plan_advances(
                actor=officer, owner=buyer, contract=contract, party_id=party.id, year=2026
            )
        contract_payments.add_supplement(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=party.id,
            year=2026,
            amount=D("50000.00"),
            reason="Extra inzet in de winter",
            settled=True,
        )
        contract_payments.add_supplement(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=party.id,
            year=2026,
            amount=D("25000.00"),
            reason="Innovatie: groepsaanbod",
            settled=False,
        )
        with pytest.raises(ContractRuleError, match="Nog niet alle voorschotten"):
            contract_payments.settle(
                actor=officer,
                owner=buyer,
                contract=contract,
                party_id=party.id,
                year=2026,
                delivered=D("8400000.00"),
            )
        for row in contract_payments.payments_of(
            contracting.seen_contract(buyer, contract.id)
        ).payments:
            contract_payments.mark_paid(
                actor=officer, owner=buyer, contract=contract, payment_id=row.id
            )
        settlement = contract_payments.settle(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=party.id,
            year=2026,
            delivered=D("8400000.00"),
        )
    # 8,400,000 - 8,500,000 advances - 50,000 settled supplement: paid back 150,000.
    assert settlement.balance == D("-150000.00") and settlement.kept_supplements == D("25000.00")
    assert "betaalt €\xa0150.000,00 terug" in settlement.summary
    with acting_for(buyer.id):
        back = db.session.get(type(rows[0]), settlement.payment_id)
        assert back.kind == PaymentKind.SETTLEMENT and back.status == PaymentStatus.PLANNED
    assert audited(db, "contract.settled", contract.id) == 1


def test_a_party_sees_the_contract_and_a_subcontractor_not_the_payments_of_others(db, alphen):
    w = alphen
    contract = coalition_contract(db, w)
    sign_everything(db, w, contract.id)
    buyer, officer = w["buyer"], w["officer"]
    with acting_for(buyer.id):
        contract.yearly_amount = D("8500000.00")
        contracting.activate(actor=officer, owner=buyer, contract=contract)
        by_org = {p.organisation_id: p for p in contract.parties}
        contract_payments.plan_advances(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=by_org[w["lead"].id].id,
            year=contract.start_date.year,
        )
        contract_payments.add_supplement(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=by_org[w["subs"][0].id].id,
            year=contract.start_date.year,
            amount=D("1000.00"),
            reason="Vervoer",
            settled=True,
        )
        everything = contract_payments.payments_of(contracting.seen_contract(buyer, contract.id))
    assert everything.complete and len({p.party_id for p in everything.payments}) == 2

    def seen_by(org):
        with acting_for(org.id):
            seen = contracting.seen_contract(org, contract.id)
            return seen, (contract_payments.payments_of(seen) if seen else None)

    seen, view = seen_by(w["subs"][1])  # De Binnenvest: a subcontractor without payments
    assert seen is not None and not seen.is_owner and seen.contract.title == contract.title
    assert view.payments == [] and not view.complete
    seen, view = seen_by(w["subs"][0])  # ActiVite sees its own supplement only
    assert [p.amount for p in view.payments] == [D("1000.00")]
    assert [t.party.organisation.name for t in view.totals] == ["ActiVite"]
    assert seen_by(w["outsider"]) == (None, None)
    with acting_for(w["subs"][1].id):
        assert [c.title for c in contracting.contracts_as_party(w["subs"][1])] == [contract.title]
    # A contract that shares the figures shows every party's payments to every party.
    with acting_for(buyer.id):
        contract.shares_figures = True
        db.session.flush()
    _seen, view = seen_by(w["subs"][1])
    assert view.complete and len(view.payments) == len(everything.payments)


# -- transition -------------------------------------------------------------------------------
def test_a_transitional_year_for_every_provider_then_multi_year_contracts(db, alphen):
    w = alphen
    old, kept, new = w["mains"][0], w["mains"][1], w["lead"]
    with acting_for(w["buyer"].id):
        made = contract_payments.plan_transition(
            actor=w["officer"],
            buyer=w["buyer"],
            existing={old: D("100000.00"), kept: D("200000.00")},
            year=2026,
            multi_year={kept: D("210000.00"), new: D("300000.00")},
            years=3,
        )
        terms = {
            (c.kind, next(p.organisation.name for p in c.parties if p.role == PartyRole.MAIN)): (
                c.start_date,
                c.end_date,
                c.yearly_amount,
                c.value,
            )
            for c in made
        }
    one, three = (date(2026, 1, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2029, 12, 31))
    assert terms == {
        (ContractKind.TRANSITIONAL, old.name): (*one, D("100000.00"), D("100000.00")),
        (ContractKind.TRANSITIONAL, kept.name): (*one, D("200000.00"), D("200000.00")),
        (ContractKind.OTHER, kept.name): (*three, D("210000.00"), D("630000.00")),
        (ContractKind.OTHER, new.name): (*three, D("300000.00"), D("900000.00")),
    }
    by_id = {c.id: c for c in made}
    follows = {by_id[c.predecessor_id].title for c in made if c.predecessor_id}
    assert follows == {f"Overgangscontract 2026: {kept.name}"}


# -- partnership agreements -------------------------------------------------------------------
def test_a_partnership_agreement_between_a_cooperative_and_a_provider(db, make_org, make_user):
    coop = make_org("cooperative", name="Stadsdorp Zuid")
    puur = make_org("provider", name="PuurZuid")
    other = make_org("provider", name="Cordaan")
    coordinator, contact = make_user(coop, "coordinator"), make_user(puur, "contact")
    other_contact = make_user(other, "contact")
    data = partnerships.AgreementData(
        title="Samenwerking",
        partner=puur,
        starts_on=date(2026, 1, 1),
        professional_share=D(60),
        volunteer_share=D(25),
        family_share=D("14.5"),
        money_percentage=D(20),
    )
    with acting_for(coop.id):
        with pytest.raises(ContractRuleError, match="99,5%") as wrong:
            partnerships.create(actor=coordinator, owner=coop, data=data)
        assert wrong.value.field == "professional_share"
        data.family_share = D(15)
        data.partner = make_org("cooperative", name="Andere coöperatie")
        with pytest.raises(ContractRuleError, match="Kies een zorgaanbieder"):
            partnerships.create(actor=coordinator, owner=coop, data=data)
        data.partner = puur
        agreement = partnerships.create(
            actor=coordinator,
            owner=coop,
            data=data,
            criteria=[("Vertrouwde gezichten", ""), ("Minder administratie", "")],
        )
    with acting_for(other.id):
        assert partnerships.seen_agreement(other, agreement.id) is None
        with pytest.raises(ContractRuleError, match="Alleen de partner"):
            partnerships.agree(actor=other_contact, org=other, agreement_id=agreement.id)
    with acting_for(puur.id):
        seen = partnerships.seen_agreement(puur, agreement.id)
        assert seen is not None and not seen.is_owner
        assert [c.title for c in seen.criteria] == ["Vertrouwde gezichten", "Minder administratie"]
        partnerships.agree(actor=contact, org=puur, agreement_id=agreement.id)
    with acting_for(coop.id):
        db.session.refresh(agreement)
        assert agreement.status == PartnershipStatus.ACTIVE
        follow_up = partnerships.end(
            actor=coordinator,
            owner=coop,
            agreement=agreement,
            ended_on=date(2026, 12, 31),
            reason="PuurZuid stopt in de wijk",
            successor=other,
        )
    assert follow_up.predecessor_id == agreement.id and follow_up.starts_on == date(2027, 1, 1)
    assert follow_up.status == PartnershipStatus.DRAFT and follow_up.partner_id == other.id
    assert [c.title for c in follow_up.criteria] == ["Vertrouwde gezichten", "Minder administratie"]
    with acting_for(other.id):
        seen = partnerships.seen_agreement(other, follow_up.id)
        assert seen.predecessor is None  # the old agreement is PuurZuid's business
    with acting_for(puur.id):
        seen = partnerships.seen_agreement(puur, agreement.id)
        assert seen.successor is None and seen.agreement.status == PartnershipStatus.ENDED
        assert [a.title for a in partnerships.agreements_for(puur)] == ["Samenwerking"]


# -- OCDS -------------------------------------------------------------------------------------
def test_the_ocds_package_carries_the_contracts_and_payments_made(db, alphen):
    w = alphen
    contract = coalition_contract(db, w)
    sign_everything(db, w, contract.id)
    buyer, officer = w["buyer"], w["officer"]
    with acting_for(buyer.id):
        contract.yearly_amount = D("8500000.00")
        contracting.activate(actor=officer, owner=buyer, contract=contract)
        lead = next(p for p in contract.parties if p.role == PartyRole.LEAD)
        rows = contract_payments.plan_advances(
            actor=officer,
            owner=buyer,
            contract=contract,
            party_id=lead.id,
            year=contract.start_date.year,
        )
        contract_payments.mark_paid(
            actor=officer,
            owner=buyer,
            contract=contract,
            payment_id=rows[0].id,
            paid_on=rows[0].period_start,
        )
        tender_id = contract.tender_id
    package = publication.package_for(tender_id, uri_base="https://koepel.test/ocds")
    release = package["releases"][0]
    assert release["tag"] == ["tender", "award", "contract", "implementation"]
    [published] = release["contracts"]
    assert published["awardID"] == release["awards"][0]["id"]
    assert published["status"] == "active" and published["value"]["amount"] == 8500000.0
    [transaction] = published["implementation"]["transactions"]
    assert transaction["value"]["amount"] == float(rows[0].amount)
    assert transaction["payee"]["name"] == "Kwadraad"
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert "payer" in roles["Gemeente Alphen aan den Rijn"] and "payee" in roles["Kwadraad"]
    try:
        errors = ocds.validate(package)
    except ocds.OcdsSchemasNotFound as error:
        missing(f"the OCDS schemas ({error})")
    assert errors == [], errors


def test_a_draft_contract_is_not_published(db, alphen):
    w = alphen
    contract = coalition_contract(db, w)
    package = publication.package_for(contract.tender_id, uri_base="https://koepel.test/ocds")
    assert "contracts" not in package["releases"][0]


# -- the demo cases ---------------------------------------------------------------------------
def test_the_demo_holds_the_contract_cases_and_loads_once(app, db):
    from koepel.contracts import contract_demo
    from koepel.contracts.models.core import ContractKpi, PartnershipAgreement
    from koepel.platform import demo
    from koepel.platform.models import Organisation

    demo.load()
    orgs = {o.slug: o for o in db.session.scalars(select(Organisation))}
    contract_demo.load_demo(orgs)  # (a no-op if the contracts demo already ran it)
    assert contract_demo.load_demo(orgs) == 0
    today = contracting.today_local()

    def counted(model, contract_id):
        return db.session.scalar(
            select(func.count()).select_from(model).where(model.contract_id == contract_id)
        )

    # Brunssum: five providers, 2 years + twice a 1-year option, seven indicators, values.
    with acting_for(orgs["brunssum"].id):
        brunssum = db.session.scalars(
            select(Contract).where(Contract.title.like("%dialoogmodel%"))
        ).all()
        assert len(brunssum) == 5
        for c in brunssum:
            assert c.status == ContractStatus.ACTIVE and c.initial_months == 24
            assert [o.months for o in c.options] == [12, 12]
            assert counted(ContractKpi, c.id) == 7 and counted(KpiValue, c.id) > 0
        names = {n for c in brunssum for p in c.parties for n in [p.organisation.name]}
        assert {"MeanderGroep", "Cicero Thuis", "Gemeente Brunssum"} <= names
        assert sum(c.yearly_amount for c in brunssum) == D("7200000.00")
    # Alphen: the coalition contract from the award, 8.5 million a year, every signature.
    with acting_for(orgs["alphen"].id):
        (alphen,) = db.session.scalars(select(Contract).where(Contract.tender_id.is_not(None)))
        assert alphen.yearly_amount == D("8500000.00") and alphen.value == D("34000000.00")
        roles = sorted(p.role.value for p in alphen.parties)
        assert roles == ["buyer", "lead"] + ["main"] * 3 + ["sub"] * 4
        assert next(p for p in alphen.parties if p.role == PartyRole.LEAD).organisation.name == (
            "Kwadraad"
        )
        assert counted(ContractSignature, alphen.id) == 40
        assert alphen.status == ContractStatus.ACTIVE and counted(ContractKpi, alphen.id) == 10
        view = contract_payments.payments_of(contracting.seen_contract(orgs["alphen"], alphen.id))
        assert len(view.payments) == 12 - today.month + 1
        assert {p.amount for p in view.payments} <= {D("708333.34"), D("708333.33")}
    # Stadsdorp Zuid and PuurZuid: the members' quality criteria, agreed.
    with acting_for(orgs["puurzuid"].id):
        (summary,) = partnerships.agreements_for(orgs["puurzuid"])
        seen = partnerships.seen_agreement(orgs["puurzuid"], summary.id)
    assert seen.owner.name == "Stadsdorp Zuid" and seen.agreement.status == PartnershipStatus.ACTIVE
    assert [c.title for c in seen.criteria] == [
        "Vertrouwde gezichten",
        "Minder administratie voor de cliënt",
        "Overleg op bestuursniveau bij vastgelopen zorg",
    ]
    assert (seen.agreement.professional_share, seen.agreement.volunteer_share) == (D(60), D(25))
    assert seen.responsible.name == "PuurZuid"
    # Samen en Anders: 10 hours of reciprocity a month per resident, with reported months.
    with acting_for(orgs["samen-en-anders"].id):
        (summary,) = contracting.contracts_as_party(orgs["samen-en-anders"])
        seen = contracting.seen_contract(orgs["samen-en-anders"], summary.id)
        (row,) = kpis.table(seen, today)
    assert row.kpi.name == "uren wederkerigheid per bewoner per maand"
    assert row.kpi.target == D(10) and row.kpi.period == KpiPeriod.MONTH
    assert row.reported >= 12 and row.cells[0].value.value == D("9.50")
    with acting_for(orgs["stadsdorp-zuid"].id):
        assert db.session.scalar(select(func.count()).select_from(PartnershipAgreement)) == 1
