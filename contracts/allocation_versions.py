"""Allocation versions: how a budget is divided among its partners, version by version.

The arithmetic is ``koepel.contracts.allocation`` (largest remainder, to the cent, with a
reason for every share); this module stores its inputs and results and runs the workflow:

    draft (proposals round) -> proposed -> agreed (by every partner) -> approved (by the
    buyer or funder)

- **Proposals** (Brunssum 2016, Alphen's coalition): the owner opens a round; every partner
  enters its own amount on its own page; the owner consolidates them. Only proposals that
  add up to the distributable amount become a proposed version; otherwise the owner sees how
  far each is off and what it would be if all were scaled to fit.
- **Fixed percentages**, **volume × tariff** and **equal shares** are proposed at once.
- A **reserve for citizen initiatives** can be set aside first (amount or percentage).
- Every partner with a share agrees on its own page; when the last one agrees the version is
  *agreed*; only then may the approver (``Budget.approver``) approve it.
- A new version supersedes the current one, which is kept with its agreements and comments.

Partners write their proposal, agreement or comment into the owner's rows inside a named
cross-tenant scope, and only for a budget they are a party to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from koepel.contracts import allocation as rules
from koepel.contracts.allocation_inputs import (  # noqa: F401  (the workflow's inputs)
    ReserveInput,
    ShareInput,
    VolumeInput,
    compute,
    key_partner,
    parse_initiatives,
    partner_key,
)
from koepel.contracts.budgeting import (
    BudgetError,
    BudgetView,
    NotAParty,
    explanation_json,
    require_owner,
)
from koepel.contracts.errors import ContractRuleError, _, amount, not_negative
from koepel.contracts.models.budgets import (
    AllocationAgreement,
    AllocationComment,
    AllocationMethod,
    AllocationShare,
    AllocationVersion,
    BudgetKind,
    VersionStatus,
)
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import Organisation, User
from koepel.platform.tenancy import cross_tenant
from koepel.platform.timeutil import utcnow

COMMENT_MAX = 5000
READ = "a party to a budget reads its allocation versions"


# -- reading ---------------------------------------------------------------------------------
@dataclass
class VersionData:
    """A version with everything its page shows, loaded in a fixed number of queries."""

    version: AllocationVersion
    shares: list[AllocationShare]  # partners', in the budget's partner order
    initiatives: list[AllocationShare]  # the reserve's parts
    agreements: dict[int, AllocationAgreement]  # by partner id
    comments: list[AllocationComment]

    @property
    def waiting_for(self) -> list[AllocationShare]:
        return [s for s in self.shares if s.partner_id not in self.agreements]


def versions(view: BudgetView) -> list[AllocationVersion]:
    """Every version of the budget, newest first (with their shares)."""
    with view.scope(READ):
        rows = db.session.scalars(
            select(AllocationVersion)
            .where(AllocationVersion.budget_id == view.budget.id)
            .options(selectinload(AllocationVersion.shares))
            .order_by(AllocationVersion.number.desc())
        ).all()
        if not view.is_owner:
            for row in rows:
                db.session.expunge(row)
    return list(rows)


def load(view: BudgetView, version_id: int) -> VersionData | None:
    """One version of the budget (None when it is not this budget's)."""
    with view.scope(READ):
        version = db.session.scalar(
            select(AllocationVersion)
            .where(
                AllocationVersion.id == version_id,
                AllocationVersion.budget_id == view.budget.id,
            )
            .options(selectinload(AllocationVersion.shares).joinedload(AllocationShare.partner))
        )
        if version is None:
            return None
        agreements = db.session.scalars(
            select(AllocationAgreement).where(AllocationAgreement.version_id == version.id)
        ).all()
        comments = db.session.scalars(
            select(AllocationComment)
            .where(AllocationComment.version_id == version.id)
            .options(joinedload(AllocationComment.organisation))
            .order_by(AllocationComment.created_at, AllocationComment.id)
        ).all()
        if not view.is_owner:
            for row in (version, *agreements, *comments):
                db.session.expunge(row)
    order = {p.partner_id: i for i, p in enumerate(view.budget.partners)}
    partners = sorted(
        (s for s in version.shares if s.partner_id is not None),
        key=lambda s: (order.get(s.partner_id, len(order)), s.id),
    )
    return VersionData(
        version=version,
        shares=partners,
        initiatives=[s for s in version.shares if s.partner_id is None],
        agreements={a.partner_id: a for a in agreements},
        comments=list(comments),
    )


def visible_shares(view: BudgetView, data: VersionData) -> list[AllocationShare]:
    """The partners' shares this organisation may see: all, or a subcontractor's own."""
    if view.sees_all_shares:
        return data.shares
    return [s for s in data.shares if s.partner_id == view.org.id]


# -- the workflow ------------------------------------------------------------------------------
def _audit(actor, view: BudgetView, version: AllocationVersion, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=view.budget.tenant_id,
        action=f"allocation.{action}",
        obj_type="allocation_version",
        obj_id=version.id,
        after={"budget": view.budget.id, "number": version.number, **after},
    )


def _check_budget(view: BudgetView) -> list[int]:
    budget = view.budget
    if budget.kind != BudgetKind.ALLOCATION:
        raise BudgetError(
            _("Een gedeelde wijkpot wordt achteraf verrekend, niet vooraf verdeeld."), state=True
        )
    if not budget.partners:
        raise BudgetError(_("Voeg eerst de partners toe."), "partners", state=True)
    if budget.total <= 0:
        raise BudgetError(_("Voeg eerst de financiering toe: de pot is nog leeg."), state=True)
    return [p.partner_id for p in budget.partners]


def _supersede(view: BudgetView, now: datetime) -> list[int]:
    """Mark the current versions superseded (kept as they were); returns their numbers."""
    rows = db.session.scalars(
        select(AllocationVersion).where(
            AllocationVersion.budget_id == view.budget.id,
            AllocationVersion.status != VersionStatus.SUPERSEDED,
        )
    ).all()
    for row in rows:
        row.status, row.superseded_at = VersionStatus.SUPERSEDED, now
    return [row.number for row in rows]


def _next_number(view: BudgetView) -> int:
    # One new version at a time per budget: the budget row is locked first (PostgreSQL).
    from koepel.contracts.models.budgets import Budget

    db.session.execute(select(Budget.id).where(Budget.id == view.budget.id).with_for_update())
    latest = db.session.scalar(
        select(func.max(AllocationVersion.number)).where(
            AllocationVersion.budget_id == view.budget.id
        )
    )
    return (latest or 0) + 1


def _fill(version: AllocationVersion, result: rules.Allocation, inputs, names) -> None:
    """Store the rule's result: every share's amount with its explanation."""
    by_partner = {s.partner_id: s for s in version.shares if s.partner_id is not None}
    for share in result.shares:
        pid = key_partner(share.partner)
        row = by_partner.get(pid)
        if row is None:
            row = AllocationShare(tenant_id=version.tenant_id, partner_id=pid)
            version.shares.append(row)
        given = inputs.get(pid) or ShareInput()
        row.proposed = share.proposed if share.proposed is not None else row.proposed
        row.percentage = given.percentage
        row.lines = [
            {"volume": str(line.volume), "tariff": str(line.tariff), "product": line.product}
            for line in share.lines
        ]
        row.amount, row.difference = share.amount, share.difference
        row.explanation = explanation_json(share.explanation)
    version.distributable, version.unallocated = result.distributable, result.unallocated
    if result.reserve is not None:
        version.reserve_result = result.reserve.amount
        version.reserve_explanation = explanation_json(result.reserve.explanation)
        for share in result.reserve.shares:
            name = share.partner[2:]
            version.shares.append(
                AllocationShare(
                    tenant_id=version.tenant_id,
                    initiative=name,
                    weight=names.get(name),
                    amount=share.amount,
                    explanation=explanation_json(share.explanation),
                )
            )
    elif version.reserve_amount is None and version.reserve_percent is None:
        version.reserve_result = None


def propose(
    *,
    actor: User | None,
    view: BudgetView,
    method: AllocationMethod,
    inputs: Mapping[int, ShareInput],
    reserve: ReserveInput | None = None,
    note: str = "",
    now: datetime | None = None,
) -> AllocationVersion:
    """A new version, proposed at once (proposals given by the owner must add up)."""
    require_owner(view)
    partner_ids = _check_budget(view)
    unknown = set(inputs) - set(partner_ids)
    if unknown:
        raise BudgetError(_("Er staat een organisatie in die geen partner is."), "partners")
    total = view.budget.total
    result = compute(method, total, partner_ids, inputs, reserve)
    if not result.balanced:
        raise BudgetError(" ".join(result.notes()), "proposals")
    now = now or utcnow()
    superseded = _supersede(view, now)
    version = AllocationVersion(
        tenant_id=view.budget.tenant_id,
        budget_id=view.budget.id,
        number=_next_number(view),
        method=method,
        status=VersionStatus.PROPOSED,
        total=total,
        reserve_amount=reserve.amount if reserve else None,
        reserve_percent=reserve.percent if reserve else None,
        note=(note or "").strip(),
        created_by_id=actor.id if actor else None,
        created_at=now,
        proposed_at=now,
    )
    db.session.add(version)
    _fill(version, result, inputs, dict(reserve.initiatives) if reserve else {})
    db.session.flush()
    _audit(
        actor,
        view,
        version,
        "proposed",
        method=method.value,
        total=total,
        shares={s.partner: s.amount for s in result.shares},
        reserve=result.reserve.amount if result.reserve else None,
        superseded=superseded,
    )
    return version


def open_round(
    *,
    actor: User | None,
    view: BudgetView,
    reserve: ReserveInput | None = None,
    note: str = "",
    now: datetime | None = None,
) -> AllocationVersion:
    """A proposals round: every partner enters its own amount, then the owner consolidates."""
    require_owner(view)
    partner_ids = _check_budget(view)
    total = view.budget.total
    # The reserve is checked now (it must fit the budget), the initiatives' parts computed
    # when the proposals are consolidated.
    compute(AllocationMethod.EQUAL, total, partner_ids, {}, reserve)
    now = now or utcnow()
    superseded = _supersede(view, now)
    version = AllocationVersion(
        tenant_id=view.budget.tenant_id,
        budget_id=view.budget.id,
        number=_next_number(view),
        method=AllocationMethod.PROPOSALS,
        status=VersionStatus.DRAFT,
        total=total,
        reserve_amount=reserve.amount if reserve else None,
        reserve_percent=reserve.percent if reserve else None,
        note=(note or "").strip(),
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    version.shares = [
        AllocationShare(tenant_id=view.budget.tenant_id, partner_id=pid) for pid in partner_ids
    ]
    # The initiatives wait in the version until consolidation (weight, no amount yet).
    for name, weight in (reserve.initiatives if reserve else {}).items():
        version.shares.append(
            AllocationShare(tenant_id=view.budget.tenant_id, initiative=name, weight=weight)
        )
    db.session.add(version)
    db.session.flush()
    _audit(actor, view, version, "round_opened", total=total, superseded=superseded)
    return version


WRITE_PROPOSAL = "a partner enters its own proposal in a budget it is a partner in"
WRITE_AGREEMENT = "a partner agrees to an allocation of a budget it is a partner in"
WRITE_APPROVAL = "the approver of a budget approves an allocation agreed by all partners"
WRITE_COMMENT = "a party to a budget comments on an allocation version"


def _locked(view: BudgetView, version_id: int, reason: str) -> AllocationVersion:
    """The version row, locked for this change, re-read in the writer's scope."""
    with view.scope(reason):
        version = db.session.scalar(
            select(AllocationVersion)
            .where(
                AllocationVersion.id == version_id,
                AllocationVersion.budget_id == view.budget.id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if version is None:
        raise NotAParty(_("Deze versie hoort niet bij deze pot."))
    return version


def enter_proposal(
    *, actor: User | None, view: BudgetView, version_id: int, proposed: Decimal
) -> AllocationShare:
    """A partner's own proposed amount, in an open proposals round (again: replaced)."""
    if not view.is_partner:
        raise NotAParty(_("Alleen een partner doet een voorstel."))
    label = _("Uw voorstel")
    money = not_negative(amount(proposed, label, "proposed"), label, "proposed")
    with view.scope(WRITE_PROPOSAL):
        version = _locked(view, version_id, WRITE_PROPOSAL)
        if version.status != VersionStatus.DRAFT:
            raise BudgetError(
                _("Deze voorstelronde is gesloten. Voorstellen kunnen niet meer veranderen."),
                "proposed",
                state=True,
            )
        share = db.session.scalar(
            select(AllocationShare).where(
                AllocationShare.version_id == version.id,
                AllocationShare.partner_id == view.org.id,
            )
        )
        if share is None:
            raise NotAParty(_("U staat niet in deze voorstelronde."), "proposed")
        before = share.proposed
        share.proposed, share.proposed_at = money, utcnow()
        share.proposed_by_id = actor.id if actor else None
        db.session.flush()
        audit.record(
            db.session,
            actor=actor,
            tenant_id=view.budget.tenant_id,
            action="allocation.proposal_entered",
            obj_type="allocation_version",
            obj_id=version.id,
            before={"partner": view.org.slug, "proposed": before},
            after={"partner": view.org.slug, "proposed": money},
        )
    return share


@dataclass(frozen=True)
class Consolidation:
    """The proposals round as it stands: what each partner proposed, and what the rule
    makes of it (``None`` while proposals are missing)."""

    missing: list[int]
    result: rules.Allocation | None


def preview(view: BudgetView, data: VersionData) -> Consolidation:
    """What consolidating the round now would give (for the owner's page)."""
    version = data.version
    missing = [s.partner_id for s in data.shares if s.proposed is None]
    if missing or version.status != VersionStatus.DRAFT:
        return Consolidation(missing, None)
    inputs = {s.partner_id: ShareInput(proposed=s.proposed) for s in data.shares}
    try:
        result = compute(
            AllocationMethod.PROPOSALS,
            version.total,
            [s.partner_id for s in data.shares],
            inputs,
            _stored_reserve(version, data.initiatives),
        )
    except ContractRuleError:
        return Consolidation(missing, None)
    return Consolidation(missing, result)


def _stored_reserve(version: AllocationVersion, initiatives) -> ReserveInput | None:
    if version.reserve_amount is None and version.reserve_percent is None:
        return None
    return ReserveInput(
        amount=version.reserve_amount,
        percent=version.reserve_percent,
        initiatives={s.initiative: s.weight for s in initiatives},
    )


def consolidate(
    *,
    actor: User | None,
    view: BudgetView,
    version_id: int,
    amounts: Mapping[int, Decimal] | None = None,
    now: datetime | None = None,
) -> AllocationVersion:
    """The owner turns the round into a proposed version: the partners' own amounts, or
    ``amounts`` where the owner changed them (both kept). They must add up."""
    require_owner(view)
    version = _locked(view, version_id, READ)
    if version.status != VersionStatus.DRAFT:
        raise BudgetError(_("Deze voorstelronde is al samengevoegd."), state=True)
    db.session.refresh(version, ["shares"])
    partners = [s for s in version.shares if s.partner_id is not None]
    initiatives = [s for s in version.shares if s.partner_id is None]
    amounts = dict(amounts or {})
    inputs: dict[int, ShareInput] = {}
    changed = {}
    for share in partners:
        figure = amounts.get(share.partner_id, share.proposed)
        if figure is None:
            raise BudgetError(
                _(
                    "Nog niet alle partners hebben een voorstel gedaan: %(names)s.",
                    names=", ".join(s.partner.name for s in partners if s.proposed is None),
                ),
                partner_key(share.partner_id),
                state=True,
            )
        if share.proposed is not None and figure != share.proposed:
            changed[share.partner.slug] = {"proposed": share.proposed, "consolidated": figure}
        inputs[share.partner_id] = ShareInput(proposed=figure)
    reserve = _stored_reserve(version, initiatives)
    ids = [s.partner_id for s in partners]
    result = compute(AllocationMethod.PROPOSALS, version.total, ids, inputs, reserve)
    if not result.balanced:
        raise BudgetError(" ".join(result.notes()), "proposals")
    now = now or utcnow()
    # The round's initiatives are replaced by their computed parts.
    for share in initiatives:
        version.shares.remove(share)
    own = {s.partner_id: s.proposed for s in partners}
    _fill(version, result, inputs, reserve.initiatives if reserve else {})
    for share in partners:  # keep what each partner itself proposed
        share.proposed = own[share.partner_id]
    version.status, version.proposed_at = VersionStatus.PROPOSED, now
    db.session.flush()
    _audit(
        actor,
        view,
        version,
        "proposed",
        method=version.method.value,
        total=version.total,
        shares={s.partner: s.amount for s in result.shares},
        changed_by_owner=changed,
    )
    return version


def agree(
    *, actor: User | None, view: BudgetView, version_id: int, now: datetime | None = None
) -> AllocationVersion:
    """A partner agrees to a proposed version; the last agreement makes it agreed."""
    if not view.is_partner:
        raise NotAParty(_("Alleen een partner geeft akkoord."))
    now = now or utcnow()
    with view.scope(WRITE_AGREEMENT):
        version = _locked(view, version_id, WRITE_AGREEMENT)
        partners = set(
            db.session.scalars(
                select(AllocationShare.partner_id).where(
                    AllocationShare.version_id == version.id,
                    AllocationShare.partner_id.is_not(None),
                )
            )
        )
        if view.org.id not in partners:
            raise NotAParty(_("U heeft geen deel in deze versie."))
        if version.status != VersionStatus.PROPOSED:
            raise BudgetError(_refusal(version, _("akkoord geven")), state=True)
        agreed = set(
            db.session.scalars(
                select(AllocationAgreement.partner_id).where(
                    AllocationAgreement.version_id == version.id
                )
            )
        )
        if view.org.id in agreed:
            raise BudgetError(_("U heeft al akkoord gegeven op deze versie."), state=True)
        db.session.add(
            AllocationAgreement(
                tenant_id=view.budget.tenant_id,
                version_id=version.id,
                partner_id=view.org.id,
                agreed_by_id=actor.id if actor else None,
                agreed_at=now,
            )
        )
        everyone = partners <= agreed | {view.org.id}
        if everyone:
            version.status, version.agreed_at = VersionStatus.AGREED, now
        db.session.flush()
        _audit(actor, view, version, "agreed", partner=view.org.slug, all_agreed=everyone)
    return version


def _refusal(version: AllocationVersion, doing: str) -> str:
    if version.status == VersionStatus.DRAFT:
        return _("De voorstellen zijn nog niet samengevoegd; %(doing)s kan nog niet.", doing=doing)
    if version.status == VersionStatus.SUPERSEDED:
        return _(
            "Deze versie is vervangen door een nieuwere; %(doing)s kan niet meer.", doing=doing
        )
    if version.status == VersionStatus.APPROVED:
        return _("Deze versie is al goedgekeurd.")
    return _("Alle partners hebben al akkoord gegeven.")


def approve(
    *, actor: User | None, view: BudgetView, version_id: int, now: datetime | None = None
) -> AllocationVersion:
    """The approver (buyer or funder) approves a version every partner agreed to."""
    if not view.is_approver:
        raise BudgetError(
            _(
                "Alleen %(approver)s keurt de verdeling van deze pot goed.",
                approver=view.budget.approver.name,
            ),
            state=True,
        )
    now = now or utcnow()
    with view.scope(WRITE_APPROVAL):
        version = _locked(view, version_id, WRITE_APPROVAL)
        if version.status == VersionStatus.PROPOSED:
            waiting = db.session.scalars(
                select(Organisation.name)
                .join(AllocationShare, AllocationShare.partner_id == Organisation.id)
                .where(
                    AllocationShare.version_id == version.id,
                    AllocationShare.partner_id.not_in(
                        select(AllocationAgreement.partner_id).where(
                            AllocationAgreement.version_id == version.id
                        )
                    ),
                )
                .order_by(Organisation.name)
            ).all()
            raise BudgetError(
                _(
                    "Nog niet alle partners hebben akkoord gegeven. Wacht op: %(names)s.",
                    names=", ".join(waiting),
                ),
                state=True,
            )
        if version.status != VersionStatus.AGREED:
            raise BudgetError(_refusal(version, _("goedkeuren")), state=True)
        version.status = VersionStatus.APPROVED
        version.approved_at, version.approved_by_id = now, actor.id if actor else None
        db.session.flush()
        _audit(actor, view, version, "approved", approver=view.org.slug)
    return version


def comment(
    *, actor: User | None, view: BudgetView, version_id: int, body: str
) -> AllocationComment:
    """A remark on a version by any party to the budget (kept with the version)."""
    text = (body or "").strip()
    if not text:
        raise BudgetError(_("Schrijf eerst uw opmerking."), "body")
    if len(text) > COMMENT_MAX:
        raise BudgetError(_("Gebruik hoogstens %(max)s tekens.", max=COMMENT_MAX), "body")
    with view.scope(WRITE_COMMENT):
        version = _locked(view, version_id, WRITE_COMMENT)
        row = AllocationComment(
            tenant_id=view.budget.tenant_id,
            version_id=version.id,
            organisation_id=view.org.id,
            author_id=actor.id if actor else None,
            body=text,
        )
        db.session.add(row)
        db.session.flush()
        _audit(actor, view, version, "commented", organisation=view.org.slug, comment=row.id)
        if not view.is_owner:
            db.session.expunge(row)
    return row


def total_of(shares: Sequence[AllocationShare]) -> Decimal:
    return sum((s.amount or Decimal("0.00") for s in shares), Decimal("0.00"))


def budget_of_version(version_id: int) -> int | None:
    """Which budget a version belongs to (only its number: whether the asker may see that
    budget is decided by ``budgeting.budget_for``)."""
    with cross_tenant("find the budget of an allocation version before checking access to it"):
        return db.session.scalar(
            select(AllocationVersion.budget_id).where(AllocationVersion.id == version_id)
        )
