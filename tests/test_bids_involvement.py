"""Duty to involve: a municipality finds the local initiatives of its area (by name and
working area), invites them to a planned tender or procurement table, each answers as
bidder, as adviser or not at all, and the municipality sees who responded. Walls: an
invitation is seen only by whom it is addressed to; another municipality gets 404."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koepel.bids import involvement as ops
from koepel.bids import tenders
from koepel.bids.models import CriterionKind, LotKind, Procedure
from koepel.bids.models.challenges import InvolvementAnswer
from koepel.platform.models import Affiliation, AffiliationKind, OutboxMessage
from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow
from koepel.tenants.models import ServiceArea

from conftest import client_for, csrf_from


@pytest.fixture
def kempen(db, make_org, make_user):
    bladel = make_org("municipality", slug="iv-bladel", name="Gemeente Bladel")
    hoogeloon = make_org("cooperative", slug="iv-hoogeloon", name="Zorgcoöperatie Hoogeloon")
    umbrella = make_org("umbrella", slug="iv-kzzn", name="Koepel Zorgcoöperaties Zuid")
    elsewhere = make_org("cooperative", slug="iv-zeist", name="Zorgcoöperatie Austerlitz")
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=hoogeloon.id,
            start_date=date(2016, 1, 1),
        )
    )
    with acting_for(hoogeloon.id):
        db.session.add(
            ServiceArea(
                tenant_id=hoogeloon.id, municipality_id=bladel.id, districts="Hoogeloon, Casteren"
            )
        )
        db.session.flush()
    return {
        "bladel": bladel,
        "officer": make_user(bladel, "procurement_officer"),
        "hoogeloon": hoogeloon,
        "coordinator": make_user(hoogeloon, "coordinator"),
        "volunteer": make_user(hoogeloon, "volunteer"),
        "umbrella": umbrella,
        "staff": make_user(umbrella, "staff"),
        "elsewhere": elsewhere,
    }


def _table(kempen, **extra):
    with acting_for(kempen["bladel"].id):
        return ops.create(
            actor=kempen["officer"],
            municipality=kempen["bladel"],
            title="Inkooptafel dagbesteding Kempen",
            area="Hoogeloon, Casteren",
            **extra,
        )


def test_candidates_come_from_the_area_and_by_name(db, kempen):
    bladel = kempen["bladel"]
    with acting_for(bladel.id):
        local = ops.candidates(bladel)
        names = [c.organisation.name for c in local]
        assert names == ["Koepel Zorgcoöperaties Zuid", "Zorgcoöperatie Hoogeloon"]
        assert all(c.in_area for c in local)
        everyone = ops.candidates(bladel, area_only=False, name="Zorgcoöperatie")
        assert [(c.organisation.name, c.in_area) for c in everyone] == [
            ("Koepel Zorgcoöperaties Zuid", True),
            ("Zorgcoöperatie Austerlitz", False),
            ("Zorgcoöperatie Hoogeloon", True),
        ]
        assert ops.candidates(bladel, name="50%_") == []  # wildcards are plain text
        assert (
            ops.candidates(bladel, skip={kempen["hoogeloon"].id})[0].organisation
            == kempen["umbrella"]
        )


def test_invite_respond_and_see_who_responded(db, kempen):
    table = _table(kempen)
    bladel, hoogeloon, umbrella = kempen["bladel"], kempen["hoogeloon"], kempen["umbrella"]
    with acting_for(bladel.id):
        with pytest.raises(ops.InvolvementError) as refused:
            ops.invite(
                actor=kempen["officer"], municipality=bladel, involvement=table, organisations=[]
            )
        assert refused.value.field == "organisations"
        with pytest.raises(ops.InvolvementError, match="zorgcoöperaties en koepels"):
            ops.invite(
                actor=kempen["officer"],
                municipality=bladel,
                involvement=table,
                organisations=[bladel],
            )
        rows = ops.invite(
            actor=kempen["officer"],
            municipality=bladel,
            involvement=table,
            organisations=[hoogeloon, umbrella],
        )
        assert len(rows) == 2
        with pytest.raises(ops.InvolvementError, match="al uitgenodigd"):
            ops.invite(
                actor=kempen["officer"],
                municipality=bladel,
                involvement=table,
                organisations=[hoogeloon],
            )
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == kempen["coordinator"].email)
    )
    assert mail.subject == "Uitnodiging: Inkooptafel dagbesteding Kempen"
    assert "Gemeente Bladel" in mail.body_text and "adviseur" in mail.body_text

    with acting_for(hoogeloon.id):
        (invitation,) = ops.invitations_for(hoogeloon)
        assert invitation.municipality_name == "Gemeente Bladel" and invitation.response is None
        ops.respond(
            actor=kempen["coordinator"],
            organisation=hoogeloon,
            invitee_id=invitation.invitee_id,
            answer=InvolvementAnswer.BIDDER,
            note="Onze coördinator schuift aan.",
        )
        # Another organisation's invitation cannot be answered.
        other_id = next(r.id for r in rows if r.organisation_id == umbrella.id)
        with pytest.raises(ops.InvolvementError):
            ops.respond(
                actor=kempen["coordinator"],
                organisation=hoogeloon,
                invitee_id=other_id,
                answer=InvolvementAnswer.DECLINED,
            )
    with acting_for(umbrella.id):
        ops.respond(
            actor=kempen["staff"],
            organisation=umbrella,
            invitee_id=other_id,
            answer=InvolvementAnswer.ADVISER,
        )
        # A later answer replaces the earlier one.
        ops.respond(
            actor=kempen["staff"],
            organisation=umbrella,
            invitee_id=other_id,
            answer=InvolvementAnswer.DECLINED,
            note="Geen tijd dit jaar.",
        )
    with acting_for(bladel.id):
        table = ops.get(table.id)
        answers = {
            row.invitee_id: (row.answer, row.note) for row in ops.responses_to(table).values()
        }
    assert sorted(answers.values()) == [
        (InvolvementAnswer.BIDDER, "Onze coördinator schuift aan."),
        (InvolvementAnswer.DECLINED, "Geen tijd dit jaar."),
    ]


def test_a_linked_tender_is_named_to_invitees_only_once_published(db, kempen):
    bladel, officer = kempen["bladel"], kempen["officer"]
    with acting_for(bladel.id):
        tender = tenders.create(
            actor=officer,
            buyer=bladel,
            data=tenders.TenderData(
                title="Dagbesteding Kempen 2027",
                procedure=Procedure.SOCIAL,
                submission_deadline=utcnow() + timedelta(days=30),
            ),
        )
    table = _table(kempen, tender_id=tender.id)
    with acting_for(bladel.id):
        ops.invite(
            actor=officer,
            municipality=bladel,
            involvement=table,
            organisations=[kempen["hoogeloon"]],
        )
    with acting_for(kempen["hoogeloon"].id):
        (invitation,) = ops.invitations_for(kempen["hoogeloon"])
    assert invitation.tender_id is None and invitation.tender_title is None
    with acting_for(bladel.id):
        tenders.add_lot(
            actor=officer,
            buyer=bladel,
            tender=tender,
            title="Hoogeloon",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("90000"),
        )
        tenders.add_criterion(
            actor=officer,
            buyer=bladel,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=Decimal(100),
        )
        tenders.publish(actor=officer, buyer=bladel, tender=tender)
    with acting_for(kempen["hoogeloon"].id):
        (invitation,) = ops.invitations_for(kempen["hoogeloon"])
    assert (
        invitation.tender_id == tender.id and invitation.tender_title == "Dagbesteding Kempen 2027"
    )
    # Only the municipality's own tenders can be linked.
    other = _other_municipality_tender(db, kempen)
    with acting_for(bladel.id), pytest.raises(ops.InvolvementError) as refused:
        ops.create(actor=officer, municipality=bladel, title="X", tender_id=other)
    assert refused.value.field == "tender_id"


def _other_municipality_tender(db, kempen) -> int:
    from koepel.platform.models import Organisation, OrgKind

    eersel = Organisation(kind=OrgKind.MUNICIPALITY, slug="iv-eersel", name="Gemeente Eersel")
    db.session.add(eersel)
    db.session.flush()
    with acting_for(eersel.id):
        return tenders.create(
            actor=kempen["officer"],
            buyer=eersel,
            data=tenders.TenderData(title="Elders", procedure=Procedure.OPEN),
        ).id


# -- pages ----------------------------------------------------------------------------------


def test_invite_and_respond_through_the_pages(app, db, kempen, make_org, make_user):
    officer = client_for(app, kempen["officer"])
    base = f"/{kempen['bladel'].slug}/involvement"
    page = officer.get(f"{base}/new").get_data(as_text=True)
    empty = officer.post(
        f"{base}/new", data={"title": "", "area": "Hoogeloon", "csrf_token": csrf_from(page)}
    )
    assert empty.status_code == 200
    assert "Geef de uitnodiging een titel." in empty.get_data(as_text=True)
    assert 'value="Hoogeloon"' in empty.get_data(as_text=True)
    made = officer.post(
        f"{base}/new",
        data={"title": "Inkooptafel Kempen", "area": "Hoogeloon", "csrf_token": csrf_from(page)},
    )
    assert made.status_code == 302
    url = made.headers["Location"]
    page = officer.get(url).get_data(as_text=True)
    assert "Zorgcoöperatie Hoogeloon" in page and "werkt in uw gebied" in page
    assert "Zorgcoöperatie Austerlitz" not in page  # not from the area
    assert "Zorgcoöperatie Austerlitz" in officer.get(f"{url}?q=Austerlitz&area=0").get_data(
        as_text=True
    )
    nobody = officer.post(f"{url}/invite", data={"csrf_token": csrf_from(page)})
    assert nobody.status_code == 200
    assert "Kies minstens één organisatie." in nobody.get_data(as_text=True)
    invited = officer.post(
        f"{url}/invite",
        data={"organisation": [str(kempen["hoogeloon"].id)], "csrf_token": csrf_from(page)},
    )
    assert invited.status_code == 302
    assert "nog geen antwoord" in officer.get(url).get_data(as_text=True)

    coordinator = client_for(app, kempen["coordinator"])
    mine = f"/{kempen['hoogeloon'].slug}/invitations-to-take-part"
    page = coordinator.get(mine).get_data(as_text=True)
    assert "Inkooptafel Kempen" in page and "Gemeente Bladel" in page
    invitee_id = int(re.search(r"/invitations-to-take-part/(\d+)/respond", page).group(1))
    prefix = f"r{invitee_id}"
    missing = coordinator.post(
        f"{mine}/{invitee_id}/respond",
        data={f"{prefix}-note": "Wij denken mee", f"{prefix}-csrf_token": csrf_from(page)},
    )
    assert missing.status_code == 200
    assert "Kies een antwoord." in missing.get_data(as_text=True)
    assert "Wij denken mee" in missing.get_data(as_text=True)
    answered = coordinator.post(
        f"{mine}/{invitee_id}/respond",
        data={
            f"{prefix}-answer": "adviser",
            f"{prefix}-note": "Wij denken mee",
            f"{prefix}-csrf_token": csrf_from(page),
        },
    )
    assert answered.status_code == 302
    page = officer.get(url).get_data(as_text=True)
    assert "Wij doen mee als adviseur aan tafel" in page and "Wij denken mee" in page

    # Walls: another organisation answering this invitation, another municipality.
    stranger = make_user(make_org("cooperative", slug="iv-elders"), "board")
    other = client_for(app, stranger)
    token = csrf_from(other.get("/iv-elders/invitations-to-take-part").get_data(as_text=True))
    assert (
        other.post(
            f"/iv-elders/invitations-to-take-part/{invitee_id}/respond",
            data={f"{prefix}-answer": "declined", "csrf_token": token},
        ).status_code
        == 404
    )
    eersel = make_org("municipality", slug="iv-eersel2")
    foreign = client_for(app, make_user(eersel, "procurement_officer"))
    involvement_id = url.rstrip("/").rsplit("/", 1)[1]
    assert foreign.get(f"/{eersel.slug}/involvement/{involvement_id}").status_code == 404
    assert foreign.get(url).status_code == 404
    # A volunteer sees nothing of it.
    volunteer = client_for(app, kempen["volunteer"])
    assert volunteer.get(mine).status_code == 403
