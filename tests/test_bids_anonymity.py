"""Anonymous evaluation: assigned reviewers see "Inschrijver A, B, ..." instead of names
(and no partners) on the evaluation page, the opening page and in the API until the award
is decided; the officials who award keep the names."""

from __future__ import annotations

from sqlalchemy import select
from test_bids_evaluation_pages import Page, _open, _score
from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import anonymity, tenders
from koepel.bids.models import Tender
from koepel.platform.auth import operations as accounts
from koepel.platform.tenancy import acting_for

NAMES = ("E-COOP-A", "E-COOP-B", "E-PROVIDER")


def test_labels_are_letters_in_order_of_submission():
    assert [anonymity.letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_reviewers_score_without_names_until_the_award(app, db, closed_tender):  # noqa: F811
    ctx = closed_tender
    with acting_for(ctx["buyer"].id):
        tenders.get_tender(ctx["tender_id"]).anonymous_evaluation = True
        db.session.flush()
    bids = _open(db, ctx)
    officer, reviewer = Page(app, ctx["officials"][0], ctx), Page(app, ctx["reviewer"], ctx)
    assert officer.post("/reviewers", "assign", {"reviewer": ctx["reviewer"].id, "chair": "y"})
    assert reviewer.post("/declaration", "declare", {"declaration": "y"}).status_code == 302

    page = reviewer.get()
    assert not any(name in page for name in NAMES)
    assert "Inschrijver A" in page and "Inschrijver B" in page and "Inschrijver C" in page
    assert "Plan van e-coop-a" in page  # the content is there to score, the name is not
    opening = reviewer.client.get(f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/opening")
    assert not any(name in opening.get_data(as_text=True) for name in NAMES)
    token = accounts.issue_api_token(user=ctx["reviewer"])[1]
    api = reviewer.client.get(
        f"/api/v1/orgs/{ctx['buyer'].slug}/evaluations/{ctx['tender_id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200
    assert not any(name in api.get_data(as_text=True) for name in NAMES)
    assert "Inschrijver A" in api.get_data(as_text=True)
    # The official who awards (not a reviewer here) keeps the names: the opening record.
    record = officer.client.get(f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/opening")
    assert all(name in record.get_data(as_text=True) for name in NAMES)

    for bid in bids.values():
        assert _score(reviewer, bid, ctx["quality"], "7").status_code == 302
        assert _score(reviewer, bid, ctx["quality"], "7", "Samen", chair=True).status_code == 302
    page = reviewer.get()  # once: it shows the last "saved" message
    assert not any(name in page for name in NAMES)
    assert officer.post("/decision", "decide", {"reasons": "Beste verhouding"}).status_code == 302
    assert all(name in reviewer.get() for name in NAMES)  # decided: names for all
    assert all(name in officer.get() for name in NAMES)


def test_the_officer_asks_for_it_when_drafting(client, db, make_org, make_user, login, csrf):
    from test_bids_tender_pages import _new_form

    buyer = make_org("municipality", slug="an-bladel")
    login(make_user(buyer, "procurement_officer"))
    url = f"/{buyer.slug}/tenders/new"
    response = client.post(url, data=_new_form(csrf(url), anonymous_evaluation="y"))
    assert response.status_code == 302
    with acting_for(buyer.id):
        assert db.session.scalars(select(Tender.anonymous_evaluation)).one() is True
    assert "Beoordelen zonder namen" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
