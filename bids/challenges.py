"""Right to Challenge: a cooperative (or an umbrella on behalf of a member) challenges a
municipality to let it carry out a task; the municipality assesses it within a term.

Ownership: the challenger owns its challenge, its answers per criterion and its replies;
the municipality owns its policy (term, criteria, tasks and their current cost), the
assessment, its questions and the decision. Each side reads the other's rows only through
the named ``cross_tenant`` functions below. A draft is the challenger's alone; once
submitted, the municipality it is addressed to sees it, with the challenger's name.

The term (a stated rule): it is counted in calendar days, Dutch time, from the day the
municipality registers the challenge, and ends at the end of the due date (registration
day + term). While a question of the municipality waits for an answer the term stands
still: each day from the day of the question up to the day of the answer is added to it,
as the Awb (art. 4:15) does for an incomplete application. One question is open at a time.

Functions take the actor and organisations explicitly, record audit events and only
flush; e-mail goes through the outbox.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from koepel.bids import tenders
from koepel.bids.models import LotKind, Procedure
from koepel.bids.models.challenges import (
    Challenge,
    ChallengeAssessment,
    ChallengeCheck,
    ChallengeCriterion,
    ChallengeDecision,
    ChallengePolicy,
    ChallengeStatus,
    ChallengeTask,
    InformationReply,
    InformationRequest,
)
from koepel.platform import audit, policy
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, enqueue, job
from koepel.platform.mail import queue_email
from koepel.platform.models import Organisation, OrgKind, OrgRole, User
from koepel.platform.money import to_money
from koepel.platform.schedule import periodic
from koepel.platform.tenancy import cross_tenant, current_tenant_id
from koepel.platform.timeutil import format_date_local, utcnow
from koepel.platform.timeutil import local_today as today_local

CHALLENGER_KINDS = (OrgKind.COOPERATIVE, OrgKind.UMBRELLA)
ASSESSOR_KINDS = (OrgKind.MUNICIPALITY,)
DEFAULT_TERM_WEEKS = 8
REMIND_DAYS = 7  # the officers are reminded a week before the term ends

# Following Leiden's practice; each municipality edits its own list.
DEFAULT_CRITERIA = (
    (
        "cost",
        _l("De kosten zijn niet hoger dan nu"),
        _l("Het initiatief kost de gemeente niet meer dan wat zij nu aan deze taak uitgeeft."),
        True,
    ),
    (
        "surplus",
        _l("Wat overblijft, blijft in de buurt"),
        _l("Houdt het initiatief geld over, dan gaat dat naar de wijk of het dorp."),
        False,
    ),
    (
        "legal_entity",
        _l("Het initiatief is een rechtspersoon"),
        _l("Bijvoorbeeld een coöperatie, vereniging of stichting met een KvK-nummer."),
        False,
    ),
    (
        "local",
        _l("De initiatiefnemers komen uit het gebied"),
        _l("De mensen achter het initiatief wonen of werken in de wijk of het dorp."),
        False,
    ),
    (
        "support",
        _l("Er is aantoonbaar draagvlak in de buurt"),
        _l("Bijvoorbeeld leden, handtekeningen of steunbetuigingen van bewoners."),
        False,
    ),
)


class ChallengeError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _record(actor, tenant_ids: Iterable[int], action: str, obj_id: int, **after) -> None:
    """One event in the log of each side that sees the step."""
    for tenant_id in dict.fromkeys(tenant_ids):
        audit.record(
            db.session,
            actor=actor,
            tenant_id=tenant_id,
            action=action,
            obj_type="challenge",
            obj_id=obj_id,
            after=after or None,
        )


# -- the municipality's policy --------------------------------------------------------------
@dataclass(frozen=True)
class CriterionView:
    key: str
    title: str
    description: str
    is_cost: bool


@dataclass
class Policy:
    municipality_id: int
    term_weeks: int
    criteria: list[CriterionView]
    tasks: list[ChallengeTask]
    written: bool  # False: nothing changed yet, the defaults apply

    def task(self, task_id: int | None) -> ChallengeTask | None:
        return next((t for t in self.tasks if t.id == task_id), None)


def _default_criteria() -> list[CriterionView]:
    return [CriterionView(k, str(t), str(d), c) for k, t, d, c in DEFAULT_CRITERIA]


def _read_policy(municipality_id: int) -> Policy:
    row = db.session.scalar(
        select(ChallengePolicy).where(ChallengePolicy.tenant_id == municipality_id)
    )
    tasks = db.session.scalars(
        select(ChallengeTask)
        .where(ChallengeTask.tenant_id == municipality_id, ChallengeTask.archived_at.is_(None))
        .order_by(ChallengeTask.name, ChallengeTask.id)
    ).all()
    if row is None:
        return Policy(municipality_id, DEFAULT_TERM_WEEKS, _default_criteria(), list(tasks), False)
    criteria = db.session.scalars(
        select(ChallengeCriterion)
        .where(
            ChallengeCriterion.tenant_id == municipality_id,
            ChallengeCriterion.archived_at.is_(None),
        )
        .order_by(ChallengeCriterion.position, ChallengeCriterion.id)
    ).all()
    views = [CriterionView(c.key, c.title, c.description, c.is_cost) for c in criteria]
    return Policy(municipality_id, row.term_weeks, views, list(tasks), True)


def policy_of(municipality: Organisation) -> Policy:
    """The acting municipality's own policy."""
    return _read_policy(municipality.id)


def published_policy(municipality: Organisation) -> Policy:
    """Challengers read a municipality's criteria, term and tasks with their current cost:
    the municipality publishes them so a challenge can be held against them."""
    with cross_tenant("challengers read a municipality's published Right to Challenge policy"):
        found = _read_policy(municipality.id)
        for task in found.tasks:
            db.session.expunge(task)
    return found


