"""Duty to involve: before a tender (or instead of one) a municipality or region invites
the local initiatives of an area to take part, as bidder or as adviser at a procurement
table, and sees who responded.

Ownership: the municipality owns the invitation and the list of whom it invited; each
invited organisation owns its response. The municipality reads the responses, and an
invited organisation reads the invitations addressed to it, only through the named
``cross_tenant`` functions below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from koepel.bids.challenges import emails_of, today_local
from koepel.bids.models import Tender, TenderStatus
from koepel.bids.models.challenges import (
    Involvement,
    InvolvementAnswer,
    InvolvementInvitee,
    InvolvementResponse,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.mail import queue_email
from koepel.platform.models import Affiliation, AffiliationKind, Organisation, OrgKind, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow
from koepel.tenants.models import ServiceArea
from koepel.tenants.profile import municipalities_of

INVITER_KINDS = (OrgKind.MUNICIPALITY, OrgKind.REGION)
INVITEE_KINDS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA)  # the local initiatives
CANDIDATE_LIMIT = 100


class InvolvementError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _record(actor, tenant_ids: Iterable[int], action: str, obj_id: int, **after) -> None:
    for tenant_id in dict.fromkeys(tenant_ids):
        audit.record(
            db.session,
            actor=actor,
            tenant_id=tenant_id,
            action=f"involvement.{action}",
            obj_type="involvement",
            obj_id=obj_id,
            after=after or None,
        )


# -- the municipality's side -----------------------------------------------------------------
def own_tenders() -> list[Tender]:
    """The acting buyer's tenders an invitation can point to (scoped)."""
    return list(
        db.session.scalars(
            select(Tender)
            .where(Tender.status != TenderStatus.CANCELLED)
            .order_by(Tender.created_at.desc(), Tender.id.desc())
        )
    )


def create(
    *,
    actor: User,
    municipality: Organisation,
    title: str,
    description: str = "",
    area: str = "",
    tender_id: int | None = None,
) -> Involvement:
    if municipality.kind not in INVITER_KINDS:
        raise InvolvementError(_("Alleen een gemeente of regio nodigt initiatieven uit."))
    title = (title or "").strip()
    if not title:
        raise InvolvementError(_("Geef de uitnodiging een titel."), "title")
    if tender_id is not None and tender_id not in {t.id for t in own_tenders()}:
        raise InvolvementError(_("Kies een aanbesteding van uw eigen organisatie."), "tender_id")
    involvement = Involvement(
        tenant_id=municipality.id,
        title=title,
        description=(description or "").strip(),
        area=(area or "").strip(),
        tender_id=tender_id,
        created_by_id=actor.id,
    )
    db.session.add(involvement)
    db.session.flush()
    _record(actor, [municipality.id], "created", involvement.id, title=title, tender=tender_id)
    return involvement


def get(involvement_id: int) -> Involvement | None:
    """One of the acting municipality's invitations (scoped)."""
    return db.session.scalar(select(Involvement).where(Involvement.id == involvement_id))


def initiatives_in_area(municipality: Organisation) -> set[int]:
    """Which cooperatives work in the municipality's area (a region: its municipalities'),
    and their umbrellas. Ids only: the organisation directory itself is public."""
    municipality_ids = municipalities_of(municipality)
    with cross_tenant("a municipality finds which local initiatives work in its area"):
        cooperatives = set(
            db.session.scalars(
                select(ServiceArea.tenant_id).where(
                    ServiceArea.municipality_id.in_(municipality_ids)
                )
            )
        )
    today = today_local()
    umbrellas = {
        a.parent_id
        for a in db.session.scalars(
            select(Affiliation).where(
                Affiliation.kind == AffiliationKind.UMBRELLA_MEMBER,
                Affiliation.child_id.in_(cooperatives),
            )
        )
        if a.is_current(today)
    }
    return cooperatives | umbrellas


@dataclass(frozen=True)
class Candidate:
    organisation: Organisation
    in_area: bool


def candidates(
    municipality: Organisation,
    *,
    name: str = "",
    area_only: bool = True,
    skip: set[int] = frozenset(),
) -> list[Candidate]:
    """Cooperatives and umbrellas to invite, by name and (by default) from the area."""
    local = initiatives_in_area(municipality)
    stmt = select(Organisation).where(
        Organisation.kind.in_(INVITEE_KINDS),
        Organisation.is_active.is_(True),
        Organisation.id.not_in(skip or {0}),
    )
    name = (name or "").strip()
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Organisation.name.ilike(f"%{escaped}%", escape="\\"))
    if area_only:
        stmt = stmt.where(Organisation.id.in_(local or {0}))
    rows = db.session.scalars(stmt.order_by(Organisation.name).limit(CANDIDATE_LIMIT))
    return [Candidate(org, org.id in local) for org in rows]


