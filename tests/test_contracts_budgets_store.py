"""Budgets stored: allocation versions and their workflow, pooled district settlements and
arrangement financing, through the rule modules (no HTTP), with the cases' numbers."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.contracts import (
    allocation_versions,
    arrangement_financing,
    budget_exports,
    budgeting,
    delivery_import,
    districts,
)
from koepel.contracts.budgeting import BudgetError, NotAParty
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.budgets import (
    AllocationMethod,
    BudgetKind,
    BudgetPartnerRole,
    DeliveryRecord,
    VersionStatus,
)
from koepel.contracts.settlement import Transfer, apply_transfers
from koepel.platform.models import AuditEvent, OrgKind
from koepel.platform.tenancy import acting_for, cross_tenant

D = Decimal

ALPHEN = [  # Alphen aan den Rijn: 4 main contractors and 4 subcontractors
    ("Kwadraad", BudgetPartnerRole.MAIN, D("2150000.00")),
    ("Gemiva-SVG Groep", BudgetPartnerRole.MAIN, D("1600000.00")),
    ("Kwintes", BudgetPartnerRole.MAIN, D("1450000.00")),
    ("Participe", BudgetPartnerRole.MAIN, D("1300000.00")),
    ("ActiVite", BudgetPartnerRole.SUB, D("600000.00")),
    ("De Binnenvest", BudgetPartnerRole.SUB, D("500000.00")),
    ("Ipse de Bruggen", BudgetPartnerRole.SUB, D("500000.00")),
    ("Wijdezorg", BudgetPartnerRole.SUB, D("400000.00")),
]


def view_of(org, budget_id):
    with acting_for(org.id):
        return budgeting.budget_for(org, budget_id)


@pytest.fixture
def alphen(db, make_org, make_user):
    """Kwadraad's budget of € 8.500.000, approved by the municipality, eight partners."""
    gemeente = make_org(OrgKind.MUNICIPALITY, name="Gemeente Alphen aan den Rijn")
    orgs = [(make_org(OrgKind.PROVIDER, name=name), role, amount) for name, role, amount in ALPHEN]
    lead = orgs[0][0]
    user = make_user(lead, "contact")
    officer = make_user(gemeente, "procurement_officer")
    with acting_for(lead.id):
        budget = budgeting.create(
            actor=user,
            owner=lead,
            data=budgeting.BudgetData(
                title="Tom in de buurt",
                kind=BudgetKind.ALLOCATION,
                period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31),
                approver=gemeente,
            ),
        )
        view = budgeting.budget_for(lead, budget.id)
        budgeting.add_funding(
            actor=user, view=view, funder=gemeente, scheme="Wmo", amount_=D("8500000.00")
        )
        for org, role, _amount in orgs:
            budgeting.add_partner(actor=user, view=view, partner=org, role=role)
    return {
        "budget_id": budget.id,
        "gemeente": gemeente,
        "lead": lead,
        "orgs": orgs,
        "user": user,
        "officer": officer,
    }


def _round_with_proposals(alphen, amounts=None):
    lead, user, budget_id = alphen["lead"], alphen["user"], alphen["budget_id"]
    with acting_for(lead.id):
        version = allocation_versions.open_round(
            actor=user, view=budgeting.budget_for(lead, budget_id)
        )
    for org, _role, amount in alphen["orgs"]:
        with acting_for(org.id):
            allocation_versions.enter_proposal(
                actor=None,
                view=budgeting.budget_for(org, budget_id),
                version_id=version.id,
                proposed=(amounts or {}).get(org.name, amount),
            )
    return version.id


def test_alphen_proposals_consolidated_add_up_to_8_5_million(db, alphen):
    version_id = _round_with_proposals(alphen)
    lead = alphen["lead"]
    with acting_for(lead.id):
        version = allocation_versions.consolidate(
            actor=alphen["user"],
            view=budgeting.budget_for(lead, alphen["budget_id"]),
            version_id=version_id,
        )
        assert version.status == VersionStatus.PROPOSED
        amounts = {s.partner.name: s.amount for s in version.shares}
    assert amounts == {name: amount for name, _role, amount in ALPHEN}
    assert sum(amounts.values()) == D("8500000.00")
    main = sum(a for n, r, a in ALPHEN if r == BudgetPartnerRole.MAIN)
    assert main == D("6500000.00")
    with acting_for(lead.id):
        data = allocation_versions.load(view_of(lead, alphen["budget_id"]), version_id)
    assert (
        budgeting.explanation_text(data.shares[0].explanation)
        == "Eigen voorstel: €\xa02.150.000,00."
    )


