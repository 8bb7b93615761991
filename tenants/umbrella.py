"""Between an umbrella and its member cooperatives: invitation and acceptance, leaving,
consent to share per-person data, assisted work, news, and the aggregates an umbrella
sees. Reads across tenants happen only here, each in a named ``cross_tenant`` scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from koepel.platform import audit, files
from koepel.platform.extensions import db
from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind, User
from koepel.platform.tenancy import acting_for, cross_tenant
from koepel.platform.timeutil import utcnow
from koepel.tenants.models import (
    AssistanceGrant,
    HelpRequest,
    HelpStatus,
    HourEntry,
    Member,
    NewsItem,
    Service,
    SharedDocument,
    UmbrellaConsent,
    UmbrellaInvitation,
    VolunteerProfile,
)


class UmbrellaError(ValueError):
    pass


def _membership(umbrella_id: int, coop_id: int, on: date) -> Affiliation | None:
    rows = db.session.scalars(
        select(Affiliation).where(
            Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
            Affiliation.parent_id == umbrella_id,
            Affiliation.child_id == coop_id,
        )
    ).all()
    return next((a for a in rows if a.is_current(on)), None)


def member_cooperatives(umbrella: Organisation, on: date) -> list[Organisation]:
    rows = db.session.scalars(
        select(Affiliation)
        .where(
            Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
            Affiliation.parent_id == umbrella.id,
        )
        .options(db.joinedload(Affiliation.child))
    ).all()
    return sorted((a.child for a in rows if a.is_current(on)), key=lambda o: o.name)


# -- invitations ---------------------------------------------------------------------------
def invite(
    *, actor: User, umbrella: Organisation, cooperative: Organisation, message: str = ""
) -> UmbrellaInvitation:
    if cooperative.kind != OrgKind.COOPERATIVE:
        raise UmbrellaError(_("Alleen een zorgcoöperatie kan lid worden van een koepel."))
    if _membership(umbrella.id, cooperative.id, utcnow().date()):
        raise UmbrellaError(_("Deze coöperatie is al lid."))
    with acting_for(umbrella.id):
        pending = db.session.scalar(
            select(UmbrellaInvitation).where(
                UmbrellaInvitation.cooperative_id == cooperative.id,
                UmbrellaInvitation.responded_at.is_(None),
            )
        )
        if pending is not None:
            raise UmbrellaError(_("Er staat al een uitnodiging open voor deze coöperatie."))
        invitation = UmbrellaInvitation(
            tenant_id=umbrella.id,
            cooperative_id=cooperative.id,
            message=message.strip(),
            invited_by_id=actor.id,
        )
        db.session.add(invitation)
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=umbrella.id,
            action="umbrella.invited",
            obj_type="organisation",
            obj_id=cooperative.id,
            after={"cooperative": cooperative.slug},
        )
    return invitation


def open_invitations_for(cooperative: Organisation) -> list[UmbrellaInvitation]:
    """A cooperative sees the invitations addressed to it (owned by the umbrellas)."""
    with cross_tenant("a cooperative reads the umbrella invitations addressed to it"):
        rows = db.session.scalars(
            select(UmbrellaInvitation)
            .where(
                UmbrellaInvitation.cooperative_id == cooperative.id,
                UmbrellaInvitation.responded_at.is_(None),
            )
            .options(db.joinedload(UmbrellaInvitation.umbrella))
            .order_by(UmbrellaInvitation.invited_at)
        ).all()
        for row in rows:
            db.session.expunge(row)  # plain values from here on; nothing lazy-loads later
    return rows


def respond(*, actor: User, cooperative: Organisation, invitation_id: int, accept: bool) -> None:
    with cross_tenant("a cooperative answers an umbrella's invitation"):
        invitation = db.session.scalar(
            select(UmbrellaInvitation).where(
                UmbrellaInvitation.id == invitation_id,
                UmbrellaInvitation.cooperative_id == cooperative.id,
            )
        )
        if invitation is None or invitation.responded_at is not None:
            raise UmbrellaError(_("Deze uitnodiging bestaat niet (meer)."))
        invitation.responded_at, invitation.responded_by_id = utcnow(), actor.id
        invitation.accepted = accept
        umbrella_id = invitation.tenant_id
        db.session.flush()
    if accept:
        db.session.add(
            Affiliation(
                kind=AffiliationKind.UMBRELLA_MEMBER,
                parent_id=umbrella_id,
                child_id=cooperative.id,
                start_date=utcnow().date(),
            )
        )
        db.session.flush()
    for tenant in (cooperative.id, umbrella_id):  # both sides see it in their log
        audit.record(
            db.session,
            actor=actor,
            tenant_id=tenant,
            action="umbrella.joined" if accept else "umbrella.declined",
            obj_type="organisation",
            obj_id=cooperative.id,
            after={"umbrella": umbrella_id},
        )


def leave(*, actor: User, cooperative: Organisation, umbrella: Organisation) -> None:
    today = utcnow().date()
    membership = _membership(umbrella.id, cooperative.id, today)
    if membership is None:
        raise UmbrellaError(_("Deze coöperatie is geen lid van deze koepel."))
    # The end date is exclusive: a cooperative that leaves today is no member from today.
    membership.end_date = max(today, membership.start_date)
    with acting_for(cooperative.id):
        for consent in db.session.scalars(
            select(UmbrellaConsent).where(
                UmbrellaConsent.umbrella_id == umbrella.id, UmbrellaConsent.revoked_at.is_(None)
            )
        ):
            consent.revoked_at, consent.revoked_by_id = utcnow(), actor.id
        db.session.flush()  # inside the scope: the write guard checks the consent's tenant
    for tenant in (cooperative.id, umbrella.id):
        audit.record(
            db.session,
            actor=actor,
            tenant_id=tenant,
            action="umbrella.left",
            obj_type="organisation",
            obj_id=cooperative.id,
            after={"umbrella": umbrella.id},
        )


# -- consent -----------------------------------------------------------------------------
def current_consent(cooperative_id: int, umbrella_id: int) -> UmbrellaConsent | None:
    with acting_for(cooperative_id):
        return db.session.scalar(
            select(UmbrellaConsent).where(
                UmbrellaConsent.umbrella_id == umbrella_id, UmbrellaConsent.revoked_at.is_(None)
            )
        )


def set_consent(
    *, actor: User, cooperative: Organisation, umbrella: Organisation, granted: bool
) -> None:
    if granted and not _membership(umbrella.id, cooperative.id, utcnow().date()):
        raise UmbrellaError(_("Alleen een koepel waarvan u lid bent kan toestemming krijgen."))
    consent = current_consent(cooperative.id, umbrella.id)
    with acting_for(cooperative.id):
        if granted and consent is None:
            db.session.add(
                UmbrellaConsent(
                    tenant_id=cooperative.id, umbrella_id=umbrella.id, granted_by_id=actor.id
                )
            )
        elif not granted and consent is not None:
            consent.revoked_at, consent.revoked_by_id = utcnow(), actor.id
        else:
            return
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=cooperative.id,
            action="umbrella.consent_granted" if granted else "umbrella.consent_revoked",
            obj_type="organisation",
            obj_id=umbrella.id,
            after={"umbrella": umbrella.slug},
        )


# -- assisted work ----------------------------------------------------------------------
MAX_ASSISTANCE = timedelta(days=90)


def grant_assistance(
    *, actor: User, cooperative: Organisation, umbrella: Organisation, until: datetime
) -> AssistanceGrant:
    now = utcnow()
    if not _membership(umbrella.id, cooperative.id, now.date()):
        raise UmbrellaError(_("Alleen een koepel waarvan u lid bent kan voor u werken."))
    if until <= now or until - now > MAX_ASSISTANCE:
        raise UmbrellaError(_("Kies een einddatum binnen 90 dagen."))
    with acting_for(cooperative.id):
        grant = AssistanceGrant(
            tenant_id=cooperative.id,
            umbrella_id=umbrella.id,
            granted_by_id=actor.id,
            valid_until=until,
        )
        db.session.add(grant)
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=cooperative.id,
            action="umbrella.assistance_granted",
            obj_type="organisation",
            obj_id=umbrella.id,
            after={"until": until},
        )
    return grant


def active_assistance(cooperative_id: int, umbrella_ids: list[int]) -> AssistanceGrant | None:
    """The grant that lets one of these umbrellas' staff act for the cooperative now."""
    if not umbrella_ids:
        return None
    with cross_tenant("umbrella staff check whether a cooperative asked for their help"):
        grant = db.session.scalar(
            select(AssistanceGrant)
            .where(
                AssistanceGrant.tenant_id == cooperative_id,
                AssistanceGrant.umbrella_id.in_(umbrella_ids),
                AssistanceGrant.revoked_at.is_(None),
                AssistanceGrant.valid_until > utcnow(),
            )
            .order_by(AssistanceGrant.valid_until.desc())
        )
    if grant is not None and not _membership(grant.umbrella_id, cooperative_id, utcnow().date()):
        return None
    return grant


