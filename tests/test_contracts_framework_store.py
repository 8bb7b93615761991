"""Framework agreements in storage (Goeree-Overflakkee): catalogue and tariff versions,
volume agreements and ceilings, call-offs, 4-weekly reports, the adjustment rule, the
innovation supplement, the post-calculation, the CAK figures and the exports — and what a
provider may see of it."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.contracts import frameworks as ops
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.framework import (
    AgreementStatus,
    FrameworkReport,
    FrameworkReportLine,
    ProposalKind,
    ProposalStatus,
)
from koepel.platform.models import AuditEvent
from koepel.platform.tenancy import acting_for, cross_tenant

D = Decimal
YEAR = 2015  # the case's year: every period has ended, so periods can close

# Illustrative tariffs (the case does not publish them), as in test_contracts_framework.
TARIFFS = {
    "ambulatory/light": "45.00",
    "ambulatory/medium": "55.00",
    "ambulatory/heavy": "65.00",
    "group/light": "18.00",
    "group/medium": "24.00",
    "group/heavy": "32.00",
    "day_activities/light": "30.00",
    "day_activities/medium": "40.00",
    "day_activities/heavy": "55.00",
    "transport/wheelchair": "22.50",
    "transport/passenger": "9.50",
}
UNITS = {"ambulatory": "uur", "group": "uur", "day_activities": "dagdeel", "transport": "rit"}


@pytest.fixture
def buyer(db, make_org):
    return make_org("municipality", slug="fs-goeree", name="Gemeente Goeree-Overflakkee")


@pytest.fixture
def officer(buyer, make_user):
    return make_user(buyer, "procurement_officer")


@pytest.fixture
def laurens(make_org):
    return make_org("provider", slug="fs-laurens", name="Laurens")


@pytest.fixture
def curamare(make_org):
    return make_org("provider", slug="fs-curamare", name="Curamare")


def catalogue(officer, agreement, codes=TARIFFS):
    for code in codes:
        ops.set_product(
            actor=officer,
            agreement=agreement,
            code=code,
            unit=UNITS[code.split("/")[0]],
            tariff=D(TARIFFS[code]),
        )


def make_agreement(buyer, officer, parties, *, activate=True, year=YEAR, **rule):
    """``parties``: (organisation, contracted clients, {code: volume})."""
    with acting_for(buyer.id):
        agreement = ops.create(
            actor=officer, buyer=buyer, title="Raamovereenkomst Wmo", year=year, **rule
        )
        catalogue(officer, agreement)
        products = {ops.fr.code(p.product_group, p.level): p for p in _products(agreement)}
        for org, clients, volumes in parties:
            party = ops.add_party(actor=officer, agreement=agreement, organisation=org, clients=1)
            ops.set_volumes(
                actor=officer,
                agreement=agreement,
                party=party,
                clients=clients,
                volumes={products[c].id: (D(v), None) for c, v in volumes.items()},
            )
        if activate:
            ops.activate(actor=officer, agreement=agreement)
    return agreement


def _products(agreement):
    return ops.buyer_state(agreement).products


def state_of(buyer, agreement):
    """The buyer's view, read afresh (pages change rows in their own sessions)."""
    from koepel.platform.extensions import db

    db.session.expire_all()
    with acting_for(buyer.id):
        return ops.buyer_state(ops.get_agreement(agreement.id))


def party_of(state, org):
    return next(p for p in state.parties if p.organisation_id == org.id)


def product_of(state, code):
    return next(p for p in state.products if state.code(p.id) == code)


def call_off(buyer, officer, agreement, org, client, quantity, code, start, end, **kwargs):
    with acting_for(buyer.id):
        state = ops.buyer_state(ops.get_agreement(agreement.id))
        return ops.place_call_off(
            actor=officer,
            state=state,
            party=party_of(state, org),
            product=product_of(state, code),
            client=client,
            quantity=D(quantity),
            start=start,
            end=end,
            **kwargs,
        )


