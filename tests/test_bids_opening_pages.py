"""The opening pages: sealed before the deadline, four eyes after, the record as PDF."""

from __future__ import annotations

from datetime import timedelta

from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import tenders
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow

from conftest import client_for, csrf_from


def test_four_eyes_opening_through_the_pages(app, db, closed_tender, make_user):  # noqa: F811
    ctx = closed_tender
    buyer, (first, second), reviewer = ctx["buyer"], ctx["officials"], ctx["reviewer"]
    url = f"/{buyer.slug}/tenders/{ctx['tender_id']}/opening"
    one, two, looker = client_for(app, first), client_for(app, second), client_for(app, reviewer)
    page = one.get(url).get_data(as_text=True)
    assert "blijven verzegeld" in page and "E-COOP" not in page
    token = csrf_from(page)
    assert (
        one.post(f"{url}/start", data={"csrf_token": token}).status_code == 400
    )  # before the deadline
    with acting_for(buyer.id):
        tenders.get_tender(ctx["tender_id"]).submission_deadline = utcnow() - timedelta(minutes=1)
        db.session.flush()
    assert (
        looker.post(
            f"{url}/start", data={"csrf_token": csrf_from(looker.get(url).get_data(as_text=True))}
        ).status_code
        == 403
    )
    assert one.post(f"{url}/start", data={"csrf_token": token}).status_code == 302
    again = one.post(f"{url}/confirm", data={"csrf_token": token})
    assert again.status_code == 400 and "tweede" in again.get_data(as_text=True)
    token2 = csrf_from(two.get(url).get_data(as_text=True))
    assert two.post(f"{url}/confirm", data={"csrf_token": token2}).status_code == 302
    page = two.get(url).get_data(as_text=True)
    assert "E-COOP-A" in page and "E-PROVIDER" in page
    pdf = two.get(f"{url}/record.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # A reviewer sees who bid only once assigned and declared free of conflicts.
    page = looker.get(url).get_data(as_text=True)
    assert "E-COOP" not in page and "E-PROVIDER" not in page and "belangenconflict" in page
    assert looker.get(f"{url}/record.pdf").status_code == 404


def test_bidders_and_strangers_get_404(app, db, closed_tender, make_org, make_user):  # noqa: F811
    ctx = closed_tender
    other_buyer = make_org("municipality", slug="o-elders")
    stranger = client_for(app, make_user(other_buyer, "procurement_officer"))
    assert (
        stranger.get(f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/opening").status_code == 404
    )
    assert stranger.get(f"/o-elders/tenders/{ctx['tender_id']}/opening").status_code == 404
    coop = make_org("cooperative", slug="o-coop")
    bidder = client_for(app, make_user(coop, "coordinator"))
    assert bidder.get(f"/o-coop/tenders/{ctx['tender_id']}/opening").status_code == 404