def _written_policy(actor: User, municipality: Organisation) -> ChallengePolicy:
    """Write the defaults down before the first change, so every change edits real rows."""
    row = db.session.scalar(select(ChallengePolicy))
    if row is not None:
        return row
    row = ChallengePolicy(
        tenant_id=municipality.id, term_weeks=DEFAULT_TERM_WEEKS, updated_by_id=actor.id
    )
    db.session.add(row)
    with force_locale("nl"):  # the municipality publishes in Dutch
        for position, (key, title, description, is_cost) in enumerate(DEFAULT_CRITERIA):
            db.session.add(
                ChallengeCriterion(
                    tenant_id=municipality.id,
                    key=key,
                    position=position,
                    title=str(title),
                    description=str(description),
                    is_cost=is_cost,
                )
            )
    db.session.flush()
    return row


def _policy_event(actor, municipality, action: str, **after) -> None:
    audit.record(
        db.session,
        actor=actor,
        tenant_id=municipality.id,
        action=f"challenge_policy.{action}",
        obj_type="organisation",
        obj_id=municipality.id,
        after=after,
    )


def set_term(*, actor: User, municipality: Organisation, weeks: int | None) -> None:
    if weeks is None or not 1 <= weeks <= 52:
        raise ChallengeError(_("Kies een termijn van 1 tot en met 52 weken."), "term_weeks")
    row = _written_policy(actor, municipality)
    row.term_weeks, row.updated_at, row.updated_by_id = weeks, utcnow(), actor.id
    db.session.flush()
    _policy_event(actor, municipality, "term_set", weeks=weeks)


def criterion(key: str) -> ChallengeCriterion | None:
    """One of the acting municipality's criteria (scoped)."""
    return db.session.scalar(
        select(ChallengeCriterion).where(
            ChallengeCriterion.key == key, ChallengeCriterion.archived_at.is_(None)
        )
    )


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ChallengeError(_("Geef het criterium een naam."), "title")
    return title


def add_criterion(
    *, actor: User, municipality: Organisation, title: str, description: str = ""
) -> ChallengeCriterion:
    title = _title(title)
    _written_policy(actor, municipality)
    last = db.session.scalar(select(func.max(ChallengeCriterion.position))) or 0
    row = ChallengeCriterion(
        tenant_id=municipality.id,
        key=f"c{secrets.token_hex(4)}",
        position=last + 1,
        title=title,
        description=(description or "").strip(),
    )
    db.session.add(row)
    db.session.flush()
    _policy_event(actor, municipality, "criterion_added", key=row.key, title=title)
    return row


def update_criterion(
    *, actor: User, municipality: Organisation, key: str, title: str, description: str = ""
) -> ChallengeCriterion:
    title = _title(title)
    _written_policy(actor, municipality)
    row = criterion(key)
    if row is None:
        raise ChallengeError(_("Dit criterium bestaat niet (meer)."))
    row.title, row.description = title, (description or "").strip()
    db.session.flush()
    _policy_event(actor, municipality, "criterion_changed", key=key, title=title)
    return row


def archive_criterion(*, actor: User, municipality: Organisation, key: str) -> None:
    """Withdraw a criterion; answers already given to it keep their copy of the title."""
    _written_policy(actor, municipality)
    row = criterion(key)
    if row is None:
        raise ChallengeError(_("Dit criterium bestaat niet (meer)."))
    row.archived_at = utcnow()
    db.session.flush()
    _policy_event(actor, municipality, "criterion_withdrawn", key=key)


def task(task_id: int) -> ChallengeTask | None:
    """One of the acting municipality's tasks (scoped)."""
    return db.session.scalar(
        select(ChallengeTask).where(
            ChallengeTask.id == task_id, ChallengeTask.archived_at.is_(None)
        )
    )


def _task_fields(name: str, cost: Decimal | None) -> tuple[str, Decimal | None]:
    name = (name or "").strip()
    if not name:
        raise ChallengeError(_("Geef de taak een naam."), "name")
    if cost is not None and cost < 0:
        raise ChallengeError(_("Een bedrag kan niet negatief zijn."), "current_yearly_cost")
    return name, to_money(cost) if cost is not None else None


def add_task(
    *,
    actor: User,
    municipality: Organisation,
    name: str,
    current_yearly_cost: Decimal | None,
    description: str = "",
) -> ChallengeTask:
    name, cost = _task_fields(name, current_yearly_cost)
    _written_policy(actor, municipality)
    row = ChallengeTask(
        tenant_id=municipality.id,
        name=name,
        description=(description or "").strip(),
        current_yearly_cost=cost,
    )
    db.session.add(row)
    db.session.flush()
    _policy_event(actor, municipality, "task_added", task=row.id, name=name, cost=cost)
    return row


def update_task(
    *,
    actor: User,
    municipality: Organisation,
    row: ChallengeTask,
    name: str,
    current_yearly_cost: Decimal | None,
    description: str = "",
) -> None:
    name, cost = _task_fields(name, current_yearly_cost)
    before = {"name": row.name, "cost": row.current_yearly_cost}
    row.name, row.description, row.current_yearly_cost = name, (description or "").strip(), cost
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=municipality.id,
        action="challenge_policy.task_changed",
        obj_type="organisation",
        obj_id=municipality.id,
        before=before,
        after={"task": row.id, "name": name, "cost": cost},
    )


def archive_task(*, actor: User, municipality: Organisation, row: ChallengeTask) -> None:
    row.archived_at = utcnow()
    db.session.flush()
    _policy_event(actor, municipality, "task_withdrawn", task=row.id)