def report(provider, user, agreement, period, quantities):
    with acting_for(provider.id):
        state = ops.party_state(provider, agreement.id)
        return ops.submit_report(
            actor=user,
            provider=provider,
            state=state,
            period=period,
            quantities={c.id: D(q) for c, q in quantities.items()},
        )


def close(buyer, officer, agreement, times=1):
    made = []
    with acting_for(buyer.id):
        for _ in range(times):
            made = ops.close_period(actor=officer, agreement=ops.get_agreement(agreement.id))
    return made


def events(action):
    with cross_tenant("test reads the audit log"):
        from koepel.platform.extensions import db

        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


JAN, DEC = date(2015, 1, 1), date(2015, 12, 31)


# -- catalogue and tariffs -----------------------------------------------------------------------
def test_a_negative_tariff_is_refused_in_plain_words(buyer, officer):
    with acting_for(buyer.id):
        agreement = ops.create(actor=officer, buyer=buyer, title="Raamovereenkomst", year=YEAR)
        with pytest.raises(ContractRuleError) as refused:
            ops.set_product(
                actor=officer,
                agreement=agreement,
                code="group/light",
                unit="uur",
                tariff=D("-18.00"),
            )
    assert str(refused.value) == "Het tarief van Groepsbegeleiding, licht kan niet negatief zijn."
    assert refused.value.field == "tariff"


def test_tariffs_change_freely_in_a_draft_and_as_versions_once_active(
    buyer, officer, laurens, make_user
):
    agreement = make_agreement(buyer, officer, [(laurens, 10, {"ambulatory/light": 1000})])
    call_off(buyer, officer, agreement, laurens, "GO-0001", "40", "ambulatory/light", JAN, DEC)
    state = state_of(buyer, agreement)
    light = product_of(state, "ambulatory/light")
    assert (light.version, [t.version for t in state.history(light.id)]) == (1, [1])
    assert state.ceiling(party_of(state, laurens).id).ceiling == D("45000.00")

    with acting_for(buyer.id):
        agreement_row = ops.get_agreement(agreement.id)
        with pytest.raises(ContractRuleError, match="Schrijf waarom het tarief verandert"):
            ops.set_product(
                actor=officer,
                agreement=agreement_row,
                code="ambulatory/light",
                unit="uur",
                tariff=D("46.35"),
            )
        with pytest.raises(ContractRuleError, match="eenheid verandert niet meer"):
            ops.set_product(
                actor=officer,
                agreement=agreement_row,
                code="ambulatory/light",
                unit="dagdeel",
                tariff=D("46.35"),
                reason="indexatie",
            )
        ops.set_product(
            actor=officer,
            agreement=agreement_row,
            code="ambulatory/light",
            unit="uur",
            tariff=D("46.35"),
            reason="indexatie 3%",
        )
    call_off(buyer, officer, agreement, laurens, "GO-0002", "10", "ambulatory/light", JAN, DEC)

    state = state_of(buyer, agreement)
    light = product_of(state, "ambulatory/light")
    assert light.version == 2
    assert [(t.version, t.tariff, t.reason) for t in state.history(light.id)] == [
        (1, D("45.00"), "tarief bij de start"),
        (2, D("46.35"), "indexatie 3%"),
    ]
    first, second = state.call_offs
    # Each call-off keeps the tariff agreed when it was placed; the ceiling follows the new.
    assert [state.price(c) for c in (first, second)] == [D("1800.00"), D("463.50")]
    assert (first.tariff, second.tariff) == (D("45.00"), D("46.35"))
    assert state.ceiling(party_of(state, laurens).id).ceiling == D("46350.00")
    changed = events("framework.product_set")[-1]
    assert changed.summary["before"] == {"tariff": "45.00", "version": 1}
    assert changed.summary["after"]["reason"] == "indexatie 3%"


