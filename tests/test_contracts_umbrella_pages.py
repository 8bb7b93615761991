"""The umbrella-contracting pages: the umbrella enters a contract on behalf of its members
(an outsider refused by name, what was typed kept), divides it, a member agrees and reports
(a negative or future figure refused next to the field), the umbrella approves, sees the
roll-up and makes the combined report, whose PDF the funder downloads; a member does not
see another member's share; another umbrella gets 404."""

from __future__ import annotations

from decimal import Decimal

from test_contracts_umbrella import TARIFF, Scenario

from koepel.contracts import umbrella_contracting as uc
from koepel.contracts.models.core import add_months
from koepel.contracts.models.umbrella import ReportPeriod
from koepel.platform.models import OrgKind
from koepel.platform.tenancy import acting_for

from conftest import client_for, csrf_from

D = Decimal


def post(client, page: str, url: str, data: dict, prefix: str | None = None):
    token = csrf_from(client.get(page).get_data(as_text=True))
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    return client.post(url, data={name: token, **data})


def this_year_start():
    """A contract that started ten months ago, so last month is open for reports."""
    month = uc.period_of(uc.today_local(), ReportPeriod.MONTH).start
    return add_months(month, -10)


def last_month():
    month = uc.period_of(uc.today_local(), ReportPeriod.MONTH).start
    return uc.period_of(add_months(month, -1), ReportPeriod.MONTH)


def test_umbrella_enters_a_contract_on_behalf_of_members(app, db, make_org, make_user):
    s = Scenario(db, make_org)
    outsider = make_org(OrgKind.COOPERATIVE, name="Buitenstaander")
    staff = make_user(s.umbrella, "staff")
    client = client_for(app, staff)
    page = f"/{s.umbrella.slug}/umbrella-contracts/new"
    html = client.get(page).get_data(as_text=True)
    assert all(m.name in html for m in s.members) and outsider.name not in html
    data = {
        "title": "Verpleging 2027",
        "funder": str(s.insurer.id),
        "members": [str(s.members[0].id), str(outsider.id)],
        "start_date": this_year_start().isoformat(),
        "initial_months": "12",
        "yearly_amount": "332.880,00",
        "period": "month",
        "unit": "uren",
        "funder_sees_members": "y",
    }
    refused = post(client, page, page, data)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "Alleen huidige leden" in text and "Buitenstaander" in text
    assert 'value="Verpleging 2027"' in text and 'value="332.880,00"' in text
    data["members"] = [str(m.id) for m in s.members]
    done = post(client, page, page, data)
    assert done.status_code == 302
    contract_id = int(done.headers["Location"].rstrip("/").split("/")[-1])
    view = s.view(s.umbrella, contract_id)
    assert {p.organisation_id for p in view.members} == {m.id for m in s.members}
    assert view.contract.yearly_amount == D("332880.00")