# -- the challenger's side ------------------------------------------------------------------
@dataclass
class ChallengeData:
    task_id: int | None = None
    task_name: str = ""  # when the task is not on the municipality's list
    area: str = ""
    target_group: str = ""
    motivation: str = ""
    social_value: str = ""
    estimated_budget: Decimal | None = None  # per year
    supporters: int | None = None
    checks: dict[str, tuple[bool, str]] = field(default_factory=dict)  # key: (met, why)


@dataclass(frozen=True)
class CostComparison:
    current: Decimal
    estimate: Decimal

    @property
    def difference(self) -> Decimal:
        return self.estimate - self.current  # below zero: cheaper than today

    @property
    def not_higher(self) -> bool:
        return self.estimate <= self.current


def compare_cost(estimate: Decimal | None, current: Decimal | None) -> CostComparison | None:
    if estimate is None or current is None:
        return None
    return CostComparison(to_money(current), to_money(estimate))


def current_cost(challenge: Challenge, found: Policy | None) -> Decimal | None:
    """What the task costs the municipality today: as it was at submission once submitted."""
    if challenge.status == ChallengeStatus.SUBMITTED:
        return challenge.cost_at_submission
    chosen = found.task(challenge.task_id) if found else None
    return chosen.current_yearly_cost if chosen else None