def test_activation_needs_a_complete_catalogue_parties_and_volumes(buyer, officer, laurens):
    with acting_for(buyer.id):
        agreement = ops.create(actor=officer, buyer=buyer, title="Raamovereenkomst", year=YEAR)
        with pytest.raises(ContractRuleError, match="Zet eerst de producten"):
            ops.activate(actor=officer, agreement=agreement)
        catalogue(officer, agreement, [c for c in TARIFFS if c != "group/heavy"])
        with pytest.raises(
            ContractRuleError, match="Het tarief van Groepsbegeleiding, zwaar ontbreekt"
        ):
            ops.activate(actor=officer, agreement=agreement)
        catalogue(officer, agreement, ["group/heavy"])
        with pytest.raises(ContractRuleError, match="minstens één partij"):
            ops.activate(actor=officer, agreement=agreement)
        ops.add_party(actor=officer, agreement=agreement, organisation=laurens, clients=5)
        with pytest.raises(ContractRuleError, match="volumeafspraak met Laurens"):
            ops.activate(actor=officer, agreement=agreement)
        with pytest.raises(ContractRuleError, match="Afroepen kan pas|loopt"):
            ops.close_period(actor=officer, agreement=agreement)
    assert agreement.status == AgreementStatus.DRAFT


# -- call-offs and the ceiling ---------------------------------------------------------------------
def test_a_call_off_above_the_ceiling_is_refused_with_the_room_left(buyer, officer, laurens):
    # 100 hours × € 55 = € 5.500 ceiling.
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    call_off(buyer, officer, agreement, laurens, "GO-0001", "80", "ambulatory/medium", JAN, DEC)
    with pytest.raises(ContractRuleError) as refused:
        call_off(buyer, officer, agreement, laurens, "GO-0002", "30", "ambulatory/medium", JAN, DEC)
    assert str(refused.value) == (
        "Deze afroep (€\xa01.650,00) past niet binnen het budgetplafond van Laurens "
        "(€\xa05.500,00): er is al €\xa04.400,00 afgeroepen, dus er is nog €\xa01.100,00 over."
    )
    assert refused.value.field == "quantity"
    assert len(state_of(buyer, agreement).call_offs) == 1  # nothing stored

    allowed = call_off(
        buyer,
        officer,
        agreement,
        laurens,
        "go-0002",
        "30",
        "ambulatory/medium",
        JAN,
        DEC,
        allow_over_ceiling=True,
    )
    assert (allowed.client, allowed.over_ceiling) == ("GO-0002", True)
    placed = events("framework.call_off_placed")[-1]
    assert placed.summary["after"]["over_ceiling"] is True
    assert placed.summary["after"]["price"] == "1650.00"


@pytest.mark.parametrize("client", ["Jan Jansen", "jansen", "GO 0001", "", "=1+2"])
def test_a_client_is_a_pseudonym_never_a_name(buyer, officer, laurens, client):
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    with pytest.raises(ContractRuleError, match="nooit een naam") as refused:
        call_off(buyer, officer, agreement, laurens, client, "1", "ambulatory/medium", JAN, DEC)
    assert refused.value.field == "client"


def test_call_offs_stay_inside_the_year_and_after_closed_periods(buyer, officer, laurens):
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    with pytest.raises(ContractRuleError, match="binnen de perioden van 2015") as refused:
        call_off(
            buyer,
            officer,
            agreement,
            laurens,
            "GO-1",
            "1",
            "ambulatory/medium",
            JAN,
            date(2016, 2, 1),
        )
    assert refused.value.field == "end"
    close(buyer, officer, agreement)
    with pytest.raises(ContractRuleError, match="tot en met 1 zijn afgesloten"):
        call_off(
            buyer,
            officer,
            agreement,
            laurens,
            "GO-1",
            "1",
            "ambulatory/medium",
            JAN,
            date(2015, 1, 20),
        )