def test_unbalanced_proposals_are_refused_and_the_round_stays_open(db, alphen):
    version_id = _round_with_proposals(alphen, {"Kwadraad": D("2250000.00")})
    lead = alphen["lead"]
    with acting_for(lead.id):
        view = budgeting.budget_for(lead, alphen["budget_id"])
        with pytest.raises(BudgetError, match="De voorstellen zijn samen €\xa0100.000,00 te hoog"):
            allocation_versions.consolidate(actor=None, view=view, version_id=version_id)
        data = allocation_versions.load(view, version_id)
        assert data.version.status == VersionStatus.DRAFT
        preview = allocation_versions.preview(view, data)
        kwadraad = next(s for s in preview.result.shares if s.proposed == D("2250000.00"))
        assert kwadraad.difference == D("-26162.79")  # its part of the 100 000 too much
        # The owner may change an amount when consolidating; both figures are kept.
        version = allocation_versions.consolidate(
            actor=None,
            view=view,
            version_id=version_id,
            amounts={lead.id: D("2150000.00")},
        )
        share = next(s for s in version.shares if s.partner_id == lead.id)
        assert (share.proposed, share.amount) == (D("2250000.00"), D("2150000.00"))


def test_version_workflow_partners_agree_then_the_funder_approves(db, alphen):
    version_id = _round_with_proposals(alphen)
    lead, gemeente, budget_id = alphen["lead"], alphen["gemeente"], alphen["budget_id"]
    with acting_for(lead.id):
        allocation_versions.consolidate(
            actor=None, view=budgeting.budget_for(lead, budget_id), version_id=version_id
        )
    partner = alphen["orgs"][1][0]
    # A partner cannot approve.
    with acting_for(partner.id), pytest.raises(BudgetError, match="Alleen .* keurt"):
        allocation_versions.approve(
            actor=None, view=budgeting.budget_for(partner, budget_id), version_id=version_id
        )
    # The funder cannot approve before every partner agreed.
    for org, _role, _amount in alphen["orgs"][:7]:
        with acting_for(org.id):
            allocation_versions.agree(
                actor=None, view=budgeting.budget_for(org, budget_id), version_id=version_id
            )
    with acting_for(gemeente.id):
        funder = budgeting.budget_for(gemeente, budget_id)
        assert funder.is_approver and not funder.is_partner
        with pytest.raises(BudgetError, match="Wacht op: Wijdezorg"):
            allocation_versions.approve(actor=alphen["officer"], view=funder, version_id=version_id)
    last = alphen["orgs"][7][0]
    with acting_for(last.id):
        view = budgeting.budget_for(last, budget_id)
        version = allocation_versions.agree(actor=None, view=view, version_id=version_id)
        assert version.status == VersionStatus.AGREED
        with pytest.raises(BudgetError, match="al akkoord"):
            allocation_versions.agree(actor=None, view=view, version_id=version_id)
    with acting_for(gemeente.id):
        version = allocation_versions.approve(
            actor=alphen["officer"],
            view=budgeting.budget_for(gemeente, budget_id),
            version_id=version_id,
        )
        assert version.status == VersionStatus.APPROVED

    # A new version supersedes the approved one, which is kept with its agreements.
    inputs = {
        org.id: allocation_versions.ShareInput(percentage=D("12.5"))
        for org, _r, _a in alphen["orgs"]
    }
    with acting_for(lead.id):
        view = budgeting.budget_for(lead, budget_id)
        newer = allocation_versions.propose(
            actor=None, view=view, method=AllocationMethod.PERCENTAGES, inputs=inputs
        )
        assert newer.number == 2
        old = allocation_versions.load(view, version_id)
        assert old.version.status == VersionStatus.SUPERSEDED
        assert len(old.agreements) == 8
        assert [v.number for v in allocation_versions.versions(view)] == [2, 1]
        assert {s.amount for s in newer.shares} == {D("1062500.00")}
    # Every step is in the audit log.
    with cross_tenant("test reads the audit log"):
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.tenant_id == lead.id)
        ).all()
    assert actions.count("allocation.agreed") == 8
    assert {"allocation.round_opened", "allocation.approved", "allocation.proposed"} <= set(actions)


