"""Umbrella and member cooperatives: invitation, consent, assistance, news, aggregates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from koepel.platform.tenancy import acting_for
from koepel.platform.timeutil import utcnow
from koepel.tenants import help, volunteers
from koepel.tenants import members as member_ops
from koepel.tenants import umbrella as ops


@pytest.fixture
def world(db, make_org, make_user):
    koepel = make_org("umbrella", slug="u-koepel", name="Koepel Test")
    coops = [make_org("cooperative", slug=f"u-coop-{i}", name=f"Coöperatie {i}") for i in range(3)]
    staff = make_user(koepel, "staff")
    boards = [make_user(c, "board") for c in coops]
    return {"umbrella": koepel, "coops": coops, "staff": staff, "boards": boards}


def _join(world, i):
    ops.invite(actor=world["staff"], umbrella=world["umbrella"], cooperative=world["coops"][i])
    (invitation,) = ops.open_invitations_for(world["coops"][i])
    ops.respond(
        actor=world["boards"][i],
        cooperative=world["coops"][i],
        invitation_id=invitation.id,
        accept=True,
    )


def test_invitation_is_accepted_by_the_cooperative(db, world):
    umbrella, coop = world["umbrella"], world["coops"][0]
    ops.invite(actor=world["staff"], umbrella=umbrella, cooperative=coop, message="Welkom")
    with pytest.raises(ops.UmbrellaError):
        ops.invite(actor=world["staff"], umbrella=umbrella, cooperative=coop)  # already pending
    (invitation,) = ops.open_invitations_for(coop)
    assert invitation.umbrella.name == "Koepel Test" and invitation.message == "Welkom"
    assert ops.open_invitations_for(world["coops"][1]) == []
    ops.respond(
        actor=world["boards"][0], cooperative=coop, invitation_id=invitation.id, accept=True
    )
    assert [c.slug for c in ops.member_cooperatives(umbrella, utcnow().date())] == ["u-coop-0"]
    with pytest.raises(ops.UmbrellaError):
        ops.respond(
            actor=world["boards"][0], cooperative=coop, invitation_id=invitation.id, accept=True
        )
    # Another cooperative cannot answer it.
    with pytest.raises(ops.UmbrellaError):
        ops.respond(
            actor=world["boards"][1],
            cooperative=world["coops"][1],
            invitation_id=invitation.id,
            accept=True,
        )


def test_leaving_ends_membership_and_consent(db, world):
    _join(world, 0)
    umbrella, coop = world["umbrella"], world["coops"][0]
    ops.set_consent(actor=world["boards"][0], cooperative=coop, umbrella=umbrella, granted=True)
    assert ops.current_consent(coop.id, umbrella.id) is not None
    ops.leave(actor=world["boards"][0], cooperative=coop, umbrella=umbrella)
    assert ops.member_cooperatives(umbrella, utcnow().date()) == []
    assert ops.current_consent(coop.id, umbrella.id) is None
    with pytest.raises(ops.UmbrellaError):
        ops.set_consent(actor=world["boards"][0], cooperative=coop, umbrella=umbrella, granted=True)


def test_per_person_data_only_with_consent(db, world):
    _join(world, 0)
    umbrella, coop = world["umbrella"], world["coops"][0]
    with acting_for(coop.id):
        member_ops.register(
            actor=None,
            org=coop,
            data=member_ops.MemberData(
                first_name="Jan", last_name="Lid", joined_on=date(2020, 1, 1)
            ),
        )
    assert ops.members_with_consent(umbrella, coop) is None
    ops.set_consent(actor=world["boards"][0], cooperative=coop, umbrella=umbrella, granted=True)
    assert [m.last_name for m in ops.members_with_consent(umbrella, coop)] == ["Lid"]
    ops.set_consent(actor=world["boards"][0], cooperative=coop, umbrella=umbrella, granted=False)
    assert ops.members_with_consent(umbrella, coop) is None
    assert ops.members_with_consent(umbrella, world["coops"][1]) is None  # not a member at all


def test_consent_changes_are_audited(db, world):
    from sqlalchemy import select

    from koepel.platform.models import AuditEvent

    _join(world, 0)
    ops.set_consent(
        actor=world["boards"][0],
        cooperative=world["coops"][0],
        umbrella=world["umbrella"],
        granted=True,
    )
    ops.set_consent(
        actor=world["boards"][0],
        cooperative=world["coops"][0],
        umbrella=world["umbrella"],
        granted=False,
    )
    with acting_for(world["coops"][0].id):
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["umbrella.consent_granted", "umbrella.consent_revoked"]


def test_assistance_is_limited_in_time_and_to_members(db, world):
    umbrella, coop = world["umbrella"], world["coops"][0]
    with pytest.raises(ops.UmbrellaError):
        ops.grant_assistance(
            actor=world["boards"][0],
            cooperative=coop,
            umbrella=umbrella,
            until=utcnow() + timedelta(days=10),
        )
    _join(world, 0)
    with pytest.raises(ops.UmbrellaError):
        ops.grant_assistance(
            actor=world["boards"][0],
            cooperative=coop,
            umbrella=umbrella,
            until=utcnow() + timedelta(days=200),
        )
    ops.grant_assistance(
        actor=world["boards"][0],
        cooperative=coop,
        umbrella=umbrella,
        until=utcnow() + timedelta(days=10),
    )
    assert ops.active_assistance(coop.id, [umbrella.id]) is not None
    assert ops.active_assistance(world["coops"][1].id, [umbrella.id]) is None


def test_news_reaches_member_cooperatives_only(db, world):
    _join(world, 0)
    ops.publish_news(
        actor=world["staff"],
        umbrella=world["umbrella"],
        title="Nieuwe regels",
        body="Vanaf 1 januari ...",
    )
    assert [n.title for n in ops.news_for(world["coops"][0])] == ["Nieuwe regels"]
    assert ops.news_for(world["coops"][1]) == []
    with pytest.raises(ops.UmbrellaError):
        ops.publish_news(actor=world["staff"], umbrella=world["umbrella"], title=" ", body="x")


def test_aggregates_count_per_cooperative(db, world, count_queries):
    for i in range(2):
        _join(world, i)
    coop = world["coops"][0]
    with acting_for(coop.id):
        for n in range(3):
            member = member_ops.register(
                actor=None,
                org=coop,
                data=member_ops.MemberData(
                    first_name=f"Lid{n}", last_name="X", joined_on=date(2020, 1, 1)
                ),
            )
        vol = volunteers.save(
            actor=None,
            org=coop,
            member=member,
            skills=["transport"],
            availability=[],
            vog_date=None,
        )
        help.log_hours(actor=None, org=coop, volunteer=vol, worked_on=utcnow().date(), minutes=125)
    today = utcnow().date()
    with count_queries() as counter:
        figures = {f.organisation.slug: f for f in ops.aggregates(world["umbrella"], today)}
    assert set(figures) == {"u-coop-0", "u-coop-1"}
    first = figures["u-coop-0"]
    assert (first.members, first.volunteers, first.hours_year) == (3, 1, 2)
    assert figures["u-coop-1"].members == 0
    assert counter.count <= 10


def test_assisted_work_is_logged_with_both_names(client, db, world, login):
    from sqlalchemy import select

    from koepel.platform.models import AuditEvent

    _join(world, 0)
    coop = world["coops"][0]
    login(world["staff"])
    assert client.get(f"/{coop.slug}/members").status_code == 404  # not asked for help yet
    ops.grant_assistance(
        actor=world["boards"][0],
        cooperative=coop,
        umbrella=world["umbrella"],
        until=utcnow() + timedelta(days=7),
    )
    page = client.get(f"/{coop.slug}/members/new")
    assert page.status_code == 200 and "U helpt deze coöperatie namens de koepel" in page.get_data(
        as_text=True
    )
    from conftest import csrf_from

    r = client.post(
        f"/{coop.slug}/members/new",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "first_name": "Nieuw",
            "last_name": "Lid",
            "joined_on": "2024-05-01",
        },
    )
    assert r.status_code == 302
    with acting_for(coop.id):
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "member.registered")
        ).one()
    assert world["staff"].email in event.actor_label and "hulp via Koepel Test" in event.actor_label
    assert coop.name in event.actor_label
    # Board-only actions stay out of reach: assisted staff act as coordinator.
    assert client.get(f"/{coop.slug}/umbrellas").status_code == 200
