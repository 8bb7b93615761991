"""The authenticated API for Right to Challenge, for both sides.

A cooperative or umbrella lists and reads its own challenges (drafts too) and creates one
(optionally submitting it at once); a municipality lists and reads the challenges
submitted to it, never a draft. Another organisation's challenge answers 404. Errors are
problem+json: 400 for input that cannot be read, 422 for a rule that refuses it.
"""

from __future__ import annotations

import re
from decimal import Decimal

import marshmallow as ma
from flask import g
from flask_smorest import abort as api_abort
from marshmallow import validate
from sqlalchemy import select

from koepel.bids import challenges as ops
from koepel.bids import submission
from koepel.bids.models.challenges import Challenge, ChallengeStatus
from koepel.platform.api.core import (
    ApiBlueprint,
    org_endpoint,
    register_blueprint,
    require_user,
)
from koepel.platform.api.fields import DecimalString
from koepel.platform.extensions import db
from koepel.platform.models import Organisation
from koepel.platform.money import MoneyParseError, parse_money

blp = ApiBlueprint(
    "api_challenges",
    __name__,
    url_prefix="/api/v1/orgs",
    description="Right to Challenge: challenges van coöperaties en koepels aan gemeenten",
)

_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")


def read_amount(text: str) -> Decimal:
    """An amount as a string: plain ("12500.50") or Dutch ("12.500,50"). A dot followed by
    one or two digits can only be a decimal point; anything else is read the Dutch way."""
    text = text.strip()
    if _PLAIN_AMOUNT.fullmatch(text):
        return Decimal(text)
    return parse_money(text, "nl")


class CheckIn(ma.Schema):
    criterion = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    met = ma.fields.Boolean(load_default=False)
    explanation = ma.fields.String(load_default="", validate=validate.Length(max=20_000))


class ChallengeIn(ma.Schema):
    municipality = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=64), metadata={"description": "slug"}
    )
    on_behalf_of = ma.fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "slug of the member cooperative (umbrellas only)"},
    )
    task_id = ma.fields.Integer(load_default=None, allow_none=True)
    task_name = ma.fields.String(load_default="", validate=validate.Length(max=300))
    area = ma.fields.String(load_default="", validate=validate.Length(max=500))
    target_group = ma.fields.String(load_default="", validate=validate.Length(max=500))
    motivation = ma.fields.String(load_default="", validate=validate.Length(max=20_000))
    social_value = ma.fields.String(load_default="", validate=validate.Length(max=20_000))
    estimated_budget = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=30),
        metadata={"description": "euros per year: 12500.50 or 12.500,50"},
    )
    supporters = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=10**9)
    )
    checks = ma.fields.List(ma.fields.Nested(CheckIn), load_default=list)
    submit = ma.fields.Boolean(load_default=False)

    @ma.validates("estimated_budget")
    def _budget(self, value: str | None, **_kwargs) -> None:
        if value is None:
            return
        try:
            amount = read_amount(value)
        except MoneyParseError as exc:
            raise ma.ValidationError(str(exc)) from None
        if amount < 0:
            raise ma.ValidationError("Een bedrag kan niet negatief zijn.")

    @ma.post_load
    def _amount(self, data: dict, **_kwargs) -> dict:
        if data.get("estimated_budget") is not None:
            data["estimated_budget"] = read_amount(data["estimated_budget"])
        return data


class CheckOut(ma.Schema):
    criterion = ma.fields.String(attribute="criterion_key")
    title = ma.fields.String()
    met = ma.fields.Boolean()
    explanation = ma.fields.String()


class AssessmentOut(ma.Schema):
    registered_at = ma.fields.DateTime()
    registered_on = ma.fields.Date(metadata={"description": "Dutch calendar date"})
    due_date = ma.fields.Date(metadata={"description": "end of this day, Dutch time"})
    days_left = ma.fields.Integer()
    suspended_since = ma.fields.Date(allow_none=True)
    overdue = ma.fields.Boolean()
    open_question = ma.fields.String(allow_none=True)
    decision = ma.fields.String(allow_none=True)
    reasons = ma.fields.String()
    decided_at = ma.fields.DateTime(allow_none=True)
    tender_id = ma.fields.Integer(allow_none=True)


class ChallengeOut(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    challenger = ma.fields.String()
    municipality = ma.fields.String()
    on_behalf_of = ma.fields.String(allow_none=True)
    task_id = ma.fields.Integer(allow_none=True)
    task_name = ma.fields.String()
    area = ma.fields.String()
    target_group = ma.fields.String()
    motivation = ma.fields.String()
    social_value = ma.fields.String()
    estimated_budget = DecimalString(allow_none=True)
    current_cost = DecimalString(allow_none=True)
    cost_not_higher = ma.fields.Boolean(allow_none=True)
    supporters = ma.fields.Integer(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    checks = ma.fields.List(ma.fields.Nested(CheckOut))
    assessment = ma.fields.Nested(AssessmentOut, allow_none=True)


class ChallengeList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ChallengeOut))


def challenge_access(write: bool = False, obj: bool = False):
    """The acting organisation and its side, authorised before the body is read; with
    ``obj`` also the challenge in the URL (404 when missing or not shown to this side)."""

    def action(org: Organisation) -> str | None:
        if org.kind in ops.CHALLENGER_KINDS:
            return "challenges.submit" if write else "bids.view"
        if org.kind in ops.ASSESSOR_KINDS and not write:
            return "challenges.view"
        return None  # no such resource for this kind of organisation

    def load(org: Organisation, challenge_id: int, **_: object) -> Challenge | None:
        return _visible(org, challenge_id)

    return org_endpoint(action, load=load if obj else None)


def _challenger_side(org: Organisation) -> bool:
    return org.kind in ops.CHALLENGER_KINDS