def test_superseded_version_cannot_be_agreed_or_approved(db, alphen):
    lead, budget_id = alphen["lead"], alphen["budget_id"]
    ids = [org.id for org, _r, _a in alphen["orgs"]]
    with acting_for(lead.id):
        view = budgeting.budget_for(lead, budget_id)
        first = allocation_versions.propose(
            actor=None, view=view, method=AllocationMethod.EQUAL, inputs={}
        )
        allocation_versions.propose(actor=None, view=view, method=AllocationMethod.EQUAL, inputs={})
    partner = alphen["orgs"][2][0]
    with acting_for(partner.id), pytest.raises(BudgetError, match="vervangen"):
        allocation_versions.agree(
            actor=None, view=budgeting.budget_for(partner, budget_id), version_id=first.id
        )
    assert len(ids) == 8


def test_percentages_not_summing_to_100_are_refused(db, alphen):
    lead = alphen["lead"]
    inputs = {
        org.id: allocation_versions.ShareInput(percentage=D(10)) for org, _r, _a in alphen["orgs"]
    }
    with acting_for(lead.id):
        view = budgeting.budget_for(lead, alphen["budget_id"])
        with pytest.raises(ContractRuleError, match="tellen op tot 80%"):
            allocation_versions.propose(
                actor=None, view=view, method=AllocationMethod.PERCENTAGES, inputs=inputs
            )
        assert allocation_versions.versions(view) == []


def test_volume_tariff_with_a_reserve_for_citizen_initiatives(db, alphen):
    lead = alphen["lead"]
    inputs = {
        org.id: allocation_versions.ShareInput(
            lines=[allocation_versions.VolumeInput(D(10000), D("100.00"))]
        )
        for org, _r, _a in alphen["orgs"]
    }
    reserve = allocation_versions.ReserveInput(
        percent=D(2), initiatives={"Buurtbus Oost": D(3), '=HYPERLINK("x")': D(1)}
    )
    with acting_for(lead.id):
        view = budgeting.budget_for(lead, alphen["budget_id"])
        version = allocation_versions.propose(
            actor=None,
            view=view,
            method=AllocationMethod.VOLUME_TARIFF,
            inputs=inputs,
            reserve=reserve,
        )
        partners = [s for s in version.shares if s.partner_id]
        initiatives = {s.initiative: s.amount for s in version.shares if s.initiative}
    assert version.reserve_result == D("170000.00")
    assert initiatives == {"Buurtbus Oost": D("127500.00"), '=HYPERLINK("x")': D("42500.00")}
    # 8 × 1 000 000 is less than the 8 330 000 left: everyone gets its value, the rest waits.
    assert {s.amount for s in partners} == {D("1000000.00")}
    assert version.unallocated == D("330000.00")
    total = sum(s.amount for s in version.shares if s.partner_id) + version.reserve_result
    assert total + version.unallocated == D("8500000.00")


def test_a_subcontractor_sees_its_own_share_and_an_outsider_nothing(db, alphen, make_org):
    lead, budget_id = alphen["lead"], alphen["budget_id"]
    with acting_for(lead.id):
        version = allocation_versions.propose(
            actor=None,
            view=budgeting.budget_for(lead, budget_id),
            method=AllocationMethod.EQUAL,
            inputs={},
        )
    sub = alphen["orgs"][5][0]
    view = view_of(sub, budget_id)
    assert view.is_sub and not view.sees_all_shares
    data = allocation_versions.load(view, version.id)
    assert [s.partner_id for s in allocation_versions.visible_shares(view, data)] == [sub.id]
    main = view_of(alphen["orgs"][1][0], budget_id)
    assert (
        len(allocation_versions.visible_shares(main, allocation_versions.load(main, version.id)))
        == 8
    )
    stranger = make_org(OrgKind.PROVIDER)
    assert view_of(stranger, budget_id) is None
    with acting_for(stranger.id):
        assert budgeting.budgets_for(stranger) == []
    # A partner cannot manage the budget.
    with acting_for(sub.id), pytest.raises(BudgetError, match="beheert deze pot"):
        allocation_versions.propose(actor=None, view=view, method=AllocationMethod.EQUAL, inputs={})