# -- news --------------------------------------------------------------------------------
def publish_news(*, actor: User, umbrella: Organisation, title: str, body: str) -> NewsItem:
    if not title.strip() or not body.strip():
        raise UmbrellaError(_("Vul een titel en een tekst in."))
    with acting_for(umbrella.id):
        item = NewsItem(
            tenant_id=umbrella.id, title=title.strip(), body=body.strip(), author_id=actor.id
        )
        db.session.add(item)
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=umbrella.id,
            action="news.published",
            obj_type="news_item",
            obj_id=item.id,
            after={"title": item.title},
        )
    return item


def news_for(cooperative: Organisation, limit: int = 20) -> list[NewsItem]:
    """News from the umbrellas the cooperative is a member of."""
    today = utcnow().date()
    umbrella_ids = [
        a.parent_id
        for a in db.session.scalars(
            select(Affiliation).where(
                Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
                Affiliation.child_id == cooperative.id,
            )
        )
        if a.is_current(today)
    ]
    if not umbrella_ids:
        return []
    with cross_tenant("a member cooperative reads its umbrellas' news"):
        rows = db.session.scalars(
            select(NewsItem)
            .where(NewsItem.tenant_id.in_(umbrella_ids))
            .order_by(NewsItem.published_at.desc())
            .limit(limit)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return rows


# -- aggregates ----------------------------------------------------------------------------
@dataclass
class CoopFigures:
    organisation: Organisation
    members: int = 0
    volunteers: int = 0
    hours_year: int = 0
    open_requests: int = 0
    done_year: int = 0
    services: int = 0
    consent: bool = False


def aggregates(umbrella: Organisation, today: date) -> list[CoopFigures]:
    """Per member cooperative: counts only, one grouped query per figure (the number of
    queries does not grow with the number of cooperatives or members)."""
    coops = member_cooperatives(umbrella, today)
    ids = [c.id for c in coops]
    figures = {c.id: CoopFigures(c) for c in coops}
    if not ids:
        return []
    year_start = date(today.year, 1, 1)
    with cross_tenant("an umbrella reads its member cooperatives' aggregate figures"):

        def grouped(stmt):
            return dict(db.session.execute(stmt.group_by(stmt.selected_columns[0])).all())

        members = grouped(
            select(Member.tenant_id, func.count()).where(
                Member.tenant_id.in_(ids), Member.left_on.is_(None)
            )
        )
        volunteers = grouped(
            select(VolunteerProfile.tenant_id, func.count()).where(
                VolunteerProfile.tenant_id.in_(ids), VolunteerProfile.active.is_(True)
            )
        )
        minutes = grouped(
            select(HourEntry.tenant_id, func.sum(HourEntry.minutes)).where(
                HourEntry.tenant_id.in_(ids),
                HourEntry.worked_on >= year_start,
                HourEntry.worked_on <= today,
            )
        )
        open_requests = grouped(
            select(HelpRequest.tenant_id, func.count()).where(
                HelpRequest.tenant_id.in_(ids),
                HelpRequest.status.in_([HelpStatus.OPEN, HelpStatus.MATCHED]),
            )
        )
        done = grouped(
            select(HelpRequest.tenant_id, func.count()).where(
                HelpRequest.tenant_id.in_(ids),
                HelpRequest.status == HelpStatus.DONE,
                HelpRequest.wanted_on >= year_start,
            )
        )
        services = grouped(
            select(Service.tenant_id, func.count()).where(
                Service.tenant_id.in_(ids), Service.active.is_(True)
            )
        )
        consents = set(
            db.session.scalars(
                select(UmbrellaConsent.tenant_id).where(
                    UmbrellaConsent.tenant_id.in_(ids),
                    UmbrellaConsent.umbrella_id == umbrella.id,
                    UmbrellaConsent.revoked_at.is_(None),
                )
            )
        )
    for coop_id, fig in figures.items():
        fig.members = int(members.get(coop_id, 0))
        fig.volunteers = int(volunteers.get(coop_id, 0))
        fig.hours_year = int(minutes.get(coop_id) or 0) // 60
        fig.open_requests = int(open_requests.get(coop_id, 0))
        fig.done_year = int(done.get(coop_id, 0))
        fig.services = int(services.get(coop_id, 0))
        fig.consent = coop_id in consents
    return list(figures.values())


def members_with_consent(umbrella: Organisation, cooperative: Organisation) -> list[Member] | None:
    """Per-person rows, only where the cooperative has granted this umbrella consent."""
    if not _membership(umbrella.id, cooperative.id, utcnow().date()):
        return None
    if current_consent(cooperative.id, umbrella.id) is None:
        return None
    with acting_for(cooperative.id):
        rows = db.session.scalars(
            select(Member)
            .where(Member.left_on.is_(None))
            .options(db.selectinload(Member.household))
            .order_by(Member.last_name, Member.first_name)
        ).all()
        for row in rows:
            db.session.expunge(row)
    return rows


def assisted_roles(user: User, org: Organisation) -> tuple[set[str], str] | None:
    """Role source for assisted work: staff of an umbrella that a member cooperative asked
    for help act there as its coordinator until the grant ends."""
    if org.kind != OrgKind.COOPERATIVE:
        return None
    from koepel.platform.models import OrgRole

    staff_of = db.session.execute(
        select(Organisation.id, Organisation.name)
        .join(OrgRole, OrgRole.organisation_id == Organisation.id)
        .where(
            OrgRole.user_id == user.id,
            OrgRole.role == "staff",
            Organisation.kind == OrgKind.UMBRELLA,
        )
    ).all()
    grant = active_assistance(org.id, [row.id for row in staff_of])
    if grant is None:
        return None
    umbrella_name = next(row.name for row in staff_of if row.id == grant.umbrella_id)
    return {"coordinator"}, f"{org.name} (hulp via {umbrella_name})"


def monthly_hours(umbrella: Organisation, today: date, months: int = 12) -> list[tuple[date, int]]:
    """Hours of volunteer work per month, all current member cooperatives together (one
    grouped query)."""
    from koepel.tenants.stats import month_key, months_back

    keys = months_back(today, months)
    ids = [c.id for c in member_cooperatives(umbrella, today)]
    if not ids:
        return [(m, 0) for m in keys]
    key = month_key(HourEntry.worked_on)
    with cross_tenant("an umbrella reads its member cooperatives' hours per month"):
        minutes = dict(
            db.session.execute(
                select(key, func.sum(HourEntry.minutes))
                .where(
                    HourEntry.tenant_id.in_(ids),
                    HourEntry.worked_on >= keys[0],
                    HourEntry.worked_on <= today,
                )
                .group_by(key)
            ).all()
        )
    return [(m, int(minutes.get(f"{m.year:04d}-{m.month:02d}") or 0) // 60) for m in keys]


# -- shared documents ----------------------------------------------------------------------
def document_path(umbrella_id: int, stored_name: str):
    return files.path_of(umbrella_id, stored_name)


def share_document(
    *, actor: User, umbrella: Organisation, title: str, filename: str, data: bytes
) -> SharedDocument:
    try:
        upload = files.check(filename, data)
    except files.UploadError as error:
        raise UmbrellaError(str(error)) from error
    if not title.strip():
        raise UmbrellaError(_("Vul een titel in."))
    stored_name = files.store(umbrella.id, upload.data, upload.suffix)
    with acting_for(umbrella.id):
        document = SharedDocument(
            tenant_id=umbrella.id,
            title=title.strip()[:200],
            filename=upload.filename,
            stored_name=stored_name,
            content_type=upload.content_type,
            size=upload.size,
            uploaded_by_id=actor.id,
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=umbrella.id,
            action="document.shared",
            obj_type="shared_document",
            obj_id=document.id,
            after={"title": document.title},
        )
    return document


def _umbrella_ids_of(cooperative: Organisation) -> list[int]:
    today = utcnow().date()
    return [
        a.parent_id
        for a in db.session.scalars(
            select(Affiliation).where(
                Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
                Affiliation.child_id == cooperative.id,
            )
        )
        if a.is_current(today)
    ]


def documents_for(cooperative: Organisation) -> list[SharedDocument]:
    """Documents shared by the umbrellas the cooperative is a member of."""
    ids = _umbrella_ids_of(cooperative)
    if not ids:
        return []
    with cross_tenant("a member cooperative lists its umbrellas' shared documents"):
        rows = db.session.scalars(
            select(SharedDocument)
            .where(SharedDocument.tenant_id.in_(ids))
            .order_by(SharedDocument.uploaded_at.desc())
        ).all()
        for row in rows:
            db.session.expunge(row)
    return rows


def document_for_member(cooperative: Organisation, document_id: int) -> SharedDocument | None:
    """One shared document, if an umbrella of this cooperative shared it."""
    ids = _umbrella_ids_of(cooperative)
    if not ids:
        return None
    with cross_tenant("a member cooperative opens a document its umbrella shared"):
        document = db.session.scalar(
            select(SharedDocument).where(
                SharedDocument.id == document_id, SharedDocument.tenant_id.in_(ids)
            )
        )
        if document is not None:
            db.session.expunge(document)
    return document
