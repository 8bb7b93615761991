"""The evaluation pages on the buyer's side: reviewers and their declaration, scores and
consensus, the ranking with abnormally low prices, the award and the letters."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from test_bids_opening_evaluation import closed_tender  # noqa: F401  (a fixture)

from koepel.bids import evaluation, opening, tenders
from koepel.bids.models import AwardDecision, OpenedBid, TenderStatus
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import format_datetime_local

from conftest import client_for, csrf_from


def _open(db, ctx, *, two_envelopes: bool = False) -> dict[str, OpenedBid]:
    """Open the tender through the rules (two officials, after the deadline)."""
    buyer, (first, second) = ctx["buyer"], ctx["officials"]
    after = ctx["deadline"] + timedelta(minutes=1)
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        tender.price_after_quality = two_envelopes
        opening.start(actor=first, buyer=buyer, tender=tender, now=after)
        opening.confirm(actor=second, buyer=buyer, tender=tender, now=after)
        db.session.flush()
        return {o.bidder_name: o for o in db.session.scalars(select(OpenedBid))}


def _url(ctx, path: str = "") -> str:
    return f"/{ctx['buyer'].slug}/tenders/{ctx['tender_id']}/evaluation{path}"


class Page:
    """A logged-in user on the evaluation page: GET it, POST its forms with the token."""

    def __init__(self, app, user, ctx):
        self.client, self.ctx = client_for(app, user), ctx

    def get(self) -> str:
        response = self.client.get(_url(self.ctx))
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def post(self, path: str, prefix: str, data: dict | None = None, **plain):
        token = csrf_from(self.get())
        form = {f"{prefix}-csrf_token": token}
        form.update({f"{prefix}-{k}": v for k, v in (data or {}).items()})
        form.update({k: str(v) for k, v in plain.items()})
        return self.client.post(_url(self.ctx, path), data=form)


def _score(page, bid, criterion, points, motivation="Toelichting", chair=False):
    what = "consensus" if chair else "score"
    return page.post(
        f"/{'consensus' if chair else 'scores'}",
        f"{what}-{bid.id}-{criterion.id}",
        {"points": points, "motivation": motivation},
        bid=bid.id,
        criterion=criterion.id,
    )


def _ranking_of(page: str, lot_id: int) -> str:
    start = page.index(f'id="ranking-{lot_id}"')
    return page[start : page.index("</table>", start)]


def test_evaluation_through_the_pages(app, db, closed_tender):  # noqa: F811
    ctx = closed_tender
    bids = _open(db, ctx)
    quality = ctx["quality"]
    officer = Page(app, ctx["officials"][0], ctx)
    reviewer = Page(app, ctx["reviewer"], ctx)

    # The officer assigns the reviewer as chair; the officer does not review.
    page = officer.get()
    assert ctx["reviewer"].display_name in page and "Beoordelaar toevoegen" in page
    response = officer.post("/reviewers", "assign", {"reviewer": ctx["reviewer"].id, "chair": "y"})
    assert response.status_code == 302
    assert "voorzitter" in officer.get()

    # Before the declaration: the count of bids, no names, no answers, no prices.
    page = reviewer.get()
    assert "E-COOP" not in page and "E-PROVIDER" not in page and "Plan van" not in page
    assert "€" not in page and "Aantal inschrijvingen" in page and "<dd>3</dd>" in page
    assert "geen belangenconflict heb met de inschrijvers" in page
    refused = _score(reviewer, bids["E-COOP-A"], quality, "8", "Goed")
    assert refused.status_code == 200 and "Verklaar eerst" in refused.get_data(as_text=True)
    assert "E-COOP" not in refused.get_data(as_text=True)
    unticked = reviewer.post("/declaration", "declare", {})
    assert unticked.status_code == 200 and "Vink de verklaring aan" in unticked.get_data(
        as_text=True
    )
    assert reviewer.post("/declaration", "declare", {"declaration": "y"}).status_code == 302

    # After: names, answers, prices; a score out of range keeps what was typed.
    page = reviewer.get()
    assert "E-COOP-A" in page and "Plan van e-coop-a" in page and "90.000,00" in page
    too_many = _score(reviewer, bids["E-COOP-A"], quality, "11", "Een heel sterk plan")
    html = too_many.get_data(as_text=True)
    assert too_many.status_code == 200
    assert "Geef tussen 0 en" in html and "Een heel sterk plan" in html
    assert (
        'aria-invalid="true"' in html
        and f'id="score-{bids["E-COOP-A"].id}-{quality.id}-points-error"' in html
    )
    assert _score(reviewer, bids["E-COOP-A"], quality, "abc").status_code == 200

    for name, points in (("E-COOP-A", "9"), ("E-COOP-B", "6"), ("E-PROVIDER", "7")):
        assert _score(reviewer, bids[name], quality, points).status_code == 302
        assert "Nog niet alle consensusscores" in reviewer.get()
        assert _score(reviewer, bids[name], quality, points, "Samen", chair=True).status_code == 302

    # The ranking: lot 1, E-COOP-A first with 40*80/90 + 60*0.9 = 89.56.
    page = reviewer.get()
    lot_one = _ranking_of(page, ctx["lot_ids"][0])
    assert lot_one.index("E-COOP-A") < lot_one.index("E-COOP-B")
    assert "89,56" in lot_one and "76,00" in lot_one and "90.000,00" in lot_one
    assert re.search(r">1</td>\s*<td[^>]*>E-COOP-A\b", lot_one)
    assert "mogelijk abnormaal laag" not in page
    assert "hoogste kwaliteitsscore" in page  # the tie rule, in words
    assert "Gunning vastleggen" not in page  # a reviewer does not award

    # The officer decides (reasons required) and sends the letters.
    assert "89,56" in officer.get()
    empty = officer.post("/decision", "decide", {"reasons": "  "})
    assert empty.status_code == 200 and "Schrijf de motivering" in empty.get_data(as_text=True)
    decided = officer.post("/decision", "decide", {"reasons": "Beste prijs-kwaliteitverhouding"})
    assert decided.status_code == 302
    page = officer.get()
    assert "Brieven versturen" in page and "Beste prijs-kwaliteitverhouding" in page
    late = _score(reviewer, bids["E-COOP-A"], quality, "5")
    assert late.status_code == 200 and "De gunning is vastgelegd" in late.get_data(as_text=True)
    assert officer.post("/letters", "send").status_code == 302

    db.session.expire_all()
    with acting_for(ctx["buyer"].id):
        tender = tenders.get_tender(ctx["tender_id"])
        assert tender.status == TenderStatus.AWARDED
        decision = db.session.scalar(
            select(AwardDecision).where(AwardDecision.lot_id == ctx["lot_ids"][0])
        )
        assert decision.winner_id == bids["E-COOP-A"].id
        ends = decision.standstill_ends_at
    assert ends == evaluation.standstill_end(decision.letters_sent_at, tender.standstill_days)
    shown = format_datetime_local(ends, "nl", "long")
    assert "23:59:59" in shown  # the last day, to the second, in Amsterdam time
    page = officer.get()
    assert shown in page and "opschortende termijn eindigt" in page
    assert "Brieven versturen" not in page


def test_chair_sees_scores_others_after_their_own(app, db, closed_tender, make_user):  # noqa: F811
    ctx = closed_tender
    bids = _open(db, ctx)
    buyer, quality, bid = ctx["buyer"], ctx["quality"], bids["E-COOP-B"]
    second = make_user(buyer, "reviewer", name="Tweede Beoordelaar")
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        for person, chair in ((ctx["reviewer"], True), (second, False)):
            evaluation.assign_reviewer(
                actor=ctx["officials"][0], buyer=buyer, tender=tender, reviewer=person, chair=chair
            )
            evaluation.declare_no_conflict(reviewer=person, buyer=buyer, tender=tender)
        db.session.flush()
    chair, other = Page(app, ctx["reviewer"], ctx), Page(app, second, ctx)
    assert _score(chair, bid, quality, "7,5", "Degelijk plan van de voorzitter").status_code == 302
    page = other.get()
    assert "Degelijk plan van de voorzitter" not in page and "nadat u zelf hebt gescoord" in page
    assert f"consensus-{bid.id}-{quality.id}-points" not in page  # not the chair
    refused = _score(other, bid, quality, "7", "Eens", chair=True)
    assert refused.status_code == 200 and "Alleen de voorzitter" in refused.get_data(as_text=True)
    assert _score(other, bid, quality, "6", "Wat mager").status_code == 302
    page = other.get()
    assert "Degelijk plan van de voorzitter" in page and ctx["reviewer"].display_name in page
    assert "Uw eerdere score: 6" in page
    page = chair.get()
    assert "Wat mager" in page and "Tweede Beoordelaar" in page
    assert 'value="7,5"' in page  # the chair's own score, as typed


def test_two_envelopes_prices_open_after_quality(app, db, closed_tender):  # noqa: F811
    ctx = closed_tender
    bids = _open(db, ctx, two_envelopes=True)
    buyer, quality = ctx["buyer"], ctx["quality"]
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        evaluation.assign_reviewer(
            actor=ctx["officials"][0],
            buyer=buyer,
            tender=tender,
            reviewer=ctx["reviewer"],
            chair=True,
        )
        evaluation.declare_no_conflict(reviewer=ctx["reviewer"], buyer=buyer, tender=tender)
        db.session.flush()
    reviewer, officer = Page(app, ctx["reviewer"], ctx), Page(app, ctx["officials"][0], ctx)
    assert "nog verzegeld" in reviewer.get()
    assert "Prijzen openen" in officer.get()
    early = officer.post("/prices", "reveal")
    assert early.status_code == 200 and "Daarna gaan de prijzen open" in early.get_data(
        as_text=True
    )
    for bid in bids.values():
        assert _score(reviewer, bid, quality, "8", "Samen", chair=True).status_code == 302
    assert "De prijzen zijn nog niet geopend" in officer.get()
    assert officer.post("/prices", "reveal").status_code == 302
    page = officer.get()
    assert "Prijzen openen" not in page and "89,56" not in page  # A 8 vs B 8: B cheaper
    lot_one = _ranking_of(page, ctx["lot_ids"][0])
    assert lot_one.index("E-COOP-B") < lot_one.index("E-COOP-A") and "80.000,00" in lot_one


def test_abnormally_low_and_exclusion(app, db, closed_tender):  # noqa: F811
    ctx = closed_tender
    bids = _open(db, ctx)
    buyer, officer_user, quality = ctx["buyer"], ctx["officials"][0], ctx["quality"]
    with acting_for(buyer.id):
        tender = tenders.get_tender(ctx["tender_id"])
        bids["E-COOP-B"].price = Decimal("40000.00")  # 30% or more below the next price
        # The officer reviews too (as chair), so may read the bids and exclude one.
        evaluation.assign_reviewer(
            actor=officer_user, buyer=buyer, tender=tender, reviewer=officer_user, chair=True
        )
        evaluation.declare_no_conflict(reviewer=officer_user, buyer=buyer, tender=tender)
        for bid in (bids["E-COOP-A"], bids["E-COOP-B"]):
            evaluation.set_consensus(
                chair=officer_user,
                buyer=buyer,
                tender=tender,
                bid=bid,
                criterion=quality,
                points=Decimal(7),
                motivation="Samen",
            )
        db.session.flush()
    officer = Page(app, officer_user, ctx)
    provider = bids["E-PROVIDER"]
    empty = officer.post("/exclusions", f"exclude-{provider.id}", {"reason": ""}, bid=provider.id)
    assert empty.status_code == 200 and "Schrijf waarom" in empty.get_data(as_text=True)
    excluded = officer.post(
        "/exclusions", f"exclude-{provider.id}", {"reason": "Geen VOG"}, bid=provider.id
    )
    assert excluded.status_code == 302
    page = officer.get()
    lot_one = _ranking_of(page, ctx["lot_ids"][0])
    assert lot_one.index("E-COOP-B") < lot_one.index("E-COOP-A")
    assert "mogelijk abnormaal laag — onderzoeken" in lot_one
    assert "uitgesloten: Geen VOG" in _ranking_of(page, ctx["lot_ids"][1])
    # A bid of another tender (or none at all) is not reachable through this one.
    assert (
        officer.post("/exclusions", "exclude-999999", {"reason": "x"}, bid=999999).status_code
        == 404
    )
    assert officer.post("/exclusions", "exclude-1", {"reason": "x"}).status_code == 400


def test_before_the_opening_the_page_says_so(app, db, closed_tender):  # noqa: F811
    ctx = closed_tender
    officer = Page(app, ctx["officials"][0], ctx)
    page = officer.get()
    assert "nog niet geopend" in page and "Beoordelaar toevoegen" not in page
    for path, prefix in (("/reviewers", "assign"), ("/decision", "decide"), ("/letters", "send")):
        response = officer.post(path, prefix, {})
        assert response.status_code == 200
        assert "nog niet geopend" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/reviewers",
        "/declaration",
        "/scores",
        "/consensus",
        "/exclusions",
        "/prices",
        "/decision",
        "/letters",
    ],
)
def test_policy_officer_may_look_but_not_act(app, db, closed_tender, make_user, path):  # noqa: F811
    ctx = closed_tender
    _open(db, ctx)
    looker = client_for(app, make_user(ctx["buyer"], "policy_officer"))
    page = looker.get(_url(ctx))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "E-COOP" not in html and "Alleen de beoordelaars" in html
    token = csrf_from(html)
    assert looker.post(_url(ctx, path), data={"csrf_token": token}).status_code == 403


def test_bidders_and_other_buyers_get_404(app, db, closed_tender, make_org, make_user):  # noqa: F811
    ctx = closed_tender
    _open(db, ctx)
    other_buyer = make_org("municipality", slug="ev-elders")
    stranger = client_for(app, make_user(other_buyer, "procurement_officer"))
    assert stranger.get(_url(ctx)).status_code == 404
    assert stranger.get(f"/ev-elders/tenders/{ctx['tender_id']}/evaluation").status_code == 404
    coop = make_org("cooperative", slug="ev-coop")
    bidder = client_for(app, make_user(coop, "coordinator"))
    assert bidder.get(f"/ev-coop/tenders/{ctx['tender_id']}/evaluation").status_code == 404
    assert bidder.get(_url(ctx)).status_code == 404