def test_the_whole_flow_through_the_pages(app, db, make_org, make_user, run_jobs):
    s = Scenario(db, make_org)
    s.enter(start=this_year_start(), today=uc.today_local())
    staff = client_for(app, make_user(s.umbrella, "staff"))
    first = client_for(app, make_user(s.members[0], "coordinator"))
    second = client_for(app, make_user(s.members[1], "coordinator"))
    funder = client_for(app, make_user(s.insurer, "contract_manager"))
    base = f"/{s.umbrella.slug}/umbrella-contracts/{s.contract_id}"
    mine = lambda org: f"/{org.slug}/umbrella-contracts/{s.contract_id}"  # noqa: E731

    # The allocation: a negative tariff is refused with the figures kept.
    form = {
        "allocation-tariff": "-1",
        **{
            f"allocation-volume_{m.id}": v
            for m, v in zip(s.members, ("1.800", "1.500", "2.400"), strict=True)
        },
    }
    refused = post(staff, f"{base}/allocation", f"{base}/allocation", form, "allocation")
    assert refused.status_code == 200 and "negatief" in refused.get_data(as_text=True)
    assert 'value="1.800"' in refused.get_data(as_text=True)
    form["allocation-tariff"] = "58,40"
    assert (
        post(staff, f"{base}/allocation", f"{base}/allocation", form, "allocation").status_code
        == 302
    )
    with acting_for(s.umbrella.id):
        version = uc.current_allocation(s.view(s.umbrella)).version

    # Members agree; each sees its own share, not the other's.
    for client, member in ((first, s.members[0]), (second, s.members[1])):
        html = client.get(mine(member)).get_data(as_text=True)
        assert "Akkoord geven" in html
        own = D({0: 1800, 1: 1500}[s.members.index(member)]) * TARIFF
        assert f"{own:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") in html
        other = s.members[1 - s.members.index(member)]
        assert other.name not in html.split("Verdeling aan de leden", 1)[1].split("Uw cijfers")[0]
        url = f"{mine(member)}/allocation/{version.id}/agree"
        assert post(client, mine(member), url, {}).status_code == 302
    with acting_for(s.members[2].id):
        uc.member_agrees(actor=None, view=s.view(s.members[2]), version_id=version.id)
    approve = f"{base}/allocation/{version.id}/approve"
    assert post(staff, base, approve, {}).status_code == 302
    db.session.expire_all()
    with acting_for(s.umbrella.id):
        assert uc.current_allocation(s.view(s.umbrella)).version.status.value == "approved"

    # A member reports: negative and future refused next to the field, typed values kept.
    period = last_month()
    url = f"{mine(s.members[0])}/reports"
    bad = post(
        first,
        mine(s.members[0]),
        url,
        {"report-period": period.key, "report-volume": "-3", "report-hours": "12,5"},
        "report",
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "negatief" in text and 'value="12,5"' in text
    future = uc.period_of(add_months(period.start, 2), ReportPeriod.MONTH)
    bad = post(
        first,
        mine(s.members[0]),
        url,
        {"report-period": future.key, "report-volume": "3", "report-hours": "4"},
        "report",
    )
    assert "nog niet voorbij" in bad.get_data(as_text=True)
    ok = post(
        first,
        mine(s.members[0]),
        url,
        {"report-period": period.key, "report-volume": "142,5", "report-hours": "168"},
        "report",
    )
    assert ok.status_code == 302
    post(
        second,
        mine(s.members[1]),
        f"{mine(s.members[1])}/reports",
        {"report-period": period.key, "report-volume": "118", "report-hours": "131,5"},
        "report",
    )
    assert (
        "142,5" not in second.get_data(as_text=True)
        if False
        else "142,5" not in second.get(mine(s.members[1])).get_data(as_text=True)
    )

    # The umbrella's roll-up: per member and in total, with a chart.
    html = staff.get(base).get_data(as_text=True)
    assert "260,50" in html and "299,50" in html  # 142,5 + 118 and 168 + 131,5
    assert "<svg" in html and "niet gerapporteerd" in html

    # The combined report, made by a job, downloaded by the umbrella and the funder.
    done = post(
        staff, base, f"{base}/combined", {"combined-period": period.start.isoformat()}, "combined"
    )
    assert done.status_code == 302
    run_jobs()
    with acting_for(s.umbrella.id):
        report = uc.combined_reports(s.view(s.umbrella))[0]
    pdf = staff.get(f"{base}/combined/{report.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    funder_page = funder.get(mine(s.insurer)).get_data(as_text=True)
    assert "PDF downloaden" in funder_page
    assert funder.get(f"{mine(s.insurer)}/combined/{report.id}.pdf").data.startswith(b"%PDF")
    assert funder.get(f"{mine(s.insurer)}/combined/{report.id}.xlsx").data[:2] == b"PK"
    assert first.get(f"{mine(s.members[0])}/combined/{report.id}.pdf").status_code == 404


def test_another_umbrella_gets_404(app, db, make_org, make_user):
    s = Scenario(db, make_org)
    s.enter(start=this_year_start(), today=uc.today_local())
    other = Scenario(db, make_org)
    for org, role in ((other.umbrella, "staff"), (other.members[0], "coordinator")):
        client = client_for(app, make_user(org, role))
        base = f"/{org.slug}/umbrella-contracts/{s.contract_id}"
        assert client.get(base).status_code == 404
        assert client.get(f"{base}/allocation").status_code == 404
    staff = client_for(app, make_user(other.umbrella, "staff"))
    assert "Verzorging" not in staff.get(f"/{other.umbrella.slug}/umbrella-contracts").get_data(
        as_text=True
    )
