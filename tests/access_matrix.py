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
    # Where the action depends on the kind of organisation: (kind, action) pairs.
    action_by_kind: tuple[tuple[str, str], ...] = ()


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


def _help_request_for(db, org) -> dict[str, Any]:
    from datetime import date, timedelta
    from decimal import Decimal

    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import local_today
    from koepel.tenants import catalogue, help, members
    from koepel.tenants.models import FundingSource, ServiceKind

    with acting_for(org.id):
        member = members.register(
            actor=None,
            org=org,
            data=members.MemberData(
                first_name="Hulp", last_name="Vrager", joined_on=date(2024, 1, 1)
            ),
        )
        service = catalogue.create(
            actor=None,
            org=org,
            data=catalogue.ServiceData(
                code="transport",
                name=f"Vervoer {member.id}",
                kind=ServiceKind.INFORMAL,
                funding=FundingSource.MEMBER_CONTRIBUTION,
                member_price=Decimal("0"),
            ),
        )
        request = help.ask(
            actor=None,
            org=org,
            member=member,
            service=service,
            wanted_on=local_today() + timedelta(days=3),
        )
    return {"request_id": request.id}


def _invitation_for(db, org) -> dict[str, Any]:
    from koepel.platform.models import Organisation, OrgKind
    from koepel.tenants import umbrella

    koepel = Organisation(
        kind=OrgKind.UMBRELLA,
        slug=f"inv-{org.id}-{id(db) % 100000}-{_next()}",
        name="Uitnodigende koepel",
    )
    db.session.add(koepel)
    db.session.flush()
    invitation = umbrella.invite(actor=_system_user(db), umbrella=koepel, cooperative=org)
    return {"invitation_id": invitation.id}


def _member_umbrella_for(db, org) -> dict[str, Any]:
    """A current umbrella of ``org`` (a cooperative)."""
    from datetime import date

    from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind

    koepel = Organisation(kind=OrgKind.UMBRELLA, slug=f"mem-{org.id}-{_next()}", name="Koepel")
    db.session.add(koepel)
    db.session.flush()
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=koepel.id,
            child_id=org.id,
            start_date=date(2020, 1, 1),
        )
    )
    db.session.flush()
    return {"umbrella_slug": koepel.slug}


def _consenting_member_for(db, org) -> dict[str, Any]:
    """A member cooperative of umbrella ``org`` that consented to sharing."""
    from datetime import date

    from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind
    from koepel.platform.tenancy import acting_for
    from koepel.tenants.models import UmbrellaConsent

    coop = Organisation(
        kind=OrgKind.COOPERATIVE, slug=f"cons-{org.id}-{_next()}", name="Coöperatie"
    )
    db.session.add(coop)
    db.session.flush()
    db.session.add(
        Affiliation(
            kind=AffiliationKind.UMBRELLA_MEMBER,
            parent_id=org.id,
            child_id=coop.id,
            start_date=date(2020, 1, 1),
        )
    )
    with acting_for(coop.id):
        db.session.add(UmbrellaConsent(tenant_id=coop.id, umbrella_id=org.id))
        db.session.flush()
    return {"coop_slug": coop.slug}


_counter = iter(range(1, 10**9))


def _next() -> int:
    return next(_counter)


def _system_user(db):
    from koepel.platform.auth import operations as ops

    return ops.find_user("matrix-system@example.org") or ops.create_user(
        actor=None, email="matrix-system@example.org", display_name="Systeem", password=None
    )


def _service_for(db, org) -> dict[str, Any]:
    from decimal import Decimal

    from koepel.platform.tenancy import acting_for
    from koepel.tenants import catalogue
    from koepel.tenants.models import FundingSource, ServiceKind

    with acting_for(org.id):
        service = catalogue.create(
            actor=None,
            org=org,
            data=catalogue.ServiceData(
                code="transport",
                name=f"Matrix vervoer {_next()}",
                kind=ServiceKind.INFORMAL,
                funding=FundingSource.MEMBER_CONTRIBUTION,
                member_price=Decimal("2.50"),
            ),
        )
    return {"service_id": service.id}