# -- reports -------------------------------------------------------------------------------------
def test_reports_are_checked_and_a_closed_period_is_refused(buyer, officer, laurens, make_user):
    contact = make_user(laurens, "contact")
    agreement = make_agreement(buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})])
    order = call_off(
        buyer, officer, agreement, laurens, "GO-1", "20", "ambulatory/medium", JAN, DEC
    )
    report(laurens, contact, agreement, 1, {order: "6"})
    with pytest.raises(ContractRuleError, match="al een aantal gemeld") as twice:
        report(laurens, contact, agreement, 1, {order: "1"})
    assert twice.value.field == f"line-{order.id}"
    with pytest.raises(ContractRuleError, match="meer dan er is afgeroepen") as more:
        report(laurens, contact, agreement, 2, {order: "14.5"})
    assert more.value.field == f"line-{order.id}"

    close(buyer, officer, agreement, times=2)
    with pytest.raises(ContractRuleError) as closed:
        report(laurens, contact, agreement, 2, {order: "4"})
    assert str(closed.value) == "Periode 2 is afgesloten. Meld een correctie bij de opdrachtgever."
    assert closed.value.field == "period"

    report(laurens, contact, agreement, 3, {order: "4"})
    with acting_for(laurens.id):
        from koepel.platform.extensions import db

        reports = db.session.scalars(select(FrameworkReport).order_by(FrameworkReport.period)).all()
        lines = db.session.scalars(select(FrameworkReportLine)).all()
    assert [(r.tenant_id, r.period) for r in reports] == [(laurens.id, 1), (laurens.id, 3)]
    assert sorted(line.quantity for line in lines) == [D("4"), D("6")]
    assert events("framework.report_submitted")[-1].tenant_id == laurens.id


def test_a_provider_sees_only_its_own_share(buyer, officer, laurens, curamare, make_org):
    agreement = make_agreement(
        buyer,
        officer,
        [(laurens, 2, {"ambulatory/medium": 100}), (curamare, 2, {"group/light": 100})],
    )
    mine = call_off(buyer, officer, agreement, laurens, "GO-1", "20", "ambulatory/medium", JAN, DEC)
    theirs = call_off(buyer, officer, agreement, curamare, "GO-2", "20", "group/light", JAN, DEC)
    report(curamare, None, agreement, 1, {theirs: "5"})
    report(laurens, None, agreement, 1, {mine: "3"})

    with acting_for(laurens.id):
        seen = ops.party_state(laurens, agreement.id)
        assert [c.id for c in seen.call_offs] == [mine.id]
        assert [(r.call_off_id, r.quantity) for r in seen.lines] == [(mine.id, D("3"))]
        assert [p.organisation_id for p in seen.parties] == [laurens.id]
        assert {v.party_id for v in seen.volumes} == {seen.own_party.id}
        assert set(seen.figures(1)) == {seen.own_party.id}
        assert len(seen.products) == 11  # the whole catalogue is shared
        assert seen.buyer_name == "Gemeente Goeree-Overflakkee"
        assert [m.agreement_id for m in ops.memberships(laurens)] == [agreement.id]

    outsider = make_org("provider", slug="fs-outsider")
    with acting_for(outsider.id):
        assert ops.party_state(outsider, agreement.id) is None
        assert ops.memberships(outsider) == []
    # The buyer sees both providers' reports, side by side.
    buyer_view = state_of(buyer, agreement)
    figures = buyer_view.figures(1)
    assert {buyer_view.name(buyer_view.party_by_id[i]): f.used for i, f in figures.items()} == {
        "Laurens": D("165.00"),
        "Curamare": D("90.00"),
    }


def test_a_draft_is_not_shown_to_its_parties(buyer, officer, laurens):
    agreement = make_agreement(
        buyer, officer, [(laurens, 2, {"ambulatory/medium": 100})], activate=False
    )
    with acting_for(laurens.id):
        assert ops.party_state(laurens, agreement.id) is None
        assert ops.memberships(laurens) == []


