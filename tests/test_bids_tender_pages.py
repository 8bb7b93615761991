"""The buyer's tender pages: drafting with Dutch input, publishing, moving the deadline,
cancelling; forms that keep what was typed; who may see and change what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.bids import tenders as ops
from koepel.bids.models import CriterionKind, LotKind, Procedure, Tender, TenderStatus
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import AMSTERDAM, parse_local, utcnow

SLUG = "tp-bladel"


@pytest.fixture
def buyer(db, make_org):
    return make_org("municipality", slug=SLUG, name="Gemeente Bladel")


@pytest.fixture
def officer(buyer, make_user):
    return make_user(buyer, "procurement_officer")


def _day(days: int) -> str:
    """A date ``days`` from today (Dutch calendar) as a date input sends it."""
    return (utcnow().astimezone(AMSTERDAM).date() + timedelta(days=days)).isoformat()


def _tender(buyer, user, *, lots=0, weights=(), publish=False) -> Tender:
    with acting_for(buyer.id):
        tender = ops.create(
            actor=user,
            buyer=buyer,
            data=ops.TenderData(
                title="Ondersteuning thuis",
                procedure=Procedure.SOCIAL,
                submission_deadline=utcnow() + timedelta(days=30),
            ),
        )
        for n in range(lots):
            ops.add_lot(
                actor=user,
                buyer=buyer,
                tender=tender,
                title=f"Kern {n + 1}",
                kind=LotKind.GEOGRAPHIC,
                budget=Decimal("100000"),
            )
        for n, weight in enumerate(weights):
            ops.add_criterion(
                actor=user,
                buyer=buyer,
                tender=tender,
                title=f"Criterium {n + 1}",
                kind=CriterionKind.QUALITY,
                weight=Decimal(weight),
            )
        if publish:
            ops.publish(actor=user, buyer=buyer, tender=tender)
    return tender


def _new_form(token: str, **changes) -> dict:
    data = {
        "csrf_token": token,
        "title": "Welzijn en mantelzorg Bladel",
        "procedure": "social",
        "description": "Ondersteuning dicht bij huis.",
        "estimated_value": "1.250.000,00",
        "questions_date": _day(20),
        "questions_time": "12:00",
        "submission_date": _day(40),
        "submission_time": "14:00",
        "standstill_days": "20",
        "price_after_quality": "y",
    }
    data.update(changes)
    return data


def test_officer_drafts_and_publishes_a_tender(client, db, buyer, officer, login, csrf):
    login(officer)
    html = client.get(f"/{SLUG}/tenders").get_data(as_text=True)
    assert "Nieuwe aanbesteding" in html and "Er zijn nog geen aanbestedingen." in html

    r = client.post(f"/{SLUG}/tenders/new", data=_new_form(csrf(f"/{SLUG}/tenders/new")))
    assert r.status_code == 302, r.get_data(as_text=True)
    with acting_for(buyer.id):
        tender = db.session.scalars(select(Tender)).one()
        assert tender.status == TenderStatus.DRAFT
        assert tender.estimated_value == Decimal("1250000.00")
        # Dutch wall time in, UTC stored: 14:00 in Bladel is 12:00 or 13:00 UTC.
        assert tender.submission_deadline == parse_local(_day(40), "14:00")
        assert tender.questions_deadline == parse_local(_day(20), "12:00")
        assert tender.price_after_quality and not tender.show_bid_count
    detail = f"/{SLUG}/tenders/{tender.id}"
    assert r.headers["Location"].endswith(detail)

    page = client.get(detail).get_data(as_text=True)
    assert "Welzijn en mantelzorg Bladel" in page and "Maatschappelijk aanbesteden" in page
    assert "€\xa01.250.000,00" in page and "14:00" in page and "concept" in page

    for title, budget in (("Bladel-centrum", "600.000,00"), ("Hapert en Casteren", "650.000")):
        token = csrf(detail)
        r = client.post(
            f"{detail}/lots",
            data={
                "lot-csrf_token": token,
                "lot-title": title,
                "lot-kind": "geographic",
                "lot-area": "5531",
                "lot-budget": budget,
                "lot-reserved_share": "12,5",
            },
        )
        assert r.status_code == 302, r.get_data(as_text=True)
    for title, kind, weight in (("Prijs", "price", "40"), ("Kwaliteit", "quality", "60")):
        r = client.post(
            f"{detail}/criteria",
            data={
                "criterion-csrf_token": csrf(detail),
                "criterion-title": title,
                "criterion-kind": kind,
                "criterion-weight": weight,
            },
        )
        assert r.status_code == 302, r.get_data(as_text=True)
    r = client.post(
        f"{detail}/requirements",
        data={
            "requirement-csrf_token": csrf(detail),
            "requirement-title": "Raad van toezicht",
            "requirement-equivalent": "Een algemene ledenvergadering",
        },
    )
    assert r.status_code == 302

    page = client.get(detail).get_data(as_text=True)
    assert "€\xa0600.000,00" in page and "€\xa01.250.000,00" in page  # the lots and their total
    assert "12,5%" in page and "Een algemene ledenvergadering" in page
    assert "De wegingen tellen op tot" not in page  # 40 + 60 = 100
    with acting_for(buyer.id):
        db.session.expire_all()
        tender = db.session.get(Tender, tender.id)
        assert [lot.reserved_share for lot in tender.lots] == [Decimal("12.5")] * 2
        assert [lot.budget for lot in tender.lots] == [Decimal("600000"), Decimal("650000")]

    r = client.post(f"{detail}/publish", data={"publish-csrf_token": csrf(detail)})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(detail).get_data(as_text=True)
    assert "De aanbesteding is gepubliceerd." in page and "gepubliceerd" in page
    assert "Perceel toevoegen" not in page and "Sluitingstermijn wijzigen" in page
    listing = client.get(f"/{SLUG}/tenders").get_data(as_text=True)
    assert "Welzijn en mantelzorg Bladel" in listing and "gepubliceerd" in listing


def test_weights_that_do_not_sum_to_100_refuse_publishing(client, db, buyer, officer, login, csrf):
    tender = _tender(buyer, officer, lots=1, weights=("40",))
    login(officer)
    detail = f"/{SLUG}/tenders/{tender.id}"
    r = client.post(
        f"{detail}/criteria",
        data={
            "criterion-csrf_token": csrf(detail),
            "criterion-title": "Kwaliteit",
            "criterion-kind": "quality",
            "criterion-weight": "59,5",
        },
    )
    assert r.status_code == 302
    page = client.get(detail).get_data(as_text=True)
    assert "59,5%" in page and "De wegingen tellen op tot 99,5%" in page

    r = client.post(f"{detail}/publish", data={"publish-csrf_token": csrf(detail)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "De percentages tellen op tot 99,5%, maar moeten samen precies 100% zijn." in html
    with acting_for(buyer.id):
        db.session.expire_all()
        assert db.session.get(Tender, tender.id).status == TenderStatus.DRAFT


def test_a_deadline_in_the_past_is_refused_with_the_typed_values_kept(
    client, db, buyer, officer, login, csrf
):
    login(officer)
    yesterday = _day(-1)
    r = client.post(
        f"/{SLUG}/tenders/new",
        data=_new_form(
            csrf(f"/{SLUG}/tenders/new"),
            submission_date=yesterday,
            questions_date="",
            questions_time="",
        ),
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Deze sluitingstermijn ligt in het verleden" in html
    assert 'aria-invalid="true"' in html and 'id="submission_date-error"' in html
    assert 'value="Welzijn en mantelzorg Bladel"' in html
    assert 'value="1.250.000,00"' in html and f'value="{yesterday}"' in html
    assert 'value="14:00"' in html and "Ondersteuning dicht bij huis." in html
    with acting_for(buyer.id):
        assert db.session.scalars(select(Tender)).all() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"submission_date": "29-03-2027"}, "Vul een geldige datum in"),
        ({"submission_time": ""}, "Vul een tijd in"),
        ({"estimated_value": "1.23"}, "Dit is geen geldig bedrag"),
        ({"standstill_days": "10"}, "Kies een termijn van 20 tot 365 dagen."),
        ({"questions_date": _day(50)}, "Vragen stellen moet kunnen stoppen"),
        ({"questions_time": ""}, "Vul ook een tijd in"),
    ],
)
def test_new_tender_says_what_is_wrong_next_to_the_field(
    client, db, buyer, officer, login, csrf, changes, message
):
    login(officer)
    r = client.post(f"/{SLUG}/tenders/new", data=_new_form(csrf(f"/{SLUG}/tenders/new"), **changes))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and message in html
    assert 'value="Welzijn en mantelzorg Bladel"' in html


def test_bad_numbers_in_the_draft_forms_keep_what_was_typed(
    client, db, buyer, officer, login, csrf
):
    tender = _tender(buyer, officer)
    login(officer)
    detail = f"/{SLUG}/tenders/{tender.id}"
    r = client.post(
        f"{detail}/criteria",
        data={
            "criterion-csrf_token": csrf(detail),
            "criterion-title": "Samenwerking in de wijk",
            "criterion-kind": "social_value",
            "criterion-weight": "veertig",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Schrijf een percentage als 12,5" in html and 'id="criterion-weight-error"' in html
    assert 'value="Samenwerking in de wijk"' in html and 'value="veertig"' in html

    r = client.post(
        f"{detail}/criteria",
        data={
            "criterion-csrf_token": csrf(detail),
            "criterion-title": "Alles",
            "criterion-kind": "quality",
            "criterion-weight": "120",
        },
    )
    assert r.status_code == 200
    assert "Een weging is een percentage groter dan 0 en hoogstens 100." in r.get_data(as_text=True)

    r = client.post(
        f"{detail}/lots",
        data={
            "lot-csrf_token": csrf(detail),
            "lot-title": "Hoogeloon",
            "lot-kind": "geographic",
            "lot-budget": "€ 80.000,00",
            "lot-reserved_share": "150",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Het voorbehouden deel is een percentage tussen 0 en 100." in html
    assert 'id="lot-reserved_share-error"' in html and 'value="€ 80.000,00"' in html
    r = client.post(
        f"{detail}/lots",
        data={
            "lot-csrf_token": csrf(detail),
            "lot-title": "Hoogeloon",
            "lot-kind": "geographic",
            "lot-budget": "80,000.00",
        },
    )
    assert r.status_code == 200 and 'id="lot-budget-error"' in r.get_data(as_text=True)
    with acting_for(buyer.id):
        db.session.expire_all()
        tender = db.session.get(Tender, tender.id)
        assert tender.lots == [] and tender.criteria == []


def test_deadline_is_moved_and_tender_cancelled_after_publishing(
    client, db, buyer, officer, login, csrf
):
    tender = _tender(buyer, officer, lots=1, weights=("100",), publish=True)
    login(officer)
    detail = f"/{SLUG}/tenders/{tender.id}"
    r = client.post(
        f"{detail}/deadline",
        data={
            "deadline-csrf_token": csrf(detail),
            "deadline-submission_date": _day(-2),
            "deadline-submission_time": "09:30",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "De nieuwe sluitingstermijn moet in de toekomst liggen." in html
    assert f'value="{_day(-2)}"' in html and 'value="09:30"' in html

    r = client.post(
        f"{detail}/deadline",
        data={
            "deadline-csrf_token": csrf(detail),
            "deadline-submission_date": _day(60),
            "deadline-submission_time": "09:30",
            "deadline-reason": "Meer tijd voor inschrijvers.",
        },
    )
    assert r.status_code == 302
    with acting_for(buyer.id):
        db.session.expire_all()
        assert db.session.get(Tender, tender.id).submission_deadline == parse_local(
            _day(60), "09:30"
        )

    r = client.post(f"{detail}/cancel", data={"cancel-csrf_token": csrf(detail)})
    assert r.status_code == 200 and "Schrijf waarom de aanbesteding stopt." in r.get_data(
        as_text=True
    )
    r = client.post(
        f"{detail}/cancel",
        data={"cancel-csrf_token": csrf(detail), "cancel-reason": "Het budget is geschrapt."},
    )
    assert r.status_code == 302
    page = client.get(detail).get_data(as_text=True)
    assert "ingetrokken" in page and "Aanbesteding intrekken" not in page


def test_a_published_tender_refuses_new_lots_with_a_message(
    client, db, buyer, officer, login, csrf
):
    tender = _tender(buyer, officer, lots=1, weights=("100",), publish=True)
    login(officer)
    detail = f"/{SLUG}/tenders/{tender.id}"
    r = client.post(
        f"{detail}/lots",
        data={
            "lot-csrf_token": csrf(detail),
            "lot-title": "Nog één",
            "lot-kind": "thematic",
            "lot-budget": "1.000",
        },
    )
    assert r.status_code == 200
    assert "Een gepubliceerde aanbesteding kan zo niet meer worden gewijzigd." in r.get_data(
        as_text=True
    )


def test_reviewer_sees_but_may_not_change(client, db, buyer, officer, make_user, login, csrf):
    tender = _tender(buyer, officer, lots=1)
    login(make_user(buyer, "reviewer"))
    detail = f"/{SLUG}/tenders/{tender.id}"
    listing = client.get(f"/{SLUG}/tenders")
    assert listing.status_code == 200 and "Ondersteuning thuis" in listing.get_data(as_text=True)
    assert "Nieuwe aanbesteding" not in listing.get_data(as_text=True)
    page = client.get(detail)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kern 1" in html
    assert "Perceel toevoegen" not in html and "Publiceren" not in html
    assert client.get(f"/{SLUG}/tenders/new").status_code == 403
    token = csrf(detail)
    for path in ("lots", "criteria", "requirements", "publish", "deadline", "cancel"):
        r = client.post(f"{detail}/{path}", data={"csrf_token": token})
        assert r.status_code == 403, path
    assert client.post(f"/{SLUG}/tenders/new", data={"csrf_token": token}).status_code == 403


def test_another_municipality_gets_404(client, db, buyer, officer, make_org, make_user, login):
    tender = _tender(buyer, officer)
    other = make_org("municipality", slug="tp-laarbeek")
    login(make_user(other, "procurement_officer"))
    assert client.get(f"/tp-laarbeek/tenders/{tender.id}").status_code == 404
    assert client.get(f"/{SLUG}/tenders/{tender.id}").status_code == 404
    assert "Ondersteuning thuis" not in client.get("/tp-laarbeek/tenders").get_data(as_text=True)


def test_a_cooperative_has_no_tender_pages(client, db, make_org, make_user, login):
    coop = make_org("cooperative", slug="tp-coop")
    login(make_user(coop, "board"))
    assert client.get("/tp-coop/tenders").status_code == 404
    assert client.get("/tp-coop/tenders/new").status_code == 404


def test_a_region_has_tender_pages(client, db, make_org, make_user, login):
    region = make_org("region", slug="tp-peel")
    login(make_user(region, "procurement_officer"))
    assert client.get("/tp-peel/tenders").status_code == 200
    assert client.get("/tp-peel/tenders/new").status_code == 200