def _area_for(db, org) -> dict[str, Any]:
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for
    from koepel.tenants.models import ServiceArea

    municipality = Organisation(kind=OrgKind.MUNICIPALITY, slug=f"area-{_next()}", name="Gemeente")
    db.session.add(municipality)
    db.session.flush()
    with acting_for(org.id):
        area = ServiceArea(tenant_id=org.id, municipality_id=municipality.id)
        db.session.add(area)
        db.session.flush()
    return {"area_id": area.id}


def _report_for(db, org) -> dict[str, Any]:
    """A finished annual report of ``org``, with its file."""
    from koepel.platform.jobs import enqueue
    from koepel.platform.tenancy import acting_for
    from koepel.tenants import reports

    with acting_for(org.id):
        run = enqueue(
            "reports.annual",
            tenant_id=org.id,
            kwargs={"kind": org.kind.value, "year": 2025, "fmt": "pdf"},
        )
        db.session.info.pop("koepel_pending_jobs", None)  # never dispatched
        run.status = "done"
        db.session.flush()
    path = reports.report_path(org.id, run.id, "pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 matrix")
    return {"job_id": run.id, "fmt": "pdf"}


def _document_for(db, org) -> dict[str, Any]:
    """A document shared by umbrella ``org``."""
    from koepel.tenants import umbrella

    document = umbrella.share_document(
        actor=_system_user(db),
        umbrella=org,
        title="Handreiking",
        filename="handreiking.txt",
        data=b"tekst",
    )
    return {"document_id": document.id}


def _member_document_for(db, org) -> dict[str, Any]:
    """A document shared by an umbrella that cooperative ``org`` is a member of."""
    from koepel.platform.models import Organisation
    from koepel.tenants import umbrella

    slug = _member_umbrella_for(db, org)["umbrella_slug"]
    koepel = db.session.scalar(db.select(Organisation).filter_by(slug=slug))
    document = umbrella.share_document(
        actor=_system_user(db),
        umbrella=koepel,
        title="Handreiking",
        filename="handreiking.txt",
        data=b"tekst",
    )
    return {"document_id": document.id}


def _tender_for(db, org) -> dict[str, Any]:
    """A draft tender of buyer ``org``, without lots: an empty publish is refused (200)."""
    from datetime import timedelta

    from koepel.bids import tenders
    from koepel.bids.models import Procedure
    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import utcnow

    with acting_for(org.id):
        tender = tenders.create(
            actor=_system_user(db),
            buyer=org,
            data=tenders.TenderData(
                title="Matrix-aanbesteding",
                procedure=Procedure.OPEN,
                submission_deadline=utcnow() + timedelta(days=30),
            ),
        )
    return {"tender_id": tender.id}


def _published_tender(db) -> tuple[int, int]:
    """A published tender of a fresh municipality with one lot: (tender id, lot id)."""
    from datetime import timedelta
    from decimal import Decimal

    from koepel.bids import tenders
    from koepel.bids.models import CriterionKind, LotKind, Procedure
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for
    from koepel.platform.timeutil import utcnow

    buyer = Organisation(kind=OrgKind.MUNICIPALITY, slug=f"buyer-{_next()}", name="Gemeente")
    db.session.add(buyer)
    db.session.flush()
    actor = _system_user(db)
    with acting_for(buyer.id):
        tender = tenders.create(
            actor=actor,
            buyer=buyer,
            data=tenders.TenderData(
                title="Matrix-aanbesteding",
                procedure=Procedure.OPEN,
                submission_deadline=utcnow() + timedelta(days=14),
            ),
        )
        lot = tenders.add_lot(
            actor=actor,
            buyer=buyer,
            tender=tender,
            title="Perceel",
            kind=LotKind.GEOGRAPHIC,
            budget=Decimal("1000"),
        )
        tenders.add_criterion(
            actor=actor,
            buyer=buyer,
            tender=tender,
            title="Prijs",
            kind=CriterionKind.PRICE,
            weight=Decimal(100),
        )
        tenders.publish(actor=actor, buyer=buyer, tender=tender)
        return tender.id, lot.id


