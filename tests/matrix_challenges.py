"""Access-matrix entries for the bids module's challenges routes (merged into ``MATRIX``):
Right to Challenge (both sides, pages and API) and the duty to involve.

Builders and kinds come from ``access_matrix``, which imports this file at its end."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from access_matrix import (  # noqa: F401
    BIDDERS,
    BUYER,
    Covered,
    Org,
    _bid_for,
    _next,
    _system_user,
    _tender_for,
)

CHALLENGERS = ("cooperative", "umbrella")
MUNICIPALITY = ("municipality",)
BOTH_SIDES = (*CHALLENGERS, "municipality")
BY_SIDE = (("municipality", "challenges.view"),)


def _new_org(db, kind: str, prefix: str):
    from koepel.platform.models import Organisation, OrgKind

    org = Organisation(kind=OrgKind(kind), slug=f"{prefix}-{_next()}", name=f"Matrix {prefix}")
    db.session.add(org)
    db.session.flush()
    return org


def _member_of(db, umbrella):
    from datetime import date

    from koepel.platform.models import Affiliation, AffiliationKind

    coop = _new_org(db, "cooperative", "lid")
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=umbrella.id,
            child_id=coop.id,
            start_date=date(2020, 1, 1),
        )
    )
    db.session.flush()
    return coop


def _draft(db, challenger, municipality):
    from koepel.bids import challenges
    from koepel.platform.models import OrgKind
    from koepel.platform.tenancy import acting_for

    behalf = _member_of(db, challenger) if challenger.kind == OrgKind.UMBRELLA else None
    with acting_for(challenger.id):
        return challenges.start(
            actor=_system_user(db),
            challenger=challenger,
            municipality=municipality,
            on_behalf_of=behalf,
        )


def _challenge_for(db, org) -> dict[str, Any]:
    """A draft challenge of cooperative or umbrella ``org`` to a fresh municipality."""
    return {"challenge_id": _draft(db, org, _new_org(db, "municipality", "gem")).id}


def _received_for(db, org) -> dict[str, Any]:
    """A challenge a fresh cooperative submitted to municipality ``org``."""
    from koepel.bids import challenges
    from koepel.platform.tenancy import acting_for

    coop = _new_org(db, "cooperative", "uitdager")
    challenge = _draft(db, coop, org)
    found = challenges.published_policy(org)
    with acting_for(coop.id):
        actor = _system_user(db)
        challenges.save_draft(
            actor=actor,
            challenger=coop,
            challenge=challenge,
            found=found,
            data=challenges.ChallengeData(
                task_name="Dagbesteding",
                area="Dorp",
                target_group="Ouderen",
                motivation="Wij kennen het dorp.",
                social_value="Ontmoeting.",
                estimated_budget=Decimal("1000"),
                supporters=10,
                checks={c.key: (True, "Ja.") for c in found.criteria},
            ),
        )
        challenges.submit(actor=actor, challenger=coop, challenge=challenge, found=found)
    return {"challenge_id": challenge.id}


def _either_for(db, org) -> dict[str, Any]:
    """What ``org`` may read through the API: its own draft, or one submitted to it."""
    if org.kind.value == "municipality":
        return _received_for(db, org)
    return _challenge_for(db, org)


def _criterion_for(db, org) -> dict[str, Any]:
    """A fresh criterion of municipality ``org`` (a withdrawn one is gone)."""
    from koepel.bids import challenges
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        row = challenges.add_criterion(
            actor=_system_user(db), municipality=org, title=f"Criterium {_next()}"
        )
    return {"key": row.key}


def _task_for(db, org) -> dict[str, Any]:
    from koepel.bids import challenges
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        row = challenges.add_task(
            actor=_system_user(db),
            municipality=org,
            name=f"Taak {_next()}",
            current_yearly_cost=Decimal("5000"),
        )
    return {"task_id": row.id}


def _involvement_for(db, org) -> dict[str, Any]:
    from koepel.bids import involvement
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        row = involvement.create(actor=_system_user(db), municipality=org, title="Inkooptafel")
    return {"involvement_id": row.id}


def _invitation_for(db, org) -> dict[str, Any]:
    """An invitation to take part addressed to ``org`` by a fresh municipality."""
    from koepel.bids import involvement
    from koepel.platform.tenancy import acting_for

    municipality = _new_org(db, "municipality", "nodigt")
    with acting_for(municipality.id):
        row = involvement.create(
            actor=_system_user(db), municipality=municipality, title="Inkooptafel"
        )
        (invitee,) = involvement.invite(
            actor=_system_user(db), municipality=municipality, involvement=row, organisations=[org]
        )
    return {"invitee_id": invitee.id}


_RESPOND = "tests/test_bids_challenges.py"
ENTRIES: dict[str, object] = {
    # the challenger's pages. GET only for the draft page: an empty POST is a valid save
    # (302); POST access is tested in tests/test_bids_challenges.py.
    "challenges.mine": Org("bids.view", kinds=CHALLENGERS),
    "challenges.new": Org("challenges.submit", kinds=CHALLENGERS, methods=("GET", "POST")),
    "challenges.detail": Org(
        "bids.view", kinds=CHALLENGERS, obj=_challenge_for, post_action="challenges.submit"
    ),
    # Submitting an empty draft is refused with a message (200).
    "challenges.submit": Org(
        "challenges.submit", kinds=CHALLENGERS, obj=_challenge_for, methods=("POST",)
    ),
    # A draft has no open question: back to the page with a message (302).
    "challenges.reply": Org(
        "challenges.submit", kinds=CHALLENGERS, obj=_challenge_for, methods=("POST",), ok=302
    ),
    # A municipality's published policy is open to every challenger (no foreign object).
    "challenges.criteria": Covered(
        f"{_RESPOND}::test_challengers_read_published_criteria_and_404s"
    ),
    # the municipality's pages
    "challenges.received": Org("challenges.view", kinds=MUNICIPALITY),
    "challenges.assessment": Org("challenges.view", kinds=MUNICIPALITY, obj=_received_for),
    "challenges.register": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_received_for, methods=("POST",), ok=302
    ),
    # Not registered yet, or no question typed: refused with a message (200).
    "challenges.ask": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_received_for, methods=("POST",)
    ),
    "challenges.decide": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_received_for, methods=("POST",)
    ),
    "challenges.policy": Org(
        "challenges.view",
        kinds=MUNICIPALITY,
        methods=("GET", "POST"),
        post_action="challenges.assess",
    ),
    "challenges.add_criterion": Org("challenges.assess", kinds=MUNICIPALITY, methods=("POST",)),
    "challenges.edit_criterion": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_criterion_for, methods=("GET", "POST")
    ),
    "challenges.withdraw_criterion": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_criterion_for, methods=("POST",), ok=302
    ),
    "challenges.add_task": Org("challenges.assess", kinds=MUNICIPALITY, methods=("POST",)),
    "challenges.edit_task": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_task_for, methods=("GET", "POST")
    ),
    "challenges.withdraw_task": Org(
        "challenges.assess", kinds=MUNICIPALITY, obj=_task_for, methods=("POST",), ok=302
    ),
    # duty to involve
    "involvement.list": Org("involvement.manage", kinds=BUYER),
    "involvement.new": Org("involvement.manage", kinds=BUYER, methods=("GET", "POST")),
    "involvement.detail": Org("involvement.manage", kinds=BUYER, obj=_involvement_for),
    # Nobody chosen: refused with a message (200).
    "involvement.invite": Org(
        "involvement.manage", kinds=BUYER, obj=_involvement_for, methods=("POST",)
    ),
    "involvement.invitations": Org("bids.view", kinds=CHALLENGERS),
    # No answer chosen: refused with a message (200).
    "involvement.respond": Org(
        "bids.manage", kinds=CHALLENGERS, obj=_invitation_for, methods=("POST",)
    ),
    # API: both sides read; challengers create (an empty body is refused, 400).
    "api_challenges.list_challenges": Org("bids.view", kinds=BOTH_SIDES, action_by_kind=BY_SIDE),
    "api_challenges.create_challenge": Org(
        "challenges.submit", kinds=CHALLENGERS, methods=("POST",), ok=400
    ),
    "api_challenges.get_challenge": Org(
        "bids.view", kinds=BOTH_SIDES, action_by_kind=BY_SIDE, obj=_either_for
    ),
}