def test_a_report_line_of_another_party_never_counts_for_the_buyer(
    buyer, officer, laurens, curamare
):
    agreement = make_agreement(
        buyer,
        officer,
        [(laurens, 2, {"ambulatory/medium": 100}), (curamare, 2, {"group/light": 100})],
    )
    theirs = call_off(buyer, officer, agreement, curamare, "GO-2", "20", "group/light", JAN, DEC)
    # A line written straight into the table by Laurens on Curamare's call-off.
    from koepel.platform.extensions import db

    with acting_for(laurens.id):
        header = FrameworkReport(tenant_id=laurens.id, agreement_id=agreement.id, period=1)
        db.session.add(header)
        db.session.flush()
        db.session.add(
            FrameworkReportLine(
                tenant_id=laurens.id,
                report_id=header.id,
                call_off_id=theirs.id,
                period=1,
                quantity=D("20"),
            )
        )
        db.session.flush()
    assert state_of(buyer, agreement).lines == []


# -- the adjustment rule ---------------------------------------------------------------------------
def _clients(buyer, officer, agreement, org, count, start=JAN, prefix="GO"):
    return [
        call_off(
            buyer,
            officer,
            agreement,
            org,
            f"{prefix}-{n:04d}",
            "10",
            "ambulatory/medium",
            start,
            DEC,
        )
        for n in range(count)
    ]


def test_six_percent_more_clients_proposes_an_increase_and_accepting_raises_the_ceiling(
    buyer, officer, laurens
):
    # 50 clients contracted, 1.000 hours × € 55 = € 55.000 ceiling: € 1.100 per client.
    agreement = make_agreement(buyer, officer, [(laurens, 50, {"ambulatory/medium": 1000})])
    _clients(buyer, officer, agreement, laurens, 53)  # 6 % more than contracted
    made = close(buyer, officer, agreement)
    assert len(made) == 1
    proposal = made[0]
    assert (proposal.kind, proposal.contracted_clients, proposal.actual_clients) == (
        ProposalKind.INCREASE,
        50,
        53,
    )
    assert (proposal.ceiling, proposal.amount) == (D("55000.00"), D("3300.00"))

    state = state_of(buyer, agreement)
    assert ops.proposal_text(state, state.proposals[0]) == (
        "Laurens had in periode 1 53 cliënten, 6% meer dan de 50 afgesproken. Voorstel: het "
        "budget €\xa03.300,00 verhogen."
    )
    with acting_for(buyer.id):
        ops.decide(actor=officer, state=state, proposal=state.proposals[0], accept=True)
    state = state_of(buyer, agreement)
    party = party_of(state, laurens)
    assert state.proposals[0].status == ProposalStatus.ACCEPTED
    assert state.ceiling(party.id).ceiling == D("58300.00")
    assert state.volume_agreement(party.id).clients == 53
    accepted = events("framework.proposal_accepted")[-1]
    assert accepted.actor_user_id == officer.id
    assert accepted.summary["before"] == {"ceiling": "55000.00", "clients": 50}
    assert accepted.summary["after"]["ceiling"] == "58300.00"
    assert accepted.summary["after"]["clients"] == 53
    # Period 1 figures keep the ceiling of the time; period 2 has the raised one.
    assert state.figures(1)[party.id].ceiling == D("55000.00")
    assert state.figures(2)[party.id].ceiling == D("58300.00")
    # The next period starts from 53 contracted clients: no new proposal.
    assert close(buyer, officer, agreement) == []
    with acting_for(buyer.id), pytest.raises(ContractRuleError, match="al besloten"):
        ops.decide(actor=officer, state=state, proposal=state.proposals[0], accept=False)


