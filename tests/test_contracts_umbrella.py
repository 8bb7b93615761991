"""Umbrella contracting on behalf of members, without HTTP: only current members take part;
the allocation to members runs through the allocation versions (agreed by the members,
approved by the umbrella); members report their own figures per period (closed, future and
negative refused); the umbrella's roll-up is the sum of the members' reports; the combined
report job runs once per key and makes a PDF; another umbrella sees nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koepel.contracts import contracting
from koepel.contracts import umbrella_contracting as uc
from koepel.contracts.models.budgets import VersionStatus
from koepel.contracts.models.core import ContractKind, PartyRole
from koepel.contracts.models.umbrella import CombinedStatus, MemberReport, ReportPeriod
from koepel.platform.models import Affiliation, AffiliationKind, JobRun, OrgKind
from koepel.platform.tenancy import acting_for, cross_tenant

D = Decimal
START = date(2026, 1, 1)
TARIFF = D("58.40")


def join(db, umbrella, coop, start=date(2020, 1, 1), end=None):
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=coop.id,
            start_date=start,
            end_date=end,
        )
    )
    db.session.flush()


def contract_data(start=START, title="Verzorging en verpleging 2026"):
    volume_total = D(1800 + 1500 + 2400)
    return contracting.ContractData(
        title=title,
        kind=ContractKind.INSURER,
        start_date=start,
        initial_months=12,
        value=volume_total * TARIFF,
        yearly_amount=volume_total * TARIFF,
    )


class Scenario:
    """An umbrella with three member cooperatives and an insurer."""

    def __init__(self, db, make_org, members: int = 3) -> None:
        self.umbrella = make_org(OrgKind.UMBRELLA, name="Koepel Zuid")
        self.insurer = make_org(OrgKind.INSURER, name="Verzekeraar")
        self.members = [make_org(OrgKind.COOPERATIVE, name=f"Coop {i}") for i in range(members)]
        for coop in self.members:
            join(db, self.umbrella, coop)

    def view(self, org, contract_id=None):
        with acting_for(org.id):
            return uc.umbrella_view(org, contract_id or self.contract_id)

    def enter(self, start=START, today=date(2026, 1, 5)):
        with acting_for(self.umbrella.id):
            arrangement = uc.enter_contract(
                actor=None,
                umbrella=self.umbrella,
                data=contract_data(start),
                funder=self.insurer,
                members=self.members,
                today=today,
            )
        self.contract_id = arrangement.contract_id
        return arrangement

    def volumes(self):
        figures = [D(1800), D(1500), D(2400)] + [D(1000)] * (len(self.members) - 3)
        return {m.id: v for m, v in zip(self.members, figures, strict=False)}

    def allocate(self):
        with acting_for(self.umbrella.id):
            version = uc.allocate_to_members(
                actor=None, view=self.view(self.umbrella), tariff=TARIFF, volumes=self.volumes()
            )
        self.version_id = version.id
        return version

    def approve(self):
        for member in self.members:
            with acting_for(member.id):
                uc.member_agrees(actor=None, view=self.view(member), version_id=self.version_id)
        with acting_for(self.umbrella.id):
            return uc.umbrella_approves(
                actor=None, view=self.view(self.umbrella), version_id=self.version_id
            )

    def report(self, member, period, volume, hours, today=date(2026, 4, 10)):
        with acting_for(member.id):
            return uc.report(
                actor=None,
                view=self.view(member),
                period=period,
                volume=D(volume),
                hours=D(hours),
                today=today,
            )

    def ready(self):
        self.enter()
        self.allocate()
        self.approve()
        return self


MARCH = uc.period_of(date(2026, 3, 1), ReportPeriod.MONTH)
FEBRUARY = uc.period_of(date(2026, 2, 1), ReportPeriod.MONTH)


@pytest.fixture
def scenario(db, make_org):
    return Scenario(db, make_org)


def test_only_current_members_can_take_part(db, make_org, scenario):
    outsider = make_org(OrgKind.COOPERATIVE, name="Buiten")
    former = make_org(OrgKind.COOPERATIVE, name="Oud-lid")
    join(db, scenario.umbrella, former, date(2018, 1, 1), date(2025, 1, 1))
    for org in (outsider, former):
        with acting_for(scenario.umbrella.id), pytest.raises(uc.UmbrellaError) as refused:
            uc.enter_contract(
                actor=None,
                umbrella=scenario.umbrella,
                data=contract_data(),
                funder=scenario.insurer,
                members=[scenario.members[0], org],
                today=date(2026, 1, 5),
            )
        assert refused.value.field == "members"
        assert org.name in str(refused.value) and "huidige leden" in str(refused.value)
    arrangement = scenario.enter()
    view = scenario.view(scenario.umbrella)
    assert view.contract.id == arrangement.contract_id
    assert [p.organisation_id for p in view.members] == [m.id for m in scenario.members]
    assert view.funder.id == scenario.insurer.id
    roles = {p.organisation_id: p.role for p in view.seen.parties}
    assert roles[scenario.umbrella.id] == PartyRole.LEAD


def test_a_cooperative_or_no_funder_cannot_enter_an_umbrella_contract(db, make_org, scenario):
    with acting_for(scenario.members[0].id), pytest.raises(uc.UmbrellaError):
        uc.enter_contract(
            actor=None,
            umbrella=scenario.members[0],
            data=contract_data(),
            funder=scenario.insurer,
            members=[scenario.members[1]],
        )
    with acting_for(scenario.umbrella.id), pytest.raises(uc.UmbrellaError) as refused:
        uc.enter_contract(
            actor=None,
            umbrella=scenario.umbrella,
            data=contract_data(),
            funder=scenario.members[1],
            members=[scenario.members[0]],
            today=date(2026, 1, 5),
        )
    assert refused.value.field == "funder"


def test_allocation_to_members_is_agreed_by_members_and_approved_by_the_umbrella(scenario):
    scenario.enter()
    version = scenario.allocate()
    assert version.status == VersionStatus.PROPOSED
    amounts = {s.partner_id: s.amount for s in version.shares}
    assert amounts == {m: v * TARIFF for m, v in scenario.volumes().items()}
    assert sum(amounts.values()) == D("332880.00")
    with acting_for(scenario.umbrella.id), pytest.raises(uc.ContractRuleError) as early:
        uc.umbrella_approves(
            actor=None, view=scenario.view(scenario.umbrella), version_id=version.id
        )
    assert "Wacht op" in str(early.value)
    approved = scenario.approve()
    assert approved.status == VersionStatus.APPROVED


def test_a_member_sees_its_own_share_not_another_members(scenario):
    scenario.ready()
    first, second = scenario.members[:2]
    with acting_for(first.id):
        allocation = uc.current_allocation(scenario.view(first))
    assert [s.partner_id for s in allocation.shares] == [first.id]
    assert allocation.total == D("332880.00")  # the totals, not the others' lines
    with acting_for(scenario.umbrella.id):
        everyone = uc.current_allocation(scenario.view(scenario.umbrella))
    assert {s.partner_id for s in everyone.shares} == {m.id for m in scenario.members}


def test_member_reports_are_refused_for_closed_future_or_negative(scenario):
    scenario.enter()
    scenario.allocate()
    member = scenario.members[0]
    with pytest.raises(uc.UmbrellaError) as not_approved:
        scenario.report(member, MARCH, "10", "12")
    assert "goedgekeurd" in str(not_approved.value)
    scenario.approve()
    cases = [
        (uc.period_of(date(2026, 4, 1), ReportPeriod.MONTH), "10", "nog niet voorbij"),
        (uc.period_of(date(2025, 12, 1), ReportPeriod.MONTH), "10", "buiten het contract"),
        (MARCH, "-1", "negatief"),
    ]
    for period, volume, message in cases:
        with pytest.raises(uc.UmbrellaError) as refused:
            scenario.report(member, period, volume, "5")
        assert message in str(refused.value)
    with pytest.raises(uc.UmbrellaError) as late:
        scenario.report(member, MARCH, "10", "5", today=date(2026, 7, 1))
    assert "gesloten" in str(late.value)
    with pytest.raises(uc.UmbrellaError) as wrong:
        uc.parse_period("maart", ReportPeriod.MONTH)
    assert wrong.value.field == "period"
    assert uc.parse_period("2026-K2", ReportPeriod.QUARTER).end == date(2026, 6, 30)


def test_a_report_again_replaces_it_and_the_rows_are_the_members_own(db, scenario):
    scenario.ready()
    first, second = scenario.members[:2]
    scenario.report(first, MARCH, "100", "120")
    row = scenario.report(first, MARCH, "110.50", "130")
    scenario.report(second, MARCH, "80", "90")
    assert row.tenant_id == first.id and row.volume == D("110.50")
    with acting_for(first.id):
        own = uc.own_reports(scenario.view(first))
        assert [(r.tenant_id, r.volume) for r in own] == [(first.id, D("110.50"))]
        assert db.session.scalar(select(func.count()).select_from(MemberReport)) == 1
    with acting_for(first.id), pytest.raises(uc.UmbrellaError):
        uc.member_reports(scenario.view(first))  # only the umbrella reads every member's


def test_rollup_is_the_sum_of_member_reports(scenario):
    scenario.ready()
    figures = {0: ("100", "120"), 1: ("80.25", "90"), 2: ("150", "170.5")}
    for i, (volume, hours) in figures.items():
        scenario.report(scenario.members[i], MARCH, volume, hours)
    scenario.report(scenario.members[0], FEBRUARY, "90", "95")
    with acting_for(scenario.umbrella.id):
        data = uc.rollup(scenario.view(scenario.umbrella))
    assert [p.period for p in data.periods] == [FEBRUARY, MARCH]
    march = data.periods[1]
    assert march.total.volume == D("330.25") and march.total.hours == D("380.5")
    assert march.total.used == (D("330.25") * TARIFF).quantize(D("0.01"))
    assert [line.volume for line in march.members] == [D("100"), D("80.25"), D("150")]
    # Allocated per month: a twelfth of each share, to the cent, adding up to the share.
    assert march.members[0].volume_allocated == D("150.00")
    assert march.members[0].amount_allocated == D("8760.00")
    assert data.total.volume == D("420.25")
    assert data.total.amount_allocated == D("332880.00")
    assert data.members[0].volume == D("190")
    february = data.periods[0]
    assert [m.reported for m in february.members] == [True, False, False]


def test_rollup_query_count_does_not_grow_with_members(db, make_org, count_queries):
    counts = []
    for size in (3, 8):
        s = Scenario(db, make_org, members=size)
        s.ready()
        for member in s.members:
            s.report(member, MARCH, "10", "12")
        with acting_for(s.umbrella.id):
            view = s.view(s.umbrella)
            with count_queries() as counter:
                data = uc.rollup(view)
        assert data.periods[0].total.volume == D(10 * size)
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_combined_report_job_runs_once_per_key_and_makes_a_pdf(db, scenario, run_jobs):
    from koepel.platform import files
    from koepel.platform.web import commit

    scenario.ready()
    scenario.report(scenario.members[0], MARCH, "100", "120")
    scenario.report(scenario.members[1], MARCH, "80", "90")
    with acting_for(scenario.umbrella.id):
        view = scenario.view(scenario.umbrella)
        first = uc.request_combined_report(
            actor=None, view=view, period=MARCH, today=date(2026, 4, 10)
        )
        again = uc.request_combined_report(
            actor=None, view=view, period=MARCH, today=date(2026, 4, 10)
        )
        assert again.id == first.id
    commit()
    run_jobs()
    with acting_for(scenario.umbrella.id):
        db.session.refresh(first)
        assert first.status == CombinedStatus.READY
        pdf = files.read(first.tenant_id, first.pdf_name, uc.FILES_AREA)
    assert pdf.startswith(b"%PDF")
    with cross_tenant("the test reads the job runs"):
        runs = db.session.scalars(
            select(JobRun).where(JobRun.key == uc.job_key(scenario.contract_id, MARCH))
        ).all()
    assert len(runs) == 1 and runs[0].status == "done" and runs[0].attempts == 1
    # The period is closed now: the third member can no longer report it.
    with pytest.raises(uc.UmbrellaError) as closed:
        scenario.report(scenario.members[2], MARCH, "10", "10")
    assert "financier" in str(closed.value)
    # The funder reads it; a member does not.
    with acting_for(scenario.insurer.id):
        funder_view = scenario.view(scenario.insurer)
        row, body = uc.combined_file(funder_view, first.id, "xlsx")
    assert body[:2] == b"PK"
    with acting_for(scenario.members[0].id), pytest.raises(LookupError):
        uc.combined_file(scenario.view(scenario.members[0]), first.id, "pdf")


def test_combined_report_holds_only_what_members_reported(scenario):
    scenario.ready()
    scenario.report(scenario.members[0], MARCH, "100", "120")
    with acting_for(scenario.umbrella.id):
        figures = uc.report_figures(scenario.view(scenario.umbrella), MARCH)
    assert figures["reported"] == 1 and figures["participants"] == 3
    assert [m.reported for m in figures["members"]] == [True, False, False]
    assert [m.volume for m in figures["members"]] == [D("100"), D(0), D(0)]
    assert figures["total"].volume == D("100")


def test_another_umbrella_and_outsiders_see_nothing(db, make_org, scenario):
    scenario.ready()
    other = Scenario(db, make_org)
    outsider = make_org(OrgKind.COOPERATIVE)
    for org in (other.umbrella, other.members[0], outsider, other.insurer):
        assert scenario.view(org) is None
    with acting_for(other.umbrella.id):
        assert uc.contracts_for(other.umbrella) == []
    with acting_for(scenario.members[0].id):
        assert [a.contract_id for a, _s in uc.contracts_for(scenario.members[0])] == [
            scenario.contract_id
        ]


def test_demo_loads_once(db, app, run_jobs):
    from koepel.platform import demo
    from koepel.platform.models import Organisation
    from koepel.platform.web import commit

    demo.load()  # the organisations, users and every module's registered demo data
    orgs = {o.slug: o for o in db.session.scalars(select(Organisation))}
    uc.load_demo(orgs)  # 1, or 0 once it is registered in contracts.demo.LOADERS
    commit()  # the combined report's job runs after the commit
    run_jobs()
    db.session.expire_all()
    assert uc.load_demo(orgs) == 0  # already there: nothing added
    kzzn = orgs["kzzn"]
    with acting_for(kzzn.id):
        pairs = uc.contracts_for(kzzn)
        view = uc.umbrella_view(kzzn, pairs[0][0].contract_id)
        data = uc.rollup(view)
        reports = uc.combined_reports(view)
    assert [r.status for r in reports] == [CombinedStatus.READY]
    assert len(data.periods) == 2
    assert data.total.volume == sum(
        (v for rows in uc.DEMO_REPORTS.values() for v, _h in rows), D(0)
    )
    assert len(reports) == 1