def municipalities() -> list[Organisation]:
    """The municipalities one can challenge (the organisation directory is public)."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind.in_(ASSESSOR_KINDS), Organisation.is_active.is_(True))
            .order_by(Organisation.name)
        )
    )


def members_of(umbrella: Organisation, on: date | None = None) -> list[Organisation]:
    members = policy.current_umbrella_members(umbrella, on or today_local())
    return sorted(members, key=lambda o: o.name)


def _check_behalf(challenger: Organisation, behalf: Organisation | None, on: date) -> None:
    if challenger.kind == OrgKind.UMBRELLA:
        if behalf is None:
            raise ChallengeError(
                _("Kies de coöperatie namens wie de koepel de challenge indient."),
                "on_behalf_of",
            )
        if behalf.id not in {m.id for m in policy.current_umbrella_members(challenger, on)}:
            raise ChallengeError(
                _(
                    "%(name)s is geen lid van uw koepel. Een koepel dient alleen een "
                    "challenge in namens een van haar leden.",
                    name=behalf.name,
                ),
                "on_behalf_of",
            )
    elif behalf is not None and behalf.id != challenger.id:
        raise ChallengeError(
            _("Alleen een koepel dient een challenge in namens een ander."), "on_behalf_of"
        )


def start(
    *,
    actor: User,
    challenger: Organisation,
    municipality: Organisation | None,
    on_behalf_of: Organisation | None = None,
) -> Challenge:
    if challenger.kind not in CHALLENGER_KINDS:
        raise ChallengeError(_("Alleen een zorgcoöperatie of koepel kan een challenge indienen."))
    if municipality is None or municipality.kind not in ASSESSOR_KINDS:
        raise ChallengeError(_("Kies de gemeente die u wilt uitdagen."), "municipality")
    behalf = on_behalf_of if challenger.kind == OrgKind.UMBRELLA else None
    _check_behalf(challenger, on_behalf_of, today_local())
    challenge = Challenge(
        tenant_id=challenger.id,
        municipality_id=municipality.id,
        on_behalf_of_id=behalf.id if behalf else None,
        created_by_id=actor.id,
    )
    db.session.add(challenge)
    db.session.flush()
    _record(
        actor,
        [challenger.id],
        "challenge.started",
        challenge.id,
        municipality=municipality.slug,
        on_behalf_of=behalf.slug if behalf else None,
    )
    return challenge


def _editable(challenge: Challenge) -> None:
    if challenge.status != ChallengeStatus.DRAFT:
        raise ChallengeError(_("Deze challenge is ingediend en kan niet meer veranderen."))


def _write_checks(challenge: Challenge, found: Policy, answers: dict[str, tuple[bool, str]]):
    """One answer per current criterion; the cost criterion follows the comparison where
    the municipality entered the current cost."""
    comparison = compare_cost(challenge.estimated_budget, current_cost(challenge, found))
    existing = {c.criterion_key: c for c in challenge.checks}
    wanted = {c.key for c in found.criteria}
    for key, row in existing.items():
        if key not in wanted:
            challenge.checks.remove(row)
    db.session.flush()  # removals first: a criterion may come back under the same key
    for crit in found.criteria:
        met, explanation = answers.get(crit.key, (False, ""))
        if crit.is_cost and comparison is not None:
            met = comparison.not_higher
        row = existing.get(crit.key)
        if row is None:
            row = ChallengeCheck(tenant_id=challenge.tenant_id, criterion_key=crit.key)
            challenge.checks.append(row)
        row.title, row.is_cost = crit.title, crit.is_cost
        row.met, row.explanation = bool(met), (explanation or "").strip()
    db.session.flush()


def save_draft(
    *,
    actor: User,
    challenger: Organisation,
    challenge: Challenge,
    data: ChallengeData,
    found: Policy,
) -> None:
    """Keep what the challenger wrote; completeness is checked on submission."""
    _editable(challenge)
    if data.task_id is not None:
        chosen = found.task(data.task_id)
        if chosen is None:
            raise ChallengeError(_("Kies een taak uit de lijst van de gemeente."), "task_id")
        challenge.task_id, challenge.task_name = chosen.id, chosen.name
    else:
        challenge.task_id, challenge.task_name = None, (data.task_name or "").strip()
    if data.estimated_budget is not None and data.estimated_budget < 0:
        raise ChallengeError(_("Een bedrag kan niet negatief zijn."), "estimated_budget")
    if data.supporters is not None and data.supporters < 0:
        raise ChallengeError(_("Het aantal kan niet negatief zijn."), "supporters")
    challenge.area, challenge.target_group = data.area.strip(), data.target_group.strip()
    challenge.motivation, challenge.social_value = (
        data.motivation.strip(),
        data.social_value.strip(),
    )
    challenge.estimated_budget = (
        to_money(data.estimated_budget) if data.estimated_budget is not None else None
    )
    challenge.supporters = data.supporters
    _write_checks(challenge, found, data.checks)
    _record(actor, [challenger.id], "challenge.draft_saved", challenge.id)


def submit(
    *,
    actor: User,
    challenger: Organisation,
    challenge: Challenge,
    found: Policy,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    _editable(challenge)
    behalf = (
        db.session.get(Organisation, challenge.on_behalf_of_id)
        if challenge.on_behalf_of_id
        else None
    )
    _check_behalf(challenger, behalf, today_local(now))
    required = (
        (challenge.task_name, "task_id", _("Noem de taak die u wilt overnemen.")),
        (challenge.area, "area", _("Noem het gebied: de wijk, het dorp of de kern.")),
        (challenge.target_group, "target_group", _("Noem de doelgroep.")),
        (challenge.motivation, "motivation", _("Schrijf waarom u dit even goed of beter kunt.")),
        (challenge.social_value, "social_value", _("Beschrijf de maatschappelijke meerwaarde.")),
    )
    for value, name, message in required:
        if not value:
            raise ChallengeError(message, name)
    if not challenge.estimated_budget or challenge.estimated_budget <= 0:
        raise ChallengeError(_("Vul de geschatte kosten per jaar in."), "estimated_budget")
    if challenge.supporters is None:
        raise ChallengeError(
            _("Vul in hoeveel leden of bewoners de challenge steunen."), "supporters"
        )
    chosen = found.task(challenge.task_id)
    if challenge.task_id is not None and chosen is None:
        raise ChallengeError(_("Kies een taak uit de lijst van de gemeente."), "task_id")
    cost = chosen.current_yearly_cost if chosen else None
    _write_checks(
        challenge, found, {c.criterion_key: (c.met, c.explanation) for c in challenge.checks}
    )
    for check in challenge.checks:
        automatic = check.is_cost and cost is not None
        if not automatic and not check.explanation:
            raise ChallengeError(
                _("Licht toe hoe u voldoet aan: %(title)s.", title=check.title),
                f"check:{check.criterion_key}",
            )
    challenge.cost_at_submission = cost
    challenge.status, challenge.submitted_at, challenge.submitted_by_id = (
        ChallengeStatus.SUBMITTED,
        now,
        actor.id,
    )
    db.session.flush()
    _record(
        actor,
        [challenger.id, challenge.municipality_id],
        "challenge.submitted",
        challenge.id,
        task=challenge.task_name,
        budget=challenge.estimated_budget,
    )
    _mail(
        emails_of([challenge.municipality_id], "challenges.assess"),
        _("Nieuwe Right to Challenge: %(task)s", task=challenge.task_name),
        [
            _(
                "%(name)s heeft een Right to Challenge ingediend voor: %(task)s.",
                name=challenger.name,
                task=challenge.task_name,
            ),
            _("Registreer de challenge in koepel; dan begint de termijn voor de beoordeling."),
        ],
        challenge.municipality_id,
    )


@dataclass(frozen=True)
class OnBehalf:
    challenge_id: int
    umbrella_id: int
    municipality_id: int
    task_name: str
    submitted_at: datetime


def filed_on_behalf_of(cooperative: Organisation) -> list[OnBehalf]:
    """A member cooperative sees which challenges its umbrella submitted in its name."""
    with cross_tenant("a cooperative sees the challenges its umbrella submitted in its name"):
        rows = db.session.execute(
            select(
                Challenge.id,
                Challenge.tenant_id,
                Challenge.municipality_id,
                Challenge.task_name,
                Challenge.submitted_at,
            )
            .where(
                Challenge.on_behalf_of_id == cooperative.id,
                Challenge.status == ChallengeStatus.SUBMITTED,
            )
            .order_by(Challenge.submitted_at.desc())
        ).all()
    return [OnBehalf(*row) for row in rows]


# -- what both sides see of a submitted challenge --------------------------------------------
def submitted_to(municipality: Organisation) -> list[Challenge]:
    """The challenges submitted to this municipality (never a draft), with their answers."""
    with cross_tenant("a municipality reads the challenges submitted to it"):
        rows = db.session.scalars(
            select(Challenge)
            .where(
                Challenge.municipality_id == municipality.id,
                Challenge.status == ChallengeStatus.SUBMITTED,
            )
            .options(selectinload(Challenge.checks))
            .order_by(Challenge.submitted_at.desc(), Challenge.id.desc())
        ).all()
        for row in rows:
            db.session.expunge(row)
    return list(rows)


def submitted_challenge(municipality: Organisation, challenge_id: int) -> Challenge | None:
    with cross_tenant("a municipality reads a challenge submitted to it"):
        row = db.session.scalar(
            select(Challenge)
            .where(
                Challenge.id == challenge_id,
                Challenge.municipality_id == municipality.id,
                Challenge.status == ChallengeStatus.SUBMITTED,
            )
            .options(selectinload(Challenge.checks))
        )
        if row is not None:
            db.session.expunge(row)
    return row


@dataclass(frozen=True)
class Countdown:
    registered_on: date
    due_date: date
    days_left: int  # below zero: overdue
    paused_days: int
    suspended_since: date | None  # a question waits for its answer
    decided_on: date | None

    @property
    def overdue(self) -> bool:
        return self.decided_on is None and self.suspended_since is None and self.days_left < 0

    @property
    def decided_late(self) -> bool:
        return self.decided_on is not None and self.decided_on > self.due_date


def countdown(
    *,
    registered_at: datetime,
    term_days: int,
    pauses: Iterable[tuple[datetime, datetime | None]],
    today: date,
    decided_at: datetime | None = None,
) -> Countdown:
    """The due date under the rule in this module's docstring. ``pauses``: each question's
    moment and its answer's (None while it waits)."""
    registered_on = today_local(registered_at)
    decided_on = today_local(decided_at) if decided_at else None
    until = decided_on or today
    paused, suspended_since = 0, None
    for asked_at, answered_at in pauses:
        asked_on = today_local(asked_at)
        answered_on = today_local(answered_at) if answered_at else until
        if answered_at is None and decided_on is None:
            suspended_since = asked_on
        paused += max(0, (answered_on - asked_on).days)
    due = registered_on + timedelta(days=term_days + paused)
    return Countdown(registered_on, due, (due - until).days, paused, suspended_since, decided_on)