def invite(
    *,
    actor: User,
    municipality: Organisation,
    involvement: Involvement,
    organisations: list[Organisation],
) -> list[InvolvementInvitee]:
    """Invite these organisations; ones already invited are left as they are."""
    if not organisations:
        raise InvolvementError(_("Kies minstens één organisatie."), "organisations")
    if any(o.kind not in INVITEE_KINDS or not o.is_active for o in organisations):
        raise InvolvementError(_("Nodig alleen zorgcoöperaties en koepels uit."), "organisations")
    taken = {i.organisation_id for i in involvement.invitees}
    new = [o for o in dict.fromkeys(organisations) if o.id not in taken]
    if not new:
        raise InvolvementError(_("Deze organisaties zijn al uitgenodigd."), "organisations")
    now = utcnow()
    rows = []
    for org in new:
        row = InvolvementInvitee(
            tenant_id=municipality.id,
            organisation_id=org.id,
            invited_at=now,
            invited_by_id=actor.id,
        )
        involvement.invitees.append(row)
        rows.append(row)
    db.session.flush()
    for org in new:
        _record(actor, [municipality.id, org.id], "invited", involvement.id, organisation=org.slug)
    lines = [
        _(
            "%(municipality)s nodigt u uit om mee te doen: %(title)s.",
            municipality=municipality.name,
            title=involvement.title,
        ),
        involvement.description,
        _(
            "U kunt meedoen als inschrijver of als adviseur aan tafel. Geef uw antwoord "
            "in koepel onder Uitnodigingen om mee te doen."
        ),
    ]
    body = "\n\n".join(line for line in lines if line)
    for org in new:
        for address in emails_of([org.id], "bids.view"):
            queue_email(
                to=address,
                subject=_("Uitnodiging: %(title)s", title=involvement.title),
                body=body + "\n",
                tenant_id=org.id,
            )
    return rows


def responses_to(involvement: Involvement) -> dict[int, InvolvementResponse]:
    """The municipality sees how each organisation it invited answered (by invitee id)."""
    invited = {i.id: i.organisation_id for i in involvement.invitees}
    if not invited:
        return {}
    with cross_tenant("a municipality sees the answers to its invitations to take part"):
        rows = db.session.scalars(
            select(InvolvementResponse).where(InvolvementResponse.invitee_id.in_(list(invited)))
        ).all()
        found = {}
        for row in rows:
            db.session.expunge(row)
            if row.tenant_id == invited[row.invitee_id]:  # only the invited one's own answer
                found[row.invitee_id] = row
    return found


# -- the invited organisation's side ---------------------------------------------------------
@dataclass(frozen=True)
class Invitation:
    invitee_id: int
    municipality_id: int
    municipality_name: str
    title: str
    description: str
    area: str
    invited_at: datetime
    tender_id: int | None  # only when the tender is published
    tender_title: str | None
    response: InvolvementResponse | None


def invitations_for(organisation: Organisation) -> list[Invitation]:
    """The invitations to take part addressed to this organisation, with its own answers.
    A linked tender is named only once published (a draft is the buyer's alone)."""
    with cross_tenant("an organisation reads the invitations to take part addressed to it"):
        rows = db.session.execute(
            select(InvolvementInvitee, Involvement, Organisation.name)
            .join(Involvement, Involvement.id == InvolvementInvitee.involvement_id)
            .join(Organisation, Organisation.id == Involvement.tenant_id)
            .where(InvolvementInvitee.organisation_id == organisation.id)
            .order_by(InvolvementInvitee.invited_at.desc(), InvolvementInvitee.id.desc())
        ).all()
        tender_ids = {inv.tender_id for _i, inv, _n in rows if inv.tender_id}
        published = dict(
            db.session.execute(
                select(Tender.id, Tender.title).where(
                    Tender.id.in_(tender_ids), Tender.status != TenderStatus.DRAFT
                )
            ).all()
        )
        facts = [
            (
                invitee.id,
                inv.tenant_id,
                name,
                inv.title,
                inv.description,
                inv.area,
                invitee.invited_at,
                inv.tender_id if inv.tender_id in published else None,
                published.get(inv.tender_id),
            )
            for invitee, inv, name in rows
        ]
        for invitee, inv, _name in rows:
            for row in (invitee, inv):
                if row in db.session:
                    db.session.expunge(row)
    answers = {
        r.invitee_id: r
        for r in db.session.scalars(
            select(InvolvementResponse).where(
                InvolvementResponse.invitee_id.in_([f[0] for f in facts])
            )
        )
    }
    return [Invitation(*f, response=answers.get(f[0])) for f in facts]


def respond(
    *,
    actor: User,
    organisation: Organisation,
    invitee_id: int,
    answer: InvolvementAnswer,
    note: str = "",
) -> InvolvementResponse:
    """Accept as bidder, accept as adviser, or decline; a later answer replaces the earlier."""
    with cross_tenant("an invited organisation checks the invitation addressed to it"):
        invitee = db.session.scalar(
            select(InvolvementInvitee).where(
                InvolvementInvitee.id == invitee_id,
                InvolvementInvitee.organisation_id == organisation.id,
            )
        )
        if invitee is None:
            raise InvolvementError(_("Deze uitnodiging bestaat niet (meer)."))
        municipality_id, involvement_id = invitee.tenant_id, invitee.involvement_id
        db.session.expunge(invitee)
    note = (note or "").strip()
    row = db.session.scalar(
        select(InvolvementResponse).where(InvolvementResponse.invitee_id == invitee_id)
    )
    if row is None:
        row = InvolvementResponse(tenant_id=organisation.id, invitee_id=invitee_id)
        db.session.add(row)
    row.answer, row.note = answer, note
    row.responded_at, row.responded_by_id = utcnow(), actor.id
    db.session.flush()
    _record(
        actor,
        [organisation.id, municipality_id],
        "responded",
        involvement_id,
        organisation=organisation.slug,
        answer=answer.value,
    )
    return row