def test_a_partners_lists_include_the_budgets_it_is_party_to(db, alphen):
    sub = alphen["orgs"][6][0]
    with acting_for(sub.id):
        views = budgeting.budgets_for(sub)
    assert [(v.budget.title, v.is_partner, v.is_owner) for v in views] == [
        ("Tom in de buurt", True, False)
    ]
    with acting_for(alphen["gemeente"].id):
        (funder,) = budgeting.budgets_for(alphen["gemeente"])
    assert funder.is_funder and funder.is_approver and funder.budget.total == D("8500000.00")


# -- the pooled district budget ------------------------------------------------------------------
HOURS = {  # Handen Ineen: partner -> [(scheme, tariff, hours in the year)]
    "Palet": [("begeleiding", D("62.50"), 2000)],
    "Thuiszorg West": [
        ("persoonlijke verzorging", D("52.00"), 6000),
        ("verpleging", D("75.00"), 3500),
    ],
    "Wijkzorg Noord": [("huishoudelijke hulp", D("27.50"), 9000), ("begeleiding", D("62.50"), 800)],
    "Hulp aan Huis": [
        ("persoonlijke verzorging", D("52.00"), 2000),
        ("huishoudelijke hulp", D("27.50"), 2000),
    ],
}
ADVANCES = {
    "Palet": D("120000.00"),
    "Thuiszorg West": D("560000.00"),
    "Wijkzorg Noord": D("300000.00"),
    "Hulp aan Huis": D("170000.00"),
}


@pytest.fixture
def handen_ineen(db, make_org, make_user):
    zorgkantoor = make_org(OrgKind.INSURER, name="Zorgkantoor Friesland")
    gemeente = make_org(OrgKind.MUNICIPALITY, name="Gemeente Leeuwarden")
    partners = {name: make_org(OrgKind.PROVIDER, name=name) for name in HOURS}
    palet = partners["Palet"]
    with acting_for(palet.id):
        budget = budgeting.create(
            actor=None,
            owner=palet,
            data=budgeting.BudgetData(
                title="Handen Ineen 2015",
                kind=BudgetKind.DISTRICT,
                period_start=date(2015, 1, 1),
                period_end=date(2015, 12, 31),
                approver=gemeente,
            ),
        )
        view = budgeting.budget_for(palet, budget.id)
        for funder, scheme, amount in (
            (zorgkantoor, "persoonlijke verzorging", "420000.00"),
            (zorgkantoor, "verpleging", "310000.00"),
            (zorgkantoor, "begeleiding", "180000.00"),
            (gemeente, "huishoudelijke hulp", "290000.00"),
        ):
            budgeting.add_funding(
                actor=None, view=view, funder=funder, scheme=scheme, amount_=D(amount)
            )
        for name, org in partners.items():
            budgeting.add_partner(actor=None, view=view, partner=org, advance=ADVANCES[name])
    for name, org in partners.items():
        with acting_for(org.id):
            partner_view = budgeting.budget_for(org, budget.id)
            for scheme, tariff, hours in HOURS[name]:
                for day in (
                    date(2015, 3, 31),
                    date(2015, 6, 30),
                    date(2015, 9, 30),
                    date(2015, 12, 31),
                ):
                    districts.record(
                        actor=None,
                        view=partner_view,
                        data=districts.DeliveryData(day, scheme, D(hours) / 4, tariff),
                    )
    return {
        "budget_id": budget.id,
        "partners": partners,
        "gemeente": gemeente,
        "zorgkantoor": zorgkantoor,
    }