def _visible(org: Organisation, challenge_id: int) -> Challenge | None:
    if _challenger_side(org):  # scoped: its own only
        return db.session.scalar(select(Challenge).where(Challenge.id == challenge_id))
    return ops.submitted_challenge(org, challenge_id)


def _dump(org: Organisation, challenges: list[Challenge]) -> list[dict]:
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(
                    {c.tenant_id for c in challenges}
                    | {c.municipality_id for c in challenges}
                    | {c.on_behalf_of_id for c in challenges if c.on_behalf_of_id}
                )
            )
        ).all()
    )
    found = ops.exchanges(challenges)
    policies: dict[int, ops.Policy] = {}
    items = []
    for c in challenges:
        if c.status == ChallengeStatus.DRAFT and c.municipality_id not in policies:
            policies[c.municipality_id] = ops.published_policy(
                db.session.get(Organisation, c.municipality_id)
            )
        cost = ops.current_cost(c, policies.get(c.municipality_id))
        comparison = ops.compare_cost(c.estimated_budget, cost)
        items.append(
            {
                "id": c.id,
                "status": c.status.value,
                "challenger": names[c.tenant_id],
                "municipality": names[c.municipality_id],
                "on_behalf_of": names.get(c.on_behalf_of_id),
                "task_id": c.task_id,
                "task_name": c.task_name,
                "area": c.area,
                "target_group": c.target_group,
                "motivation": c.motivation,
                "social_value": c.social_value,
                "estimated_budget": c.estimated_budget,
                "current_cost": cost,
                "cost_not_higher": comparison.not_higher if comparison else None,
                "supporters": c.supporters,
                "submitted_at": c.submitted_at,
                "checks": c.checks,
                "assessment": _assessment(org, found.get(c.id)),
            }
        )
    return items


def _assessment(org: Organisation, ex: ops.Exchange | None) -> dict | None:
    if ex is None or ex.assessment is None:
        return None
    a, clock, question = ex.assessment, ex.countdown(), ex.open_request
    tender_id = a.tender_id
    if tender_id and _challenger_side(org) and submission.published_tender(tender_id) is None:
        tender_id = None  # a draft tender is the buyer's alone
    return {
        "registered_at": a.registered_at,
        "registered_on": clock.registered_on,
        "due_date": clock.due_date,
        "days_left": clock.days_left,
        "suspended_since": clock.suspended_since,
        "overdue": clock.overdue,
        "open_question": question.question if question else None,
        "decision": a.decision.value if a.decision else None,
        "reasons": a.reasons,
        "decided_at": a.decided_at,
        "tender_id": tender_id,
    }


@blp.route("/<org_slug>/challenges", methods=["GET"])
@challenge_access()
@blp.response(200, ChallengeList)
def list_challenges(org_slug: str):
    """A challenger's own challenges, or the challenges submitted to a municipality."""
    org = g.api_org
    if _challenger_side(org):
        rows = db.session.scalars(
            select(Challenge).order_by(Challenge.created_at.desc(), Challenge.id.desc())
        ).all()
    else:
        rows = ops.submitted_to(org)
    return {"items": _dump(org, list(rows))}


@blp.route("/<org_slug>/challenges", methods=["POST"])
@challenge_access(write=True)
@blp.arguments(ChallengeIn)
@blp.response(201, ChallengeOut)
def create_challenge(data, org_slug: str):
    """Create a challenge (a draft), and submit it at once with ``"submit": true``."""
    org, actor = g.api_org, require_user()
    slugs = {data["municipality"], data["on_behalf_of"]} - {None}
    by_slug = {
        o.slug: o
        for o in db.session.scalars(select(Organisation).where(Organisation.slug.in_(slugs)))
    }
    municipality = by_slug.get(data["municipality"])
    behalf = by_slug.get(data["on_behalf_of"]) if data["on_behalf_of"] else None
    if data["on_behalf_of"] and behalf is None:
        _unprocessable(ops.ChallengeError("Deze coöperatie bestaat niet.", "on_behalf_of"))
    try:
        challenge = ops.start(
            actor=actor, challenger=org, municipality=municipality, on_behalf_of=behalf
        )
        found = ops.published_policy(municipality)
        unknown = {c["criterion"] for c in data["checks"]} - {c.key for c in found.criteria}
        if unknown:
            raise ops.ChallengeError(
                f"Deze criteria kent de gemeente niet: {', '.join(sorted(unknown))}.", "checks"
            )
        ops.save_draft(
            actor=actor,
            challenger=org,
            challenge=challenge,
            found=found,
            data=ops.ChallengeData(
                task_id=data["task_id"],
                task_name=data["task_name"],
                area=data["area"],
                target_group=data["target_group"],
                motivation=data["motivation"],
                social_value=data["social_value"],
                estimated_budget=data["estimated_budget"],
                supporters=data["supporters"],
                checks={c["criterion"]: (c["met"], c["explanation"]) for c in data["checks"]},
            ),
        )
        if data["submit"]:
            ops.submit(actor=actor, challenger=org, challenge=challenge, found=found)
    except ops.ChallengeError as exc:
        _unprocessable(exc)  # nothing is committed: the draft made above goes too
    return _dump(org, [challenge])[0]


@blp.route("/<org_slug>/challenges/<int:challenge_id>", methods=["GET"])
@challenge_access(obj=True)
@blp.response(200, ChallengeOut)
def get_challenge(org_slug: str, challenge_id: int):
    return _dump(g.api_org, [g.api_obj])[0]


def _unprocessable(exc: ops.ChallengeError):
    api_abort(422, messages={exc.field or "_schema": [str(exc)]}, message=str(exc))


def register() -> None:
    register_blueprint(blp)