def _bid_for(db, org) -> dict[str, Any]:
    """A draft bid of ``org`` (cooperative, umbrella or provider) on a fresh tender."""
    from koepel.bids import submission
    from koepel.platform.tenancy import acting_for

    tender_id, lot_id = _published_tender(db)
    with acting_for(org.id):
        bid = submission.start(
            actor=_system_user(db),
            bidder=org,
            tender=submission.published_tender(tender_id),
            lot_id=lot_id,
        )
    return {"bid_id": bid.id}


def _partnership_for(db, org) -> dict[str, Any]:
    """A draft bid of another cooperative with ``org`` as a partner yet to confirm."""
    from decimal import Decimal

    from koepel.bids import submission
    from koepel.bids.models import PartnerRole
    from koepel.platform.models import Organisation, OrgKind
    from koepel.platform.tenancy import acting_for

    lead = Organisation(kind=OrgKind.COOPERATIVE, slug=f"lead-{_next()}", name="Penvoerder")
    db.session.add(lead)
    db.session.flush()
    tender_id, lot_id = _published_tender(db)
    actor = _system_user(db)
    with acting_for(lead.id):
        bid = submission.start(
            actor=actor, bidder=lead, tender=submission.published_tender(tender_id), lot_id=lot_id
        )
        submission.add_partner(
            actor=actor, bidder=lead, bid=bid, partner=org, role=PartnerRole.SUB, share=Decimal(20)
        )
    return {"bid_id": bid.id}


