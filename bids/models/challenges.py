"""Right to Challenge: challenges by cooperatives and umbrellas and their assessment;
the duty to involve.

Who owns what (each side owns what it writes; the other side reads it only through the
named functions in ``koepel.bids.challenges`` and ``koepel.bids.involvement``):

- the municipality: its assessment policy (term, criteria, tasks with their current
  cost), the assessment of a received challenge, its questions, its invitations to take
  part and whom it invited;
- the challenger (a cooperative, or an umbrella on behalf of a member): the challenge
  with its answers per criterion, and its replies to the municipality's questions;
- an invited organisation: its response to an invitation.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from koepel.platform.extensions import db
from koepel.platform.money import MoneyType
from koepel.platform.tenancy import TenantOwned
from koepel.platform.timeutil import UTCDateTime, utcnow
from koepel.tenants.models._types import str_enum


# -- the municipality's policy --------------------------------------------------------------
class ChallengePolicy(TenantOwned, db.Model):
    """A municipality's assessment term. Without a row the defaults apply (8 weeks and the
    default criteria); the first change writes them down."""

    __tablename__ = "challenge_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_weeks: Mapped[int] = mapped_column(default=8)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint("term_weeks >= 1 AND term_weeks <= 52", name="term_weeks_range"),
    )


class ChallengeCriterion(TenantOwned, db.Model):
    """A published assessment criterion. ``key`` never changes, so a challenger's answer
    still points at it after the title is edited; archived criteria stay for old answers."""

    __tablename__ = "challenge_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # "Cost not higher than today's": decided by comparing with the task's current cost.
    is_cost: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("tenant_id", "key"),)


class ChallengeTask(TenantOwned, db.Model):
    """A task a challenge can be about, with what it costs the municipality a year today
    (where entered), so a challenger's estimate can be compared with it."""

    __tablename__ = "challenge_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    current_yearly_cost: Mapped[Decimal | None] = mapped_column(MoneyType())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# -- the challenger's challenge --------------------------------------------------------------
class ChallengeStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Challenge(TenantOwned, db.Model):
    """Owned by the organisation that writes it. The municipality reads it once submitted."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    # Set when an umbrella challenges on behalf of one of its member cooperatives.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("challenge_task.id"))
    task_name: Mapped[str] = mapped_column(String(300), default="")
    area: Mapped[str] = mapped_column(String(500), default="")
    target_group: Mapped[str] = mapped_column(String(500), default="")
    motivation: Mapped[str] = mapped_column(Text, default="")  # why as well or better
    social_value: Mapped[str] = mapped_column(Text, default="")  # maatschappelijke meerwaarde
    estimated_budget: Mapped[Decimal | None] = mapped_column(MoneyType())  # per year
    supporters: Mapped[int | None]
    status: Mapped[ChallengeStatus] = mapped_column(
        str_enum(ChallengeStatus), default=ChallengeStatus.DRAFT
    )
    # The municipality's current cost of the task at the moment of submission: the
    # comparison the municipality assesses does not move when it edits its figures later.
    cost_at_submission: Mapped[Decimal | None] = mapped_column(MoneyType())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    checks: Mapped[list[ChallengeCheck]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="ChallengeCheck.id"
    )

    __table_args__ = (
        # The municipality's named read: the submitted challenges addressed to it.
        Index("ix_challenge_municipality_status", "municipality_id", "status", "tenant_id"),
        CheckConstraint("supporters IS NULL OR supporters >= 0", name="supporters_not_negative"),
    )


class ChallengeCheck(TenantOwned, db.Model):
    """The challenger's answer to one of the municipality's criteria: met or not, and why.
    Title and description are copied, so the answer reads the same after later edits."""

    __tablename__ = "challenge_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    criterion_key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    is_cost: Mapped[bool] = mapped_column(default=False)
    met: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")

    challenge: Mapped[Challenge] = relationship(back_populates="checks")

    __table_args__ = (UniqueConstraint("tenant_id", "challenge_id", "criterion_key"),)


# -- the municipality's assessment ----------------------------------------------------------
class ChallengeDecision(enum.StrEnum):
    REJECTED = "rejected"
    PILOT = "pilot"  # agree on a pilot directly
    TENDER = "tender"  # open a tender for the task


class ChallengeAssessment(TenantOwned, db.Model):
    """Registering a received challenge starts the term; the decision ends it."""

    __tablename__ = "challenge_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    challenger_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    term_days: Mapped[int]  # the policy's term when registered
    decision: Mapped[ChallengeDecision | None] = mapped_column(str_enum(ChallengeDecision))
    reasons: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id"))
    # The due date the officers were last reminded of (a moved term earns a new reminder).
    reminded_for: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("tenant_id", "challenge_id"),
        CheckConstraint("term_days > 0", name="term_days_positive"),
    )


class InformationRequest(TenantOwned, db.Model):
    """The municipality asks the challenger for more information (the term stands still
    until the answer comes)."""

    __tablename__ = "challenge_information_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("challenge_assessment.id", ondelete="CASCADE")
    )
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class InformationReply(TenantOwned, db.Model):
    """The challenger's answer to a request (owned by the challenger, who writes it)."""

    __tablename__ = "challenge_information_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("challenge_information_request.id"))
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    answer: Mapped[str] = mapped_column(Text)
    replied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (UniqueConstraint("tenant_id", "request_id"),)


# -- the duty to involve ---------------------------------------------------------------------
class Involvement(TenantOwned, db.Model):
    """A municipality (or region) invites the local initiatives of an area to take part in
    a planned tender or procurement table, as bidder or as adviser."""

    __tablename__ = "involvement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[str] = mapped_column(String(500), default="")
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    invitees: Mapped[list[InvolvementInvitee]] = relationship(
        back_populates="involvement",
        cascade="all, delete-orphan",
        order_by="InvolvementInvitee.id",
    )


class InvolvementInvitee(TenantOwned, db.Model):
    """One invited organisation (owned by the inviting municipality)."""

    __tablename__ = "involvement_invitee"

    id: Mapped[int] = mapped_column(primary_key=True)
    involvement_id: Mapped[int] = mapped_column(ForeignKey("involvement.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    involvement: Mapped[Involvement] = relationship(back_populates="invitees")

    __table_args__ = (UniqueConstraint("tenant_id", "involvement_id", "organisation_id"),)


class InvolvementAnswer(enum.StrEnum):
    BIDDER = "bidder"  # takes part as (main) bidder
    ADVISER = "adviser"  # sits at the table as adviser
    DECLINED = "declined"


class InvolvementResponse(TenantOwned, db.Model):
    """The invited organisation's answer (owned by it; it may change its mind)."""

    __tablename__ = "involvement_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("involvement_invitee.id"), index=True)
    answer: Mapped[InvolvementAnswer] = mapped_column(str_enum(InvolvementAnswer))
    note: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (UniqueConstraint("tenant_id", "invitee_id"),)