def _detach_foreign(rows: Iterable[object | None], own: int | None) -> None:
    """Another tenant's rows leave the unit of work (plain values from here on, nothing
    reloads them in the wrong scope); the acting tenant's own rows stay, so it can change them."""
    for row in rows:
        if row is not None and row.tenant_id != own:
            db.session.expunge(row)


@dataclass
class Exchange:
    """The municipality's assessment of a challenge and the questions and answers."""

    assessment: ChallengeAssessment | None = None
    requests: list[InformationRequest] = field(default_factory=list)
    replies: dict[int, InformationReply] = field(default_factory=dict)  # by request id

    @property
    def decided(self) -> bool:
        return self.assessment is not None and self.assessment.decision is not None

    @property
    def open_request(self) -> InformationRequest | None:
        if self.assessment is None or self.decided:
            return None
        return next((r for r in self.requests if r.id not in self.replies), None)

    def countdown(self, today: date | None = None) -> Countdown | None:
        if self.assessment is None:
            return None
        a = self.assessment
        pauses = [
            (r.asked_at, self.replies[r.id].replied_at if r.id in self.replies else None)
            for r in self.requests
        ]
        return countdown(
            registered_at=a.registered_at,
            term_days=a.term_days,
            pauses=pauses,
            today=today or today_local(),
            decided_at=a.decided_at,
        )


def exchanges(challenges: Iterable[Challenge]) -> dict[int, Exchange]:
    """Both sides of a submitted challenge see its assessment, questions and answers.
    Callers pass only challenges already shown to them: their own, or submitted to them."""
    by_id = {c.id: c for c in challenges if c.status == ChallengeStatus.SUBMITTED}
    found = {cid: Exchange() for cid in by_id}
    if not by_id:
        return found
    ids, own = list(by_id), current_tenant_id()
    with cross_tenant("the two sides of a submitted challenge see its assessment and questions"):
        for a in db.session.scalars(
            select(ChallengeAssessment).where(ChallengeAssessment.challenge_id.in_(ids))
        ):
            if a.tenant_id == by_id[a.challenge_id].municipality_id:
                found[a.challenge_id].assessment = a
        for r in db.session.scalars(
            select(InformationRequest)
            .where(InformationRequest.challenge_id.in_(ids))
            .order_by(InformationRequest.asked_at, InformationRequest.id)
        ):
            if r.tenant_id == by_id[r.challenge_id].municipality_id:
                found[r.challenge_id].requests.append(r)
        for r in db.session.scalars(
            select(InformationReply).where(InformationReply.challenge_id.in_(ids))
        ):
            if r.tenant_id == by_id[r.challenge_id].tenant_id:
                found[r.challenge_id].replies[r.request_id] = r
        for ex in found.values():
            _detach_foreign([ex.assessment, *ex.requests, *ex.replies.values()], own)
    return found


def exchange(challenge: Challenge) -> Exchange:
    return exchanges([challenge]).get(challenge.id, Exchange())


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # submitted, registered, question, reply, decided
    by: str  # the organisation that took the step
    text: str = ""


def timeline(challenge: Challenge, ex: Exchange, challenger: str, municipality: str) -> list[Step]:
    """Every step, shown to both sides."""
    steps = (
        [Step(challenge.submitted_at, "submitted", challenger)] if challenge.submitted_at else []
    )
    a = ex.assessment
    if a is not None:
        steps.append(Step(a.registered_at, "registered", municipality))
        for r in ex.requests:
            steps.append(Step(r.asked_at, "question", municipality, r.question))
            reply = ex.replies.get(r.id)
            if reply is not None:
                steps.append(Step(reply.replied_at, "reply", challenger, reply.answer))
        if a.decided_at is not None:
            steps.append(Step(a.decided_at, "decided", municipality, a.reasons))
    return sorted(steps, key=lambda s: s.at)


# -- the municipality's assessment ----------------------------------------------------------
def _own_assessment(challenge: Challenge) -> ChallengeAssessment | None:
    """The acting municipality's assessment, locked: one step at a time."""
    return db.session.scalar(
        select(ChallengeAssessment)
        .where(ChallengeAssessment.challenge_id == challenge.id)
        .with_for_update()
    )


def _addressed(municipality: Organisation, challenge: Challenge) -> None:
    if (
        challenge.municipality_id != municipality.id
        or challenge.status != ChallengeStatus.SUBMITTED
    ):
        raise ChallengeError(_("Deze challenge is niet bij uw gemeente ingediend."))