COOP = ("cooperative",)
BUYER = ("municipality", "region")
BIDDERS = ("cooperative", "umbrella", "provider")
REPORTS = (("cooperative", "coop.dashboard.view"), ("umbrella", "umbrella.report.create"))
UMBRELLA = ("umbrella",)

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
    "members.account": Org(
        "members.manage", kinds=COOP, obj=_member_for, methods=("POST",), ok=302
    ),
    "members.erase": Org("members.erase", kinds=COOP, obj=_member_for, methods=("POST",), ok=400),
    # tenants: profile, service area, a municipality's view of its area
    "profile.view": Org("coop.profile.view", kinds=COOP),
    "profile.edit": Org("coop.profile.manage", kinds=COOP, methods=("GET", "POST")),
    "profile.add_area": Org("coop.profile.manage", kinds=COOP, methods=("POST",)),
    "profile.remove_area": Org(
        "coop.profile.manage", kinds=COOP, obj=_area_for, methods=("POST",), ok=302
    ),
    "profile.area": Org("area.cooperatives.view", kinds=("municipality", "region")),
    # tenants: services and volunteers
    "services.list": Org("services.view", kinds=COOP),
    "services.new": Org("services.manage", kinds=COOP, methods=("GET", "POST")),
    "services.edit": Org("services.manage", kinds=COOP, obj=_service_for, methods=("GET", "POST")),
    "volunteers.list": Org("volunteers.view", kinds=COOP),
    # GET only: an empty POST is a valid save (302); POST access is tested in
    # tests/test_tenants_services_pages.py.
    "volunteers.edit": Org("volunteers.manage", kinds=COOP, obj=_member_for),
    # tenants: member import and export
    "member_io.upload": Org("members.manage", kinds=COOP, methods=("GET", "POST")),
    "member_io.confirm": Covered("tests/test_tenants_member_io.py::test_confirm_access"),
    "member_io.export": Org("members.export", kinds=COOP),
    # tenants: annual reports (cooperative and umbrella)
    "reports.index": Org(
        "coop.dashboard.view",
        kinds=("cooperative", "umbrella"),
        action_by_kind=REPORTS,
        methods=("GET", "POST"),
    ),
    "reports.download": Org(
        "coop.dashboard.view",
        kinds=("cooperative", "umbrella"),
        action_by_kind=REPORTS,
        obj=_report_for,
    ),
    # tenants: help requests, hours, dashboard
    "help.list": Org("help.view", kinds=COOP),
    "help.new": Org("help.manage", kinds=COOP, methods=("GET", "POST")),
    "help.detail": Org("help.view", kinds=COOP, obj=_help_request_for),
    "help.assign": Org("help.manage", kinds=COOP, obj=_help_request_for, methods=("POST",), ok=400),
    "help.complete": Org("help.manage", kinds=COOP, obj=_help_request_for, methods=("POST",)),
    "help.cancel": Org("help.manage", kinds=COOP, obj=_help_request_for, methods=("POST",), ok=302),
    "help.hours": Org("hours.log", kinds=COOP, methods=("GET", "POST")),
    "coop_dashboard.view": Org("coop.dashboard.view", kinds=COOP),
    # tenants: umbrellas and their member cooperatives
    "umbrella.cooperatives": Org("umbrella.dashboard.view", kinds=UMBRELLA),
    "umbrella.invite": Org("umbrella.members.invite", kinds=UMBRELLA, methods=("POST",)),
    "umbrella.coop_members": Org(
        "umbrella.dashboard.view", kinds=UMBRELLA, obj=_consenting_member_for
    ),
    "umbrella.news": Org(
        "umbrella.dashboard.view",
        kinds=UMBRELLA,
        methods=("GET", "POST"),
        post_action="umbrella.news.publish",
    ),
    "umbrella.coop_umbrellas": Org("coop.profile.view", kinds=COOP),
    "umbrella.share_document": Org("umbrella.news.publish", kinds=UMBRELLA, methods=("POST",)),
    "umbrella.document": Org("umbrella.dashboard.view", kinds=UMBRELLA, obj=_document_for),
    "umbrella.coop_document": Org("coop.profile.view", kinds=COOP, obj=_member_document_for),
    "umbrella.respond": Org(
        "umbrella.respond", kinds=COOP, obj=_invitation_for, methods=("POST",), ok=302
    ),
    "umbrella.leave": Org(
        "umbrella.respond", kinds=COOP, obj=_member_umbrella_for, methods=("POST",), ok=302
    ),
    "umbrella.consent": Org(
        "umbrella.consent", kinds=COOP, obj=_member_umbrella_for, methods=("POST",), ok=302
    ),
    "umbrella.assistance": Org(
        "umbrella.assistance", kinds=COOP, obj=_member_umbrella_for, methods=("POST",)
    ),
    # bids: the buyer's tenders
    "tenders.list": Org("tenders.view", kinds=BUYER),
    "tenders.new": Org("tenders.manage", kinds=BUYER, methods=("GET", "POST")),
    "tenders.detail": Org("tenders.view", kinds=BUYER, obj=_tender_for),
    "tenders.add_lot": Org("tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "tenders.add_criterion": Org("tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "tenders.add_requirement": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)
    ),
    "tenders.publish": Org("tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "tenders.change_deadline": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)
    ),
    "tenders.cancel": Org("tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    # bids: the opening (before the deadline a start is refused: 400)
    "opening.view": Org("tenders.view", kinds=BUYER, obj=_tender_for),
    "opening.start": Org("tenders.open", kinds=BUYER, obj=_tender_for, methods=("POST",), ok=400),
    "opening.confirm": Org("tenders.open", kinds=BUYER, obj=_tender_for, methods=("POST",), ok=400),
    "opening.record": Covered(
        "tests/test_bids_opening_pages.py::test_four_eyes_opening_through_the_pages"
    ),
    # bids: the evaluation (a draft tender: every POST is refused with a message, 200)
    "evaluation.view": Org("tenders.view", kinds=BUYER, obj=_tender_for),
    "evaluation.assign": Org("tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "evaluation.declare": Org("tenders.evaluate", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "evaluation.score": Org("tenders.evaluate", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "evaluation.consensus": Org(
        "tenders.evaluate", kinds=BUYER, obj=_tender_for, methods=("POST",)
    ),
    "evaluation.exclude": Org("tenders.award", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "evaluation.reveal": Org("tenders.award", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "evaluation.decide": Org("tenders.award", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    "evaluation.send": Org("tenders.award", kinds=BUYER, obj=_tender_for, methods=("POST",)),
    # bids: the bidder's side. Published tenders are open to every bidder, so the
    # harness's foreign-object check (404) does not apply to them.
    "bidding.opportunities": Org("bids.view", kinds=BIDDERS),
    "bidding.tender": Covered("tests/test_bids_bidding_pages.py::test_tender_access"),
    "bidding.start": Covered("tests/test_bids_bidding_pages.py::test_tender_access"),
    # GET only: an empty POST is a valid save (302); POST access is tested in
    # tests/test_bids_bidding_pages.py.
    "bidding.bid": Org("bids.view", kinds=BIDDERS, obj=_bid_for, post_action="bids.manage"),
    "bidding.submit": Org("bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",)),
    "bidding.withdraw": Org("bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",), ok=302),
    "bidding.add_partner": Org("bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",)),
    "bidding.confirm": Org(
        "bids.manage", kinds=BIDDERS, obj=_partnership_for, methods=("POST",), ok=302
    ),
    # API
    "api-docs.openapi_json": Open(),
    "api_public.list_tenders": Open(),
    "api_public.tender_ocds": Covered(
        "tests/test_bids_publication.py::test_public_ocds_before_and_after_opening"
    ),
    "api_auth.create_token": Covered("tests/test_api.py::test_token_round_trip"),
    "api_auth.revoke_token": Covered("tests/test_api.py::test_token_round_trip"),
    "api_me.me": LoggedIn(),
    "api_orgs.organisation": Org("org.view"),
    "api_orgs.job_status": Org("org.jobs.view", obj=_job_for),
    "api_tenants.list_members": Org("members.view", kinds=COOP),
    "api_tenants.create_member": Org("members.manage", kinds=COOP, methods=("POST",), ok=400),
    "api_tenants.get_member": Org("members.view", kinds=COOP, obj=_member_for),
    "api_tenants.update_member": Org(
        "members.manage", kinds=COOP, obj=_member_for, methods=("PUT",), ok=400
    ),
    "api_tenants.list_volunteers": Org("volunteers.view", kinds=COOP),
    "api_tenants.list_services": Org("services.view", kinds=COOP),
    "api_tenants.create_service": Org("services.manage", kinds=COOP, methods=("POST",), ok=400),
    "api_tenants.get_service": Org("services.view", kinds=COOP, obj=_service_for),
    "api_tenants.update_service": Org(
        "services.manage", kinds=COOP, obj=_service_for, methods=("PUT",), ok=400
    ),
    "api_tenants.list_help_requests": Org("help.view", kinds=COOP),
    "api_tenants.create_help_request": Org("help.manage", kinds=COOP, methods=("POST",), ok=400),
    "api_tenants.get_help_request": Org("help.view", kinds=COOP, obj=_help_request_for),
    "api_tenants.update_help_request": Org(
        "help.manage", kinds=COOP, obj=_help_request_for, methods=("PATCH",), ok=400
    ),
    "api_tenants.member_cooperatives": Org("umbrella.dashboard.view", kinds=UMBRELLA),
}

# Parts kept in their own files (one per area of the bids module), merged here.
from matrix_api import ENTRIES as _api  # noqa: E402
from matrix_budgets import ENTRIES as _budgets  # noqa: E402
from matrix_challenges import ENTRIES as _challenges  # noqa: E402
from matrix_contracts import ENTRIES as _contracts  # noqa: E402
from matrix_dossier import ENTRIES as _dossier  # noqa: E402
from matrix_framework import ENTRIES as _framework  # noqa: E402
from matrix_objections import ENTRIES as _objections  # noqa: E402
from matrix_questions import ENTRIES as _questions  # noqa: E402
from matrix_umbrella_contracts import ENTRIES as _umbrella_contracts  # noqa: E402

for _part in (
    _questions,
    _challenges,
    _dossier,
    _objections,
    _api,
    _contracts,
    _framework,
    _budgets,
    _umbrella_contracts,
):
    assert not set(_part) & set(MATRIX), set(_part) & set(MATRIX)
    MATRIX.update(_part)