def test_fewer_clients_proposes_a_decrease_the_buyer_may_reject(buyer, officer, laurens):
    agreement = make_agreement(
        buyer, officer, [(laurens, 20, {"ambulatory/medium": 1000})], decrease_below=D(10)
    )
    _clients(buyer, officer, agreement, laurens, 17)  # 15 % fewer
    [proposal] = close(buyer, officer, agreement)
    assert (proposal.kind, proposal.amount) == (ProposalKind.DECREASE, D("-8250.00"))
    state = state_of(buyer, agreement)
    with acting_for(buyer.id):
        ops.decide(
            actor=officer,
            state=state,
            proposal=state.proposals[0],
            accept=False,
            reason="Wachtlijst loopt op",
        )
    state = state_of(buyer, agreement)
    assert state.ceiling(party_of(state, laurens).id).ceiling == D("55000.00")
    rejected = events("framework.proposal_rejected")[-1]
    assert rejected.summary["after"]["reason"] == "Wachtlijst loopt op"


def test_thresholds_are_set_per_agreement_and_an_outdated_proposal_is_refused(
    buyer, officer, laurens
):
    agreement = make_agreement(
        buyer, officer, [(laurens, 50, {"ambulatory/medium": 1000})], increase_above=D(10)
    )
    _clients(buyer, officer, agreement, laurens, 53)
    assert close(buyer, officer, agreement) == []  # 6 % is within 10 %
    with acting_for(buyer.id):
        ops.change_thresholds(
            actor=officer,
            agreement=ops.get_agreement(agreement.id),
            increase_above=D(5),
            decrease_below=D(10),
        )
    [proposal] = close(buyer, officer, agreement)
    assert proposal.kind == ProposalKind.INCREASE
    with acting_for(buyer.id):
        ops.set_product(
            actor=officer,
            agreement=ops.get_agreement(agreement.id),
            code="ambulatory/medium",
            unit="uur",
            tariff=D("60.00"),
            reason="indexatie",
        )
        state = ops.buyer_state(ops.get_agreement(agreement.id))
        with pytest.raises(ContractRuleError, match="past niet meer"):
            ops.decide(actor=officer, state=state, proposal=state.proposals[0], accept=True)
    with acting_for(buyer.id), pytest.raises(ContractRuleError, match="moet tussen 0% en 100%"):
        ops.change_thresholds(
            actor=officer,
            agreement=ops.get_agreement(agreement.id),
            increase_above=D(150),
            decrease_below=D(10),
        )


def test_a_new_period_supersedes_an_open_proposal(buyer, officer, laurens):
    agreement = make_agreement(buyer, officer, [(laurens, 10, {"ambulatory/medium": 1000})])
    _clients(buyer, officer, agreement, laurens, 12)
    close(buyer, officer, agreement, times=2)
    state = state_of(buyer, agreement)
    assert [(p.period, p.status) for p in state.proposals] == [
        (1, ProposalStatus.SUPERSEDED),
        (2, ProposalStatus.OPEN),
    ]


def test_a_running_period_cannot_close(buyer, officer, laurens):
    this_year = ops.today().year
    agreement = make_agreement(
        buyer, officer, [(laurens, 10, {"ambulatory/medium": 1000})], year=this_year + 1
    )
    with acting_for(buyer.id), pytest.raises(ContractRuleError, match="loopt nog tot en met"):
        ops.close_period(actor=officer, agreement=ops.get_agreement(agreement.id))


