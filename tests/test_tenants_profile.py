"""Cooperative profile and service area; municipalities and regions find cooperatives."""

from __future__ import annotations

from datetime import date

import pytest

from koepel.platform.models import Affiliation, AffiliationKind
from koepel.platform.tenancy import acting_for
from koepel.tenants import catalogue
from koepel.tenants import profile as ops
from koepel.tenants.models import FundingSource, LegalForm, Phase, ServiceKind


def _coop(db, make_org, slug, municipality, public=True, phase=Phase.ACTIVE):
    coop = make_org("cooperative", slug=slug, name=f"Coöperatie {slug}")
    with acting_for(coop.id):
        ops.save(
            actor=None,
            org=coop,
            data=ops.ProfileData(
                legal_form=LegalForm.COOPERATIVE,
                kvk_number="12345678",
                description=f"Over {slug}",
                phase=phase,
                is_public=public,
                contact_name="Ria",
                contact_email="info@example.org",
            ),
        )
        ops.add_area(
            actor=None,
            org=coop,
            municipality=municipality,
            districts="Hoogeloon",
            postcode_ranges="5528",
        )
        catalogue.create(
            actor=None,
            org=coop,
            data=catalogue.ServiceData(
                code="transport",
                name="Vervoer",
                kind=ServiceKind.INFORMAL,
                funding=FundingSource.MEMBER_CONTRIBUTION,
                member_price=0,
            ),
        )
    return coop


def test_profile_rules(db, make_org):
    coop = make_org("cooperative")
    with acting_for(coop.id):
        for bad, field in (
            ({"kvk_number": "123"}, "kvk_number"),
            ({"contact_phone": "12"}, "contact_phone"),
            ({"is_public": True}, "contact_email"),
            ({"reciprocity_hours_per_month": 0}, "reciprocity_hours_per_month"),
        ):
            with pytest.raises(ops.ProfileError) as err:
                ops.save(
                    actor=None,
                    org=coop,
                    data=ops.ProfileData(legal_form=LegalForm.ASSOCIATION, **bad),
                )
            assert err.value.field == field
        with pytest.raises(ops.ProfileError):
            ops.add_area(
                actor=None,
                org=coop,
                municipality=make_org("provider"),
                districts="",
                postcode_ranges="",
            )


def test_municipality_sees_public_active_cooperatives_in_its_area(db, make_org):
    bladel, other = (
        make_org("municipality", slug="pm-bladel"),
        make_org("municipality", slug="pm-other"),
    )
    _coop(db, make_org, "pm-open", bladel)
    _coop(db, make_org, "pm-hidden", bladel, public=False)
    _coop(db, make_org, "pm-starting", bladel, phase=Phase.IN_FORMATION)
    _coop(db, make_org, "pm-elsewhere", other)
    found = ops.public_cooperatives_in([bladel.id])
    assert [c.name for c in found] == ["Coöperatie pm-open"]
    assert found[0].services == ["Vervoer"] and found[0].contact_email == "info@example.org"


def test_region_sees_its_municipalities(db, make_org):
    region, a, b = (
        make_org("region", slug="pm-peel"),
        make_org("municipality"),
        make_org("municipality"),
    )
    db.session.add(
        Affiliation(
            kind=AffiliationKind.REGION_MEMBER,
            parent_id=region.id,
            child_id=a.id,
            start_date=date(2015, 1, 1),
        )
    )
    db.session.flush()
    _coop(db, make_org, "pm-in-region", a)
    _coop(db, make_org, "pm-outside", b)
    assert [c.name for c in ops.public_cooperatives_in(ops.municipalities_of(region))] == [
        "Coöperatie pm-in-region"
    ]


def test_area_page_for_a_procurement_officer(client, db, make_org, make_user, login, count_queries):
    bladel = make_org("municipality", slug="pm-page")
    _coop(db, make_org, "pm-page-coop", bladel)
    login(make_user(bladel, "procurement_officer"))
    client.get("/pm-page/area")
    with count_queries() as small:
        html = client.get("/pm-page/area").get_data(as_text=True)
    assert "Coöperatie pm-page-coop" in html and "Vervoer" in html
    for i in range(5):
        _coop(db, make_org, f"pm-more-{i}", bladel)
    with count_queries() as large:
        client.get("/pm-page/area")
    assert large.count == small.count


def test_profile_form_keeps_input(client, db, make_org, make_user, login, csrf):
    coop = make_org("cooperative", slug="pm-form")
    login(make_user(coop, "board"))
    token = csrf("/pm-form/profile/edit")
    r = client.post(
        "/pm-form/profile/edit",
        data={
            "csrf_token": token,
            "legal_form": "foundation",
            "phase": "active",
            "kvk_number": "1234",
            "description": "Samen zorgen in Hoogeloon",
        },
    )
    html = r.get_data(as_text=True)
    assert "precies 8 cijfers" in html and "Samen zorgen in Hoogeloon" in html
    r = client.post(
        "/pm-form/profile/edit",
        data={
            "csrf_token": token,
            "legal_form": "foundation",
            "phase": "active",
            "kvk_number": "12345678",
        },
    )
    assert r.status_code == 302
