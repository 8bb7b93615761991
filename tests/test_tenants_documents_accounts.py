"""Shared documents from an umbrella; a volunteer linked to their member record logs hours."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from koepel.platform.models import Affiliation, AffiliationKind
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import local_today
from koepel.tenants import members as member_ops
from koepel.tenants import umbrella as ops
from koepel.tenants import volunteers
from koepel.tenants.models import HourEntry

from conftest import csrf_from


def test_shared_document_reaches_members_only(client, db, make_org, make_user, login, csrf):
    koepel = make_org("umbrella", slug="doc-koepel")
    member_coop, other_coop = (
        make_org("cooperative", slug="doc-lid"),
        make_org("cooperative", slug="doc-ander"),
    )
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=koepel.id,
            child_id=member_coop.id,
            start_date=date(2020, 1, 1),
        )
    )
    staff = make_user(koepel, "staff")
    with pytest.raises(ops.UmbrellaError):
        ops.share_document(
            actor=staff, umbrella=koepel, title="X", filename="virus.exe", data=b"MZ"
        )
    login(staff)
    token = csrf("/doc-koepel/news")
    r = client.post(
        "/doc-koepel/documents",
        data={
            "doc-csrf_token": token,
            "doc-title": "Handreiking AVG",
            "doc-file": (io.BytesIO(b"%PDF-1.4 test"), "handreiking.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    (document,) = ops.documents_for(member_coop)
    assert document.title == "Handreiking AVG" and ops.documents_for(other_coop) == []
    assert client.get(f"/doc-koepel/documents/{document.id}").data.startswith(b"%PDF")

    reader = client.application.test_client()
    board = make_user(member_coop, "board")
    page = reader.get("/login")
    reader.post(
        "/login",
        data={
            "email": board.email,
            "password": "correct horse battery",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert "Handreiking AVG" in reader.get("/doc-lid/umbrellas").get_data(as_text=True)
    download = reader.get(f"/doc-lid/umbrellas/documents/{document.id}")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    outsider = client.application.test_client()
    other_board = make_user(other_coop, "board")
    page = outsider.get("/login")
    outsider.post(
        "/login",
        data={
            "email": other_board.email,
            "password": "correct horse battery",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert outsider.get(f"/doc-ander/umbrellas/documents/{document.id}").status_code == 404


def test_volunteer_logs_own_hours_once_linked(client, db, make_org, make_user, login, csrf):
    coop = make_org("cooperative", slug="acc-coop")
    volunteer_user, colleague_user = make_user(coop, "volunteer"), make_user(coop, "volunteer")
    outsider = make_user(make_org("cooperative"), "volunteer")
    with acting_for(coop.id):
        me = member_ops.register(
            actor=None,
            org=coop,
            data=member_ops.MemberData(
                first_name="Henk", last_name="Vrijwilliger", joined_on=date(2020, 1, 1)
            ),
        )
        colleague = member_ops.register(
            actor=None,
            org=coop,
            data=member_ops.MemberData(
                first_name="Ans", last_name="Collega", joined_on=date(2020, 1, 1)
            ),
        )
        mine = volunteers.save(
            actor=None, org=coop, member=me, skills=["transport"], availability=[], vog_date=None
        )
        theirs = volunteers.save(
            actor=None,
            org=coop,
            member=colleague,
            skills=["transport"],
            availability=[],
            vog_date=None,
        )
        with pytest.raises(member_ops.MemberError):
            member_ops.link_account(
                actor=None, org=coop, member=me, user=outsider
            )  # not of this coop
        member_ops.link_account(actor=None, org=coop, member=colleague, user=colleague_user)
        with pytest.raises(member_ops.MemberError):
            member_ops.link_account(actor=None, org=coop, member=me, user=colleague_user)  # taken
        mine_id, theirs_id = mine.id, theirs.id

    login(volunteer_user)
    assert "nog niet gekoppeld" in client.get("/acc-coop/hours").get_data(as_text=True)
    with acting_for(coop.id):
        member_ops.link_account(actor=None, org=coop, member=me, user=volunteer_user)
    page = client.get("/acc-coop/hours").get_data(as_text=True)
    assert "Henk Vrijwilliger" in page and "Ans Collega" not in page
    token = csrf_from(page)
    today = local_today().isoformat()
    r = client.post(
        "/acc-coop/hours",
        data={"csrf_token": token, "volunteer_id": theirs_id, "worked_on": today, "hours": "2"},
    )
    assert r.status_code == 200  # someone else's profile is not a valid choice
    r = client.post(
        "/acc-coop/hours",
        data={"csrf_token": token, "volunteer_id": mine_id, "worked_on": today, "hours": "1:30"},
    )
    assert r.status_code == 302
    with acting_for(coop.id):
        entries = db.session.scalars(select(HourEntry)).all()
    assert [(e.volunteer_id, e.minutes) for e in entries] == [(mine_id, 90)]