def register(
    *,
    actor: User,
    municipality: Organisation,
    challenge: Challenge,
    now: datetime | None = None,
) -> ChallengeAssessment:
    now = now or utcnow()
    _addressed(municipality, challenge)
    if _own_assessment(challenge) is not None:
        raise ChallengeError(_("Deze challenge is al geregistreerd."))
    found = policy_of(municipality)
    assessment = ChallengeAssessment(
        tenant_id=municipality.id,
        challenge_id=challenge.id,
        challenger_id=challenge.tenant_id,
        registered_at=now,
        registered_by_id=actor.id,
        term_days=found.term_weeks * 7,
    )
    db.session.add(assessment)
    db.session.flush()
    due = Exchange(assessment).countdown(today_local(now)).due_date
    _record(
        actor,
        [municipality.id, challenge.tenant_id],
        "challenge.registered",
        challenge.id,
        term_days=assessment.term_days,
        due=due,
    )
    _tell_challenger(
        challenge,
        _("Uw challenge is geregistreerd: %(task)s", task=challenge.task_name),
        [
            _(
                "%(municipality)s heeft uw Right to Challenge geregistreerd.",
                municipality=municipality.name,
            ),
            ngettext(
                "De gemeente beoordeelt haar binnen %(num)d week: uiterlijk op %(due)s.",
                "De gemeente beoordeelt haar binnen %(num)d weken: uiterlijk op %(due)s.",
                found.term_weeks,
                due=format_date_local(due, format="long"),
            ),
        ],
    )
    return assessment


def ask(
    *,
    actor: User,
    municipality: Organisation,
    challenge: Challenge,
    question: str,
    now: datetime | None = None,
) -> InformationRequest:
    now = now or utcnow()
    _addressed(municipality, challenge)
    assessment = _own_assessment(challenge)
    if assessment is None:
        raise ChallengeError(_("Registreer de challenge eerst."))
    if assessment.decision is not None:
        raise ChallengeError(_("Over deze challenge is al besloten."))
    question = (question or "").strip()
    if not question:
        raise ChallengeError(_("Schrijf uw vraag op."), "question")
    if exchange(challenge).open_request is not None:
        raise ChallengeError(_("Er staat al een vraag open. Wacht eerst op het antwoord."))
    request = InformationRequest(
        tenant_id=municipality.id,
        assessment_id=assessment.id,
        challenge_id=challenge.id,
        question=question,
        asked_at=now,
        asked_by_id=actor.id,
    )
    db.session.add(request)
    db.session.flush()
    _record(actor, [municipality.id, challenge.tenant_id], "challenge.question_asked", challenge.id)
    _tell_challenger(
        challenge,
        _("Vraag over uw challenge: %(task)s", task=challenge.task_name),
        [
            _("%(municipality)s vraagt om meer informatie:", municipality=municipality.name),
            question,
            _(
                "Geef uw antwoord op de pagina van uw challenge in koepel. Tot uw antwoord "
                "binnen is, staat de termijn voor de beoordeling stil."
            ),
        ],
    )
    return request