def test_handen_ineen_settled_to_the_cent_with_a_statement_per_partner(db, handen_ineen):
    partners, budget_id = handen_ineen["partners"], handen_ineen["budget_id"]
    palet = partners["Palet"]
    with acting_for(palet.id):
        view = budgeting.budget_for(palet, budget_id)
        with pytest.raises(BudgetError, match="loopt tot en met 31-12-2015"):
            districts.compute(actor=None, view=view, today=date(2015, 12, 30))
        settlement = districts.compute(actor=None, view=view, today=date(2016, 1, 4))
        data = districts.load_settlement(view)
    assert settlement.pool == D("1200000.00") and settlement.records == 28
    assert settlement.surplus == D("44000.00")
    names = {org.id: name for name, org in partners.items()}
    due = {names[p.partner_id]: p.due for p in data.positions if p.partner_id}
    assert due == {
        "Palet": D("125000.00"),
        "Thuiszorg West": D("574500.00"),
        "Wijkzorg Noord": D("297500.00"),
        "Hulp aan Huis": D("159000.00"),
    }
    positions = {names.get(p.partner_id, "pot"): p.position for p in data.positions}
    assert positions["pot"] == D("-6000.00")
    transfers = [
        Transfer(names.get(t.payer_id, "pot"), names.get(t.payee_id, "pot"), t.amount)
        for t in data.transfers
    ]
    assert len(transfers) == 4 and data.settlement.exact
    assert set(apply_transfers(positions, transfers).values()) == {D(0)}  # every position settled
    refunds = sorted(r.amount for r in data.refunds)
    assert refunds == [D("6600.00"), D("10633.33"), D("11366.67"), D("15400.00")]

    # Thuiszorg West sees its own statement and the totals, nothing of the others' figures.
    west = partners["Thuiszorg West"]
    with acting_for(west.id):
        mine = districts.load_settlement(budgeting.budget_for(west, budget_id))
    assert mine.positions == [] and mine.statements == []
    assert mine.total_due == D("1156000.00")
    lines = [(line.product, line.quantity, line.value) for line in mine.statement.lines]
    assert lines == [
        ("persoonlijke verzorging", D("6000.00"), D("312000.0000")),
        ("verpleging", D("3500.00"), D("262500.0000")),
    ]
    assert {line.partner_id for line in mine.statement.lines} == {west.id}
    assert all(west.id in (t.payer_id, t.payee_id) for t in mine.transfers)
    assert len(mine.statement.receives) == 3 and mine.statement.pays == []
    assert mine.refunds == []  # a partner is no funder
    view = view_of(west, budget_id)
    assert districts.statement_for(view, mine, partners["Palet"].id) is None
    # The municipality (approver and funder) sees the totals and the refunds, no statement.
    with acting_for(handen_ineen["gemeente"].id):
        funder = districts.load_settlement(
            budgeting.budget_for(handen_ineen["gemeente"], budget_id)
        )
    assert funder.statement is None and funder.positions == [] and len(funder.refunds) == 4


def test_the_statement_pdf_holds_one_partners_lines_only(app, db, handen_ineen):
    partners, budget_id = handen_ineen["partners"], handen_ineen["budget_id"]
    with acting_for(partners["Palet"].id):
        districts.compute(actor=None, view=budgeting.budget_for(partners["Palet"], budget_id))
    hulp = partners["Hulp aan Huis"]
    with acting_for(hulp.id):
        view = budgeting.budget_for(hulp, budget_id)
        html = budget_exports.statement_html(view, hulp.id)
        pdf = budget_exports.statement_pdf(view, hulp.id)
        with pytest.raises(BudgetError):
            budget_exports.statement_html(view, partners["Palet"].id)
    assert pdf.startswith(b"%PDF")
    assert "Afrekening van Hulp aan Huis" in html
    assert "huishoudelijke hulp" in html and "persoonlijke verzorging" in html
    assert "verpleging" not in html.replace("persoonlijke verzorging", "")  # West's product
    assert "begeleiding" not in html  # Palet's and Wijkzorg Noord's product
    assert "Betaalt €\xa011.000,00 aan Thuiszorg West." in html