# -- supplement, post-calculation ------------------------------------------------------------------
def test_innovation_supplement_and_post_calculation(buyer, officer, laurens, make_user):
    contact = make_user(laurens, "contact")
    agreement = make_agreement(
        buyer, officer, [(laurens, 2, {"ambulatory/light": 100, "group/light": 100})]
    )
    a = call_off(buyer, officer, agreement, laurens, "GO-1", "52", "ambulatory/light", JAN, DEC)
    b = call_off(buyer, officer, agreement, laurens, "GO-2", "26", "group/light", JAN, DEC)
    for period in range(1, 14):
        report(laurens, contact, agreement, period, {a: "4", b: "2"})
    state = state_of(buyer, agreement)
    party = party_of(state, laurens)
    with acting_for(buyer.id):
        with pytest.raises(ContractRuleError, match="even goed"):
            ops.record_supplement(
                actor=officer,
                state=state,
                party=party,
                individual=product_of(state, "ambulatory/light"),
                group=product_of(state, "group/light"),
                units=D(20),
                equal_quality=False,
            )
        supplement = ops.record_supplement(
            actor=officer,
            state=state,
            party=party,
            individual=product_of(state, "ambulatory/light"),
            group=product_of(state, "group/light"),
            units=D(20),
            equal_quality=True,
        )
        assert supplement.amount == D("540.00")  # 20 × (45 - 18)
        quality = ops.add_indicator(
            actor=officer,
            agreement=state.agreement,
            name="Cliënttevredenheid",
            bonus=D(2),
            malus=D(1),
        )
        waiting = ops.add_indicator(
            actor=officer, agreement=state.agreement, name="Wachttijd", bonus=D(0), malus=D(1)
        )
        with pytest.raises(ContractRuleError, match="alle 13 perioden"):
            ops.post_calculate(
                actor=officer,
                state=ops.buyer_state(state.agreement),
                party=party,
                results={},
                advances=D(0),
            )
    close(buyer, officer, agreement, times=13)
    with acting_for(buyer.id):
        state = ops.buyer_state(ops.get_agreement(agreement.id))
        row = ops.post_calculate(
            actor=officer,
            state=state,
            party=party_of(state, laurens),
            results={quality.id: True, waiting.id: False},
            advances=D("2500.00"),
        )
    # Delivered: 52 h × 45 + 26 h × 18 = 2.340 + 468 = 2.808; quality +2 −1 = +1 % = 28,08.
    assert (row.actual_clients, row.delivered, row.funded) == (2, D("2808.00"), D("2808.00"))
    assert (row.quality_percent, row.quality, row.supplements) == (D(1), D("28.08"), D("540.00"))
    assert (row.final, row.advances, row.balance) == (D("3376.08"), D("2500.00"), D("876.08"))
    assert row.results == {"Cliënttevredenheid": True, "Wachttijd": False}
    assert events("framework.post_calculated")[-1].summary["after"]["balance"] == "876.08"


# -- CAK figures ---------------------------------------------------------------------------------
def test_the_cak_figures_are_what_the_call_offs_and_reports_say(buyer, officer, laurens, curamare):
    agreement = make_agreement(
        buyer,
        officer,
        [
            (laurens, 2, {"ambulatory/light": 100, "transport/wheelchair": 100}),
            (curamare, 2, {"day_activities/medium": 100}),
        ],
    )
    a = call_off(buyer, officer, agreement, laurens, "GO-1", "20", "ambulatory/light", JAN, DEC)
    rides = call_off(
        buyer, officer, agreement, laurens, "GO-1", "10", "transport/wheelchair", JAN, DEC
    )
    c = call_off(
        buyer, officer, agreement, curamare, "GO-1", "20", "day_activities/medium", JAN, DEC
    )
    d = call_off(buyer, officer, agreement, laurens, "GO-2", "20", "ambulatory/light", JAN, DEC)
    report(laurens, None, agreement, 1, {a: "2.5", rides: "2", d: "1"})
    report(curamare, None, agreement, 1, {c: "3"})
    report(laurens, None, agreement, 2, {a: "4"})

    state = state_of(buyer, agreement)
    from koepel.contracts.own_contribution import per_client_period

    totals = {(t.client, t.period): (t.hours, t.cost) for t in per_client_period(state.cak_lines())}
    # Keyed once, by the provider; the tariffs come from the call-offs.
    assert totals == {
        ("GO-1", 1): (D("2.5"), D("112.50") + D("45.00") + D("120.00")),
        ("GO-1", 2): (D("4"), D("180.00")),
        ("GO-2", 1): (D("1"), D("45.00")),
    }
    # Every reported unit appears once, at its call-off's tariff.
    lines = state.cak_lines()
    assert sum(line.cost for line in lines) == sum(
        (r.quantity * state.call_off_by_id[r.call_off_id].tariff for r in state.lines), D(0)
    )