def reply(
    *,
    actor: User,
    challenger: Organisation,
    challenge: Challenge,
    answer: str,
    now: datetime | None = None,
) -> InformationReply:
    """The challenger answers the open question; from then on the term runs again."""
    now = now or utcnow()
    if challenge.tenant_id != challenger.id:
        raise ChallengeError(_("Deze challenge is niet van uw organisatie."))
    open_request = exchange(challenge).open_request
    if open_request is None:
        raise ChallengeError(_("Er staat geen vraag open."))
    answer = (answer or "").strip()
    if not answer:
        raise ChallengeError(_("Schrijf uw antwoord op."), "answer")
    row = InformationReply(
        tenant_id=challenger.id,
        request_id=open_request.id,
        challenge_id=challenge.id,
        answer=answer,
        replied_at=now,
        replied_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    _record(
        actor,
        [challenger.id, challenge.municipality_id],
        "challenge.question_answered",
        challenge.id,
    )
    _mail(
        emails_of([challenge.municipality_id], "challenges.assess"),
        _("Antwoord op uw vraag: %(task)s", task=challenge.task_name),
        [
            _("%(name)s heeft uw vraag beantwoord:", name=challenger.name),
            answer,
            _("De termijn voor de beoordeling loopt weer."),
        ],
        challenge.municipality_id,
    )
    return row


DECISION_TEXT = {
    ChallengeDecision.REJECTED: _l("De gemeente wijst de challenge af."),
    ChallengeDecision.PILOT: _l("De gemeente spreekt direct een pilot af met de uitdager."),
    ChallengeDecision.TENDER: _l("De gemeente schrijft voor deze taak een aanbesteding uit."),
}


def decide(
    *,
    actor: User,
    municipality: Organisation,
    challenge: Challenge,
    decision: ChallengeDecision,
    reasons: str = "",
    now: datetime | None = None,
) -> ChallengeAssessment:
    now = now or utcnow()
    _addressed(municipality, challenge)
    assessment = _own_assessment(challenge)
    if assessment is None:
        raise ChallengeError(_("Registreer de challenge eerst."))
    if assessment.decision is not None:
        raise ChallengeError(_("Over deze challenge is al besloten."))
    reasons = (reasons or "").strip()
    if decision == ChallengeDecision.REJECTED and not reasons:
        raise ChallengeError(_("Schrijf op waarom de gemeente de challenge afwijst."), "reasons")
    if decision == ChallengeDecision.TENDER:
        assessment.tender_id = _open_tender(actor, municipality, challenge, reasons).id
    assessment.decision, assessment.reasons = decision, reasons
    assessment.decided_at, assessment.decided_by_id = now, actor.id
    db.session.flush()
    _record(
        actor,
        [municipality.id, challenge.tenant_id],
        "challenge.decided",
        challenge.id,
        decision=decision.value,
        reasons=reasons,
        tender=assessment.tender_id,
    )
    lines = [
        _(
            "%(municipality)s heeft besloten over uw Right to Challenge: %(task)s.",
            municipality=municipality.name,
            task=challenge.task_name,
        ),
        str(DECISION_TEXT[decision]),
    ]
    if reasons:
        lines.append(_("Toelichting: %(reasons)s", reasons=reasons))
    if decision == ChallengeDecision.TENDER:
        lines.append(
            _(
                "U hoort het als de aanbesteding is gepubliceerd. Dan kunt u inschrijven "
                "via Aanbestedingen in koepel."
            )
        )
    _tell_challenger(
        challenge, _("Besluit over uw challenge: %(task)s", task=challenge.task_name), lines
    )
    return assessment


def challenge_of_tender(tender_id: int) -> int | None:
    """The challenge a tender of the acting municipality was opened for (scoped), for a
    link from the tender page."""
    return db.session.scalar(
        select(ChallengeAssessment.challenge_id).where(ChallengeAssessment.tender_id == tender_id)
    )


def _open_tender(actor: User, municipality: Organisation, challenge: Challenge, reasons: str):
    """A draft tender for the challenged task with one lot: the buyer completes it."""
    description = _(
        "Vervolg op de Right to Challenge voor %(task)s in %(area)s (doelgroep: %(group)s).",
        task=challenge.task_name,
        area=challenge.area,
        group=challenge.target_group,
    )
    tender = tenders.create(
        actor=actor,
        buyer=municipality,
        data=tenders.TenderData(
            title=_("Right to Challenge: %(task)s", task=challenge.task_name)[:300],
            procedure=Procedure.CHALLENGE,
            description=f"{description}\n{reasons}".strip(),
        ),
    )
    tenders.add_lot(
        actor=actor,
        buyer=municipality,
        tender=tender,
        title=challenge.task_name,
        kind=LotKind.THEMATIC,
        # What the task costs today where known; otherwise the challenger's estimate.
        budget=challenge.cost_at_submission or challenge.estimated_budget,
        area=challenge.area[:500],
        description=challenge.target_group,
    )
    return tender


# -- e-mail --------------------------------------------------------------------------------
def emails_of(org_ids: Iterable[int], action: str) -> list[str]:
    """The people of these organisations whose role allows ``action``."""
    return list(
        db.session.scalars(
            select(User.email)
            .join(OrgRole, OrgRole.user_id == User.id)
            .where(
                OrgRole.organisation_id.in_(list(org_ids)),
                OrgRole.role.in_(policy.ACTIONS[action]),
                User.is_active_account.is_(True),
            )
            .distinct()
            .order_by(User.email)
        )
    )


def _mail(to: list[str], subject: str, lines: list[str], tenant_id: int) -> None:
    body = "\n\n".join(str(line) for line in lines) + "\n"
    for address in to:
        queue_email(to=address, subject=subject, body=body, tenant_id=tenant_id)


def _tell_challenger(challenge: Challenge, subject: str, lines: list[str]) -> None:
    """The challenger's people, and the member cooperative it acts for."""
    orgs = [challenge.tenant_id] + (
        [challenge.on_behalf_of_id] if challenge.on_behalf_of_id else []
    )
    _mail(emails_of(orgs, "challenges.submit"), subject, lines, challenge.tenant_id)


# -- the reminder before the term ends -------------------------------------------------------
def _due_soon(today: date) -> list[tuple[int, int, date]]:
    """(assessment, municipality, due date) of undecided, running terms ending within
    REMIND_DAYS (or already passed) whose officers were not yet reminded of that date."""
    with cross_tenant("the reminder job looks for assessment terms that end soon"):
        challenges = db.session.scalars(
            select(Challenge).where(
                Challenge.id.in_(
                    select(ChallengeAssessment.challenge_id).where(
                        ChallengeAssessment.decision.is_(None)
                    )
                )
            )
        ).all()
        for row in challenges:
            db.session.expunge(row)
    due = []
    for ex in exchanges(challenges).values():
        a, clock = ex.assessment, ex.countdown(today)
        if a is None or clock is None or clock.suspended_since is not None:
            continue
        if clock.days_left <= REMIND_DAYS and a.reminded_for != clock.due_date:
            due.append((a.id, a.tenant_id, clock.due_date))
    return due


@periodic("challenges.remind_terms")
def remind_terms(now: datetime) -> int:
    """Run by ``koepel tick``: one keyed reminder job per term ending soon, acting for its
    municipality; the key makes a second run find the first and enqueue nothing new."""
    today = today_local(now)
    due = _due_soon(today)
    for assessment_id, municipality_id, due_date in due:
        enqueue(
            "challenges.reminder",
            tenant_id=municipality_id,
            kwargs={
                "assessment_id": assessment_id,
                "due": due_date.isoformat(),
                "today": today.isoformat(),
            },
            key=f"challenges.reminder:{assessment_id}:{due_date.isoformat()}",
        )
    return len(due)


@job("challenges.reminder")
def remind_one(ctx: JobContext, assessment_id: int, due: str, today: str) -> None:
    """E-mail the municipality's officers once per due date (runs in its tenancy)."""
    assessment = db.session.scalar(
        select(ChallengeAssessment).where(ChallengeAssessment.id == assessment_id).with_for_update()
    )
    due_date = date.fromisoformat(due)
    if assessment is None or assessment.decision is not None or assessment.reminded_for == due_date:
        return
    with cross_tenant("the reminder names the challenge its municipality is assessing"):
        challenge = db.session.get(Challenge, assessment.challenge_id)
        db.session.expunge(challenge)
        challenger = db.session.get(Organisation, challenge.tenant_id)
    clock = exchange(challenge).countdown(date.fromisoformat(today))
    if clock is None or clock.due_date != due_date or clock.suspended_since is not None:
        return  # the term moved or stands still: the next daily run decides again
    assessment.reminded_for = due_date
    db.session.flush()
    audit.record(
        db.session,
        actor=None,
        tenant_id=assessment.tenant_id,
        action="challenge.reminder_sent",
        obj_type="challenge",
        obj_id=challenge.id,
        after={"due": due_date},
    )
    when = format_date_local(due_date, format="long")
    _mail(
        emails_of([assessment.tenant_id], "challenges.assess"),
        _("Termijn Right to Challenge loopt af: %(task)s", task=challenge.task_name),
        [
            _(
                "De beoordeling van de Right to Challenge van %(name)s (%(task)s) moet "
                "uiterlijk op %(due)s klaar zijn.",
                name=challenger.name,
                task=challenge.task_name,
                due=when,
            ),
            ngettext("Nog %(num)d dag.", "Nog %(num)d dagen.", clock.days_left)
            if clock.days_left >= 0
            else _("De termijn is verstreken."),
            _("Besluit in koepel: afwijzen, direct een pilot afspreken of een aanbesteding."),
        ],
        assessment.tenant_id,
    )


# -- demo ---------------------------------------------------------------------------------
DEMO_TASK = "Dagactiviteiten en mantelzorgondersteuning Hoogeloon en Casteren"
DEMO_TABLE = "Inkooptafel dagbesteding en mantelzorg Kempen"


def load_demo(orgs: dict[str, Organisation]) -> int:
    """Zorgcoöperatie Hoogeloon challenges Gemeente Bladel (registered, one question asked
    and answered, in assessment with a running term); Bladel invites the Kempen
    initiatives to its procurement table. The amounts are demo figures. Idempotent."""
    from koepel.bids import involvement
    from koepel.bids.models.challenges import Involvement, InvolvementAnswer
    from koepel.platform.auth import operations as accounts
    from koepel.platform.demo import demo_email
    from koepel.platform.tenancy import acting_for

    bladel, hoogeloon, kzzn = orgs["bladel"], orgs["hoogeloon"], orgs["kzzn"]
    officer = accounts.find_user(demo_email("inkoper.bladel"))
    coordinator = accounts.find_user(demo_email("coordinator.hoogeloon"))
    now, created = utcnow(), 0
    with acting_for(hoogeloon.id):
        exists = db.session.scalar(select(Challenge.id).where(Challenge.task_name == DEMO_TASK))
    if exists is None:
        with acting_for(bladel.id):
            add_task(
                actor=officer,
                municipality=bladel,
                name=DEMO_TASK,
                current_yearly_cost=Decimal("96000.00"),
                description="Dagbesteding in het dorpshuis en steun voor mantelzorgers.",
            )
        found = published_policy(bladel)
        explanations = {
            "cost": "Wij vragen € 88.500 per jaar; de gemeente betaalt nu € 96.000.",
            "surplus": "Wat overblijft gaat naar het dorpshuis en de ontmoeting in het dorp.",
            "legal_entity": "Zorgcoöperatie Hoogeloon is een coöperatie met een KvK-nummer.",
            "local": "Bestuur, coördinator en vrijwilligers wonen in Hoogeloon en Casteren.",
            "support": "210 leden steunen de challenge; de ledenvergadering stemde in.",
        }
        with acting_for(hoogeloon.id):
            challenge = start(actor=coordinator, challenger=hoogeloon, municipality=bladel)
            save_draft(
                actor=coordinator,
                challenger=hoogeloon,
                challenge=challenge,
                found=found,
                data=ChallengeData(
                    task_id=next(t.id for t in found.tasks if t.name == DEMO_TASK),
                    area="Hoogeloon en Casteren",
                    target_group="Ouderen die thuis wonen en hun mantelzorgers",
                    motivation=(
                        "De coöperatie organiseert sinds 2005 zorg en welzijn in het dorp. "
                        "De coördinator kent de mensen en hun mantelzorgers; 30 vrijwilligers "
                        "uit het dorp doen mee."
                    ),
                    social_value=(
                        "Ontmoeting in het eigen dorp, minder eenzaamheid en mantelzorgers "
                        "die het langer volhouden."
                    ),
                    estimated_budget=Decimal("88500.00"),
                    supporters=210,
                    checks={key: (True, text) for key, text in explanations.items()},
                ),
            )
            submit(
                actor=coordinator,
                challenger=hoogeloon,
                challenge=challenge,
                found=found,
                now=now - timedelta(days=24),
            )
        with acting_for(bladel.id):
            register(
                actor=officer,
                municipality=bladel,
                challenge=challenge,
                now=now - timedelta(days=20),
            )
            ask(
                actor=officer,
                municipality=bladel,
                challenge=challenge,
                question="Hebben alle vrijwilligers die met deelnemers werken een VOG?",
                now=now - timedelta(days=12),
            )
        with acting_for(hoogeloon.id):
            reply(
                actor=coordinator,
                challenger=hoogeloon,
                challenge=challenge,
                answer="Ja, alle 30 vrijwilligers hebben een VOG; de coördinator houdt dat bij.",
                now=now - timedelta(days=9),
            )
        created += 5
    with acting_for(bladel.id):
        table = db.session.scalar(select(Involvement).where(Involvement.title == DEMO_TABLE))
        if table is None:
            table = involvement.create(
                actor=officer,
                municipality=bladel,
                title=DEMO_TABLE,
                area="Bladel, Hapert, Hoogeloon, Casteren en Netersel",
                description=(
                    "Voor de inkoop van dagbesteding en mantelzorgondersteuning vanaf volgend "
                    "jaar zoeken wij de initiatieven uit de Kempen: als inschrijver of als "
                    "adviseur aan de inkooptafel."
                ),
            )
            involvement.invite(
                actor=officer,
                municipality=bladel,
                involvement=table,
                organisations=[hoogeloon, kzzn],
            )
            invitee_id = next(i.id for i in table.invitees if i.organisation_id == hoogeloon.id)
            created += 3
        else:
            invitee_id = None
    if invitee_id is not None:
        with acting_for(hoogeloon.id):
            involvement.respond(
                actor=coordinator,
                organisation=hoogeloon,
                invitee_id=invitee_id,
                answer=InvolvementAnswer.BIDDER,
                note="Toos Dijkmans (coördinator) schuift aan tafel.",
            )
        created += 1
    return created
