"""The access matrix: every registered route, with who may reach it.

A route missing here fails ``test_every_route_is_in_the_matrix``; later modules add
their routes to ``MATRIX``. Kinds of entry:

- ``Open(status)``: anyone, logged in or not, gets ``status``.
- ``LoggedIn()``: any logged-in user (page) or token holder (API); others are sent to
  the login page (302) or get 401.
- ``Org(action, ...)``: acts for the organisation in the URL. A role allowed the action
  gets ``ok``; another role in that organisation gets 403; someone from another
  organisation gets 404, as does a foreign object reached through one's own
  organisation; anonymous gets 302 (page) or 401 (API).
- ``Covered(test)``: reached only with a secret (a link token) or only by POST with side
  effects; the named test exercises its access rules, and the harness checks it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Open:
    status: int = 200
    logged_in_status: int | None = None  # when a logged-in user gets something else


@dataclass(frozen=True)
class LoggedIn:
    pass


@dataclass(frozen=True)
class Org:
    action: str
    ok: int = 200
    # Builds extra URL parameters for an object owned by the given organisation.
    obj: Callable[[Any, Any], dict[str, Any]] | None = None
    methods: tuple[str, ...] = ("GET",)
    post_action: str | None = None  # POST needs this action instead
    kinds: tuple[str, ...] | None = None  # organisation kinds the page exists for


@dataclass(frozen=True)
class Covered:
    test: str
    why: str = ""


def _job_for(db, org) -> dict[str, Any]:
    from koepel.platform.jobs import enqueue
    from koepel.platform.tenancy import acting_for

    with acting_for(org.id):
        run = enqueue("mail.send", tenant_id=org.id, kwargs={"outbox_id": -1})
        db.session.info.pop("koepel_pending_jobs", None)  # never dispatched
    return {"job_id": run.id}


def _member_for(db, org) -> dict[str, Any]:
    from datetime import date

    from koepel.platform.tenancy import acting_for
    from koepel.tenants import members

    with acting_for(org.id):
        member = members.register(
            actor=None,
            org=org,
            data=members.MemberData(
                first_name="Matrix", last_name="Lid", joined_on=date(2024, 1, 1)
            ),
        )
    return {"member_id": member.id}


COOP = ("cooperative",)

MATRIX: dict[str, Any] = {
    "static": Open(),
    "main.index": Open(200, logged_in_status=302),
    "main.healthz": Open(),
    "main.dev_mail": Open(),  # development only: 404 when DEV_PAGES is off (tested)
    "main.dev_mail_message": Covered("tests/test_pages.py::test_dev_mail_viewer"),
    "main.set_language": Covered("tests/test_pages.py::test_language_switch"),
    "auth.login": Open(200, logged_in_status=302),
    "auth.logout": Covered("tests/test_auth.py::test_login_and_logout"),
    "auth.reset_request": Open(),
    "auth.reset_password": Covered("tests/test_auth.py::test_reset_link_expires"),
    "auth.accept_invitation": Covered("tests/test_auth.py::test_invitation_for_a_new_person"),
    "auth.profile": LoggedIn(),
    "org.switch": Covered("tests/test_pages.py::test_switcher_only_goes_to_own_orgs"),
    "org.home": Org("org.view"),
    "org.people": Org("org.people.view", methods=("GET", "POST"), post_action="org.people.invite"),
    "org.audit": Org("org.audit.view"),
    "org.job": Org("org.jobs.view", obj=_job_for),
    # tenants: members
    "members.list": Org("members.view", kinds=COOP),
    "members.new": Org("members.manage", kinds=COOP, methods=("GET", "POST")),
    "members.detail": Org("members.view", kinds=COOP, obj=_member_for),
    "members.edit": Org("members.manage", kinds=COOP, obj=_member_for, methods=("GET", "POST")),
    "members.end": Org("members.manage", kinds=COOP, obj=_member_for, methods=("POST",), ok=302),
    "members.fee": Org("members.manage", kinds=COOP, obj=_member_for, methods=("POST",)),
    "members.export": Org("members.export", kinds=COOP, obj=_member_for),
    "members.erase": Org("members.erase", kinds=COOP, obj=_member_for, methods=("POST",), ok=400),
    # API
    "api-docs.openapi_json": Open(),
    "api_auth.create_token": Covered("tests/test_api.py::test_token_round_trip"),
    "api_auth.revoke_token": Covered("tests/test_api.py::test_token_round_trip"),
    "api_me.me": LoggedIn(),
    "api_orgs.organisation": Org("org.view"),
    "api_orgs.job_status": Org("org.jobs.view", obj=_job_for),
}