# -- exports ---------------------------------------------------------------------------------------
def test_the_workbooks_hold_the_figures_and_never_a_formula(buyer, officer, make_org):
    evil = make_org("provider", slug="fs-evil", name='=HYPERLINK("http://x.test","klik")')
    agreement = make_agreement(buyer, officer, [(evil, 2, {"ambulatory/medium": 100})])
    order = call_off(buyer, officer, agreement, evil, "GO-7", "20", "ambulatory/medium", JAN, DEC)
    report(evil, None, agreement, 1, {order: "3"})
    from openpyxl import load_workbook

    with acting_for(buyer.id):
        state = ops.buyer_state(ops.get_agreement(agreement.id))
        periods = load_workbook(io.BytesIO(ops.render_xlsx(state, "periods")))
        cak_book = load_workbook(io.BytesIO(ops.render_xlsx(state, "cak")))
    sheet = periods["Perioden"]
    header = [c.value for c in sheet[1]]
    row = [c for c in sheet[2]]
    name = row[header.index("Aanbieder")]
    assert name.value.startswith("=HYPERLINK") and name.data_type == "s" and name.quotePrefix
    assert row[header.index("Besteed in de periode")].value == D("165.00")
    assert row[header.index("Cliënten")].value == 1
    detail = cak_book["Regels"]
    line = [c for c in detail[2]]
    assert line[2].data_type == "s" and line[2].quotePrefix
    assert [c.value for c in cak_book["Per cliënt"][2]][:2] == ["GO-7", 1]


# -- demo --------------------------------------------------------------------------------------
def test_the_demo_has_goeree_overflakkee_with_14_providers_and_a_proposal(db, make_org):
    from koepel.platform.auth import operations as accounts
    from koepel.platform.demo import DEMO_PASSWORD, demo_email

    buyer = make_org("municipality", slug="goeree-overflakkee", name="Gemeente Goeree-Overflakkee")
    officer = accounts.create_user(
        actor=None,
        email=demo_email("inkoper.goeree-overflakkee"),
        display_name="Lies Breen",
        password=DEMO_PASSWORD,
    )
    accounts.grant_role(actor=None, user=officer, org=buyer, role="procurement_officer")
    orgs = {"goeree-overflakkee": buyer}
    assert ops.load_demo(orgs) > 250
    assert ops.load_demo(orgs) == 0  # idempotent

    with acting_for(buyer.id):
        [agreement] = ops.agreements(buyer)
        state = ops.buyer_state(agreement)
    assert (agreement.status, agreement.closed_through) == (AgreementStatus.ACTIVE, 3)
    assert len(state.parties) == 14 and len(state.products) == 11
    figures = state.figures(3)
    by_name = {state.name(p): figures[p.id] for p in state.parties}
    assert all(f.used_in_period > 0 for f in by_name.values())
    assert (by_name["Curamare"].clients, by_name["Curamare"].contracted_clients) == (27, 25)
    assert (by_name["Laurens"].clients, by_name["Laurens"].contracted_clients) == (40, 40)
    [proposal] = [p for p in state.proposals if p.status == ProposalStatus.OPEN]
    assert state.name(state.party_by_id[proposal.party_id]) == "Curamare"
    # 1.430 h × € 55 = € 78.650 for 25 clients: € 3.146 per client, two more.
    assert (proposal.kind, proposal.amount) == (ProposalKind.INCREASE, D("6292.00"))
    assert [s.amount for s in state.supplements] == [D("5400.00")]  # 200 h × (45 − 18)
    with acting_for(orgs["laurens"].id):
        seen = ops.party_state(orgs["laurens"], agreement.id)
    assert len(seen.call_offs) == 50  # 40 clients, 10 of them also ride
    assert {r.period for r in seen.lines} == {1, 2, 3}
