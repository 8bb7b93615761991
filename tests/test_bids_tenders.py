"""The buyer's tender rules, without HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from koepel.bids import tenders as ops
from koepel.bids.models import CriterionKind, LotKind, Procedure, TenderStatus
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow


@pytest.fixture
def buyer(db, make_org, make_user):
    org = make_org("municipality", slug="t-brunssum", name="Gemeente Brunssum")
    user = make_user(org, "procurement_officer")
    with acting_for(org.id):
        yield org, user


def _draft(buyer, **kw):
    org, user = buyer
    data = ops.TenderData(
        title="Sociaal domein Brunssum",
        procedure=Procedure.SOCIAL,
        submission_deadline=utcnow() + timedelta(days=30),
        **kw,
    )
    return ops.create(actor=user, buyer=org, data=data)


def test_a_complete_tender_is_published(db, buyer):
    org, user = buyer
    tender = _draft(buyer, estimated_value=Decimal("4000000"))
    for title in ("Jeugd en gezin", "Volwassenen", "Ouderen"):
        ops.add_lot(
            actor=user,
            buyer=org,
            tender=tender,
            title=title,
            kind=LotKind.THEMATIC,
            budget=Decimal("1333333.33"),
            reserved_share=Decimal("10"),
        )
    ops.add_criterion(
        actor=user,
        buyer=org,
        tender=tender,
        title="Prijs",
        kind=CriterionKind.PRICE,
        weight=Decimal("30"),
    )
    ops.add_criterion(
        actor=user,
        buyer=org,
        tender=tender,
        title="Kwaliteit",
        kind=CriterionKind.QUALITY,
        weight=Decimal("50"),
    )
    ops.add_criterion(
        actor=user,
        buyer=org,
        tender=tender,
        title="Maatschappelijke meerwaarde",
        kind=CriterionKind.SOCIAL_VALUE,
        weight=Decimal("20"),
    )
    ops.add_requirement(
        actor=user,
        buyer=org,
        tender=tender,
        title="Raad van toezicht",
        equivalent="Een algemene ledenvergadering die het bestuur controleert",
    )
    ops.publish(actor=user, buyer=org, tender=tender)
    assert tender.status == TenderStatus.PUBLISHED and [lot.number for lot in tender.lots] == [
        1,
        2,
        3,
    ]
    assert ops.accepts_bids(tender)
    assert not ops.accepts_bids(tender, now=tender.submission_deadline)  # at the instant: closed
    with pytest.raises(ops.TenderError):
        ops.add_lot(
            actor=user,
            buyer=org,
            tender=tender,
            title="Nog een",
            kind=LotKind.THEMATIC,
            budget=Decimal("1"),
        )


def test_publish_refuses_weights_not_summing_to_100(db, buyer):
    org, user = buyer
    tender = _draft(buyer)
    ops.add_lot(
        actor=user, buyer=org, tender=tender, title="Perceel", kind=LotKind.GEOGRAPHIC, budget=100
    )
    ops.add_criterion(
        actor=user, buyer=org, tender=tender, title="Prijs", kind=CriterionKind.PRICE, weight=40
    )
    ops.add_criterion(
        actor=user,
        buyer=org,
        tender=tender,
        title="Kwaliteit",
        kind=CriterionKind.QUALITY,
        weight=Decimal("59.5"),
    )
    with pytest.raises(ops.TenderError) as err:
        ops.publish(actor=user, buyer=org, tender=tender)
    assert err.value.field == "weight" and "99,5" in str(err.value)
    with pytest.raises(ops.TenderError):
        ops.add_criterion(
            actor=user,
            buyer=org,
            tender=tender,
            title="Nog een prijs",
            kind=CriterionKind.PRICE,
            weight=1,
        )


def test_deadlines(db, buyer):
    org, user = buyer
    past = _draft(buyer)
    past.submission_deadline = utcnow() - timedelta(minutes=1)
    ops.add_lot(
        actor=user, buyer=org, tender=past, title="Perceel", kind=LotKind.GEOGRAPHIC, budget=100
    )
    ops.add_criterion(
        actor=user, buyer=org, tender=past, title="Prijs", kind=CriterionKind.PRICE, weight=100
    )
    with pytest.raises(ops.TenderError) as err:
        ops.publish(actor=user, buyer=org, tender=past)
    assert err.value.field == "submission_deadline"
    past.submission_deadline = utcnow() + timedelta(days=1)
    ops.publish(actor=user, buyer=org, tender=past)
    later = utcnow() + timedelta(days=10)
    ops.change_deadline(actor=user, buyer=org, tender=past, new_deadline=later)
    assert past.submission_deadline == later
    with pytest.raises(ops.TenderError):  # passed: frozen
        ops.change_deadline(
            actor=user,
            buyer=org,
            tender=past,
            new_deadline=later + timedelta(days=1),
            now=later + timedelta(seconds=1),
        )


def test_only_municipalities_and_regions_buy(db, make_org, make_user):
    coop = make_org("cooperative")
    user = make_user(coop, "board")
    with acting_for(coop.id), pytest.raises(ops.TenderError):
        ops.create(actor=user, buyer=coop, data=ops.TenderData(title="x", procedure=Procedure.OPEN))


def test_reserved_share_and_budget_are_checked(db, buyer):
    org, user = buyer
    tender = _draft(buyer)
    with pytest.raises(ops.TenderError) as err:
        ops.add_lot(
            actor=user,
            buyer=org,
            tender=tender,
            title="Perceel",
            kind=LotKind.THEMATIC,
            budget=Decimal("100"),
            reserved_share=Decimal("101"),
        )
    assert err.value.field == "reserved_share"
    with pytest.raises(ops.TenderError):
        ops.add_lot(
            actor=user, buyer=org, tender=tender, title="Perceel", kind=LotKind.THEMATIC, budget=0
        )
    with pytest.raises(ops.TenderError):
        ops.create(
            actor=user,
            buyer=org,
            data=ops.TenderData(title="x", procedure=Procedure.OPEN, standstill_days=10),
        )