def test_delivery_records_belong_to_the_partner_and_close_with_the_settlement(db, handen_ineen):
    partners, budget_id = handen_ineen["partners"], handen_ineen["budget_id"]
    west, noord = partners["Thuiszorg West"], partners["Wijkzorg Noord"]
    with acting_for(west.id):
        view = budgeting.budget_for(west, budget_id)
        assert {r.tenant_id for r in districts.own_records(view)} == {west.id}
        assert districts.shared_records(view) == []  # the budget does not share them
        assert districts.recorded_totals(view) == {}  # totals are the owner's
        for data, message in (
            (
                districts.DeliveryData(date(2016, 1, 2), "verpleging", D(1), D(75)),
                "buiten de periode",
            ),
            (
                districts.DeliveryData(date(2015, 5, 1), "tuinonderhoud", D(1), D(75)),
                "Kies een regeling",
            ),
            (districts.DeliveryData(date(2015, 5, 1), "verpleging", D(-1), D(75)), "negatief"),
            (
                districts.DeliveryData(date(2015, 5, 1), "verpleging", D(1), D("75.001")),
                "twee cijfers",
            ),
        ):
            with pytest.raises(BudgetError, match=message):
                districts.record(actor=None, view=view, data=data)
        own = db.session.scalars(select(DeliveryRecord)).all()  # scoped: only its own rows
    assert {r.tenant_id for r in own} == {west.id} and len(own) == 8
    with acting_for(noord.id):
        assert len(db.session.scalars(select(DeliveryRecord)).all()) == 8
    palet = partners["Palet"]
    with acting_for(palet.id):
        owner = budgeting.budget_for(palet, budget_id)
        totals = districts.recorded_totals(owner)
        assert totals[west.id].records == 8 and totals[west.id].value == D("574500.00")
        districts.compute(actor=None, view=owner)
        with pytest.raises(BudgetError, match="al verrekend"):
            districts.compute(actor=None, view=owner)
    with acting_for(west.id), pytest.raises(BudgetError, match="al verrekend"):
        districts.record(
            actor=None,
            view=budgeting.budget_for(west, budget_id),
            data=districts.DeliveryData(date(2015, 5, 1), "verpleging", D(1), D(75)),
        )


def test_import_is_all_or_nothing_and_names_the_line(db, handen_ineen):
    west = handen_ineen["partners"]["Thuiszorg West"]
    good = "datum;regeling;hoeveelheid;tarief\n01-02-2015;verpleging;3,5;75,00\n2015-02-02;verpleging;4;75\n"
    bad = good + "2015-02-03;verpleging;veel;75\n2016-01-01;verpleging;1;75\n"
    with acting_for(west.id):
        view = budgeting.budget_for(west, budget_id := handen_ineen["budget_id"])
        with pytest.raises(BudgetError) as refused:
            delivery_import.import_file(
                actor=None, view=view, filename="uren.csv", data=bad.encode()
            )
        assert "Er is niets ingelezen" in str(refused.value)
        assert "Regel 4: de hoeveelheid" in str(refused.value)
        assert "Regel 5: De datum valt buiten de periode" in str(refused.value)
        assert len(districts.own_records(view)) == 8
        records = delivery_import.import_file(
            actor=None, view=view, filename="uren.csv", data=good.encode()
        )
        assert [(r.delivered_on, r.quantity) for r in records] == [
            (date(2015, 2, 1), D("3.5")),
            (date(2015, 2, 2), D("4")),
        ]
        with pytest.raises(BudgetError, match="CSV- of Excel"):
            delivery_import.import_file(actor=None, view=view, filename="uren.pdf", data=b"%PDF")
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Datum", "Regeling", "Hoeveelheid", "Tarief"])
    book.active.append([date(2015, 4, 1), "persoonlijke verzorging", 2.25, 52])
    buffer = io.BytesIO()
    book.save(buffer)
    with acting_for(west.id):
        view = budgeting.budget_for(west, budget_id)
        (record,) = delivery_import.import_file(
            actor=None, view=view, filename="uren.xlsx", data=buffer.getvalue()
        )
    assert (record.quantity, record.tariff, record.source) == (D("2.25"), D("52.00"), "import")


# -- exports ----------------------------------------------------------------------------------------
def test_allocation_workbook_keeps_text_as_text_and_a_sub_sees_its_own_share(app, db, alphen):
    from openpyxl import load_workbook

    lead, budget_id = alphen["lead"], alphen["budget_id"]
    reserve = allocation_versions.ReserveInput(amount=D("100000.00"), initiatives={"=1+1": None})
    with acting_for(lead.id):
        allocation_versions.propose(
            actor=None,
            view=budgeting.budget_for(lead, budget_id),
            method=AllocationMethod.EQUAL,
            inputs={},
            reserve=reserve,
        )
        book = load_workbook(
            io.BytesIO(budget_exports.allocations_xlsx(budgeting.budget_for(lead, budget_id)))
        )
    sheet = book["Versie 1"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    names = [r[0] for r in rows]
    assert names[:8] == [name for name, _r, _a in ALPHEN]
    formula = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "=1+1")
    assert formula[0].data_type == "s"  # a text, not a formula
    assert rows[-1][0] == "Totaal" and rows[-1][2] == 8500000
    assert sum(r[2] for r in rows[:9]) == 8500000  # 8 partners and the initiative
    sub = alphen["orgs"][7][0]
    with acting_for(sub.id):
        book = load_workbook(
            io.BytesIO(budget_exports.allocations_xlsx(budgeting.budget_for(sub, budget_id)))
        )
    names = [row[0].value for row in book["Versie 1"].iter_rows(min_row=2)]
    assert "Kwadraad" not in names and "Wijdezorg" in names


# -- arrangement financing ---------------------------------------------------------------------------
WM = {  # Westelijke Mijnstreek: (cost, clients) of two providers per arrangement
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


def test_westelijke_mijnstreek_tariffs_and_the_budget_follows_the_client(db, make_org):
    region = make_org(OrgKind.REGION, name="Westelijke Mijnstreek")
    zuyderland = make_org(OrgKind.PROVIDER, name="Zuyderland")
    other = make_org(OrgKind.PROVIDER, name="Aanbieder B")
    with acting_for(region.id):
        scheme = arrangement_financing.create(
            actor=None, buyer=region, title="Arrangementen 2016", year=2016, national_cut=D(11)
        )
        for (c, i), rows in WM.items():
            for cost, clients in rows:
                arrangement_financing.add_cost(
                    actor=None,
                    scheme=scheme,
                    complexity=c,
                    intensity=i,
                    cost_per_client=D(cost),
                    clients=clients,
                )
        with pytest.raises(BudgetError, match="Bereken eerst"):
            arrangement_financing.assign(
                actor=None,
                scheme=scheme,
                client_ref="WM-1",
                complexity="low",
                intensity="low",
                provider=zuyderland,
                starts_on=date(2016, 1, 1),
                ends_on=date(2016, 12, 31),
            )
        tariffs = arrangement_financing.compute_tariffs(actor=None, scheme=scheme)
        assert {a.code: t.tariff for a, t in tariffs.items()} == {
            "low/low": D("1846.75"),
            "low/medium": D("3248.50"),
            "low/high": D("4583.50"),
            "medium/low": D("2770.13"),
            "medium/medium": D("3898.20"),
            "medium/high": D("5963.00"),
            "high/low": D("3631.20"),
            "high/medium": D("6437.67"),
            "high/high": D("11013.75"),
        }
        for ref, c, i, provider, start, end in (
            ("WM-0001", "low", "low", zuyderland, date(2016, 1, 1), date(2016, 12, 31)),
            ("WM-0002", "high", "high", other, date(2016, 1, 1), date(2016, 6, 30)),
            ("WM-0002", "high", "high", zuyderland, date(2016, 7, 1), date(2016, 12, 31)),
        ):
            arrangement_financing.assign(
                actor=None,
                scheme=scheme,
                client_ref=ref,
                complexity=c,
                intensity=i,
                provider=provider,
                starts_on=start,
                ends_on=end,
            )
        with pytest.raises(BudgetError, match="BSN"):
            arrangement_financing.check_client_ref("123456782")
        with pytest.raises(BudgetError, match="tegelijk"):
            arrangement_financing.assign(
                actor=None,
                scheme=scheme,
                client_ref="WM-0001",
                complexity="low",
                intensity="high",
                provider=other,
                starts_on=date(2016, 6, 1),
                ends_on=date(2016, 6, 30),
            )
        data = arrangement_financing.load(scheme)
    # A full year costs the tariff; a client who moved costs exactly the tariff in total.
    assert data.budgets[zuyderland.id].budget + data.budgets[other.id].budget == D("1846.75") + D(
        "11013.75"
    )
    assert data.budgets[other.id].budget == D(
        "5476.78"
    )  # 182 of 366 days of 11 013,75 = 5 476,778...
    # The other provider sees its own client and budget only.
    with acting_for(other.id):
        mine = arrangement_financing.for_provider(other, scheme.id)
        assert arrangement_financing.schemes_for_provider(other)[0].id == scheme.id
    assert [c.client_ref for c in mine.clients] == ["WM-0002"]
    assert list(mine.budgets) == [other.id] and mine.budgets[other.id].budget == D("5476.78")
    stranger = make_org(OrgKind.PROVIDER)
    with acting_for(stranger.id):
        assert arrangement_financing.for_provider(stranger, scheme.id) is None


def test_the_demo_holds_the_cases_and_loads_once(app, db):
    from koepel.contracts import budget_demo
    from koepel.platform import demo
    from koepel.platform.models import Organisation

    demo.load()  # the contracts module's demo loaders run in it, this one too
    orgs = {o.slug: o for o in db.session.scalars(select(Organisation))}
    assert budget_demo.load_demo(orgs) == 0  # loaded once: a second run adds nothing
    kwadraad = orgs["kwadraad"]
    with acting_for(kwadraad.id):
        (view,) = [v for v in budgeting.budgets_for(kwadraad) if v.is_owner]
        (version,) = allocation_versions.versions(view)
    assert version.status == VersionStatus.APPROVED
    assert sum(s.amount for s in version.shares) == D("8500000.00")
    palet = orgs["palet"]
    with acting_for(palet.id):
        (view,) = budgeting.budgets_for(palet)
        data = districts.load_settlement(view)
    assert data.settlement.surplus == D("44000.00") and len(data.transfers) == 4
    brunssum = orgs["brunssum"]
    with acting_for(brunssum.id):
        (view,) = budgeting.budgets_for(brunssum)
        (version,) = allocation_versions.versions(view)
        data = allocation_versions.load(view, version.id)
    assert version.status == VersionStatus.PROPOSED and len(data.agreements) == 3
    assert sum(s.amount for s in data.shares) == D("7200000.00")
    with acting_for(orgs["westelijke-mijnstreek"].id):
        (scheme,) = arrangement_financing.schemes()
        assert len(arrangement_financing.load(scheme).tariffs) == 9


def test_not_a_party_cannot_propose_or_agree(db, alphen, make_org):
    lead, budget_id = alphen["lead"], alphen["budget_id"]
    version_id = _round_with_proposals(alphen)
    gemeente = alphen["gemeente"]
    with acting_for(gemeente.id):
        funder = budgeting.budget_for(gemeente, budget_id)
        with pytest.raises(NotAParty):
            allocation_versions.enter_proposal(
                actor=None, view=funder, version_id=version_id, proposed=D(1)
            )
        with pytest.raises(NotAParty):
            allocation_versions.agree(actor=None, view=funder, version_id=version_id)
    with acting_for(lead.id), pytest.raises(ContractRuleError, match="negatief"):
        allocation_versions.enter_proposal(
            actor=None,
            view=budgeting.budget_for(lead, budget_id),
            version_id=version_id,
            proposed=D(-5),
        )


def test_settlement_workbook_of_the_owner_and_of_a_partner(app, db, handen_ineen):
    from openpyxl import load_workbook

    partners, budget_id = handen_ineen["partners"], handen_ineen["budget_id"]
    palet, noord = partners["Palet"], partners["Wijkzorg Noord"]
    with acting_for(palet.id):
        view = budgeting.budget_for(palet, budget_id)
        districts.compute(actor=None, view=view)
        owner = load_workbook(io.BytesIO(budget_exports.settlement_xlsx(view)))
    assert owner.sheetnames == [
        "Verrekening",
        "Posities",
        "Betalingen",
        "Terug naar financiers",
        "Geleverd",
    ]
    positions = {row[0].value: row[4].value for row in owner["Posities"].iter_rows(min_row=2)}
    assert positions["Palet (pot)"] == -6000 and positions["Hulp aan Huis"] == -11000
    assert sum(positions.values()) == 0
    delivered = {row[0].value for row in owner["Geleverd"].iter_rows(min_row=2)}
    assert delivered == set(HOURS)
    with acting_for(noord.id):
        mine = load_workbook(
            io.BytesIO(budget_exports.settlement_xlsx(budgeting.budget_for(noord, budget_id)))
        )
    assert "Posities" not in mine.sheetnames
    assert {row[0].value for row in mine["Geleverd"].iter_rows(min_row=2)} == {"Wijkzorg Noord"}
    payments = [[c.value for c in row] for row in mine["Betalingen"].iter_rows(min_row=2)]
    assert payments == [["Wijkzorg Noord", "Thuiszorg West", 2500]]
