"""The marshmallow schemas of the authenticated bids API (``koepel.bids.org_api``): what
clients send (checked per field, 400) and what they get back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import validate

from koepel.bids.models import CriterionKind, LotKind, Procedure, TenderStatus
from koepel.bids.views.bid_forms import ANSWER_MAX, REQUIREMENT_MAX
from koepel.platform.api.fields import DecimalString
from koepel.platform.api.fields import text as _text
from koepel.platform.timeutil import utcnow

INSTANT_HINT = "Geef een moment met tijdzone, bijvoorbeeld 2026-12-01T17:00:00+01:00."


def _instant(**kwargs: Any) -> ma.fields.AwareDateTime:
    """A moment in ISO 8601 with its offset: a deadline without one is ambiguous."""
    messages = {"invalid": INSTANT_HINT, "invalid_awareness": INSTANT_HINT}
    messages.update(kwargs.pop("error_messages", {}))
    return ma.fields.AwareDateTime(format="iso", error_messages=messages, **kwargs)


# -- schemas: tenders --------------------------------------------------------------------------
class TenderArgs(ma.Schema):
    status = ma.fields.Enum(TenderStatus, by_value=True, load_default=None)


class TenderIn(ma.Schema):
    title = _text(300, required="Geef de aanbesteding een titel.")
    description = _text(20000)
    procedure = ma.fields.Enum(
        Procedure,
        by_value=True,
        required=True,
        error_messages={"required": "Kies een procedure."},
    )
    estimated_value = DecimalString(load_default=None, allow_none=True)
    questions_deadline = _instant(load_default=None, allow_none=True)
    submission_deadline = _instant(
        required=True, error_messages={"required": "Geef de sluitingstermijn."}
    )
    standstill_days = ma.fields.Integer(
        load_default=20,
        validate=validate.Range(20, 365, error="Kies een termijn van 20 tot 365 dagen."),
    )
    price_after_quality = ma.fields.Boolean(load_default=False)
    show_bid_count = ma.fields.Boolean(load_default=False)

    @ma.validates_schema
    def _deadlines(self, data: dict, **_kwargs: Any) -> None:
        # The same checks as the page's form: deadlines lie ahead, questions stop first.
        now = utcnow()
        submission, questions = data.get("submission_deadline"), data.get("questions_deadline")
        if submission is not None and submission <= now:
            raise ma.ValidationError(
                _("Deze sluitingstermijn ligt in het verleden. Kies een moment in de toekomst."),
                "submission_deadline",
            )
        if questions is not None:
            if questions <= now:
                raise ma.ValidationError(
                    _("Dit moment ligt in het verleden. Kies een moment in de toekomst."),
                    "questions_deadline",
                )
            if submission is not None and questions >= submission:
                raise ma.ValidationError(
                    _("Vragen stellen moet kunnen stoppen vóór de sluitingstermijn."),
                    "questions_deadline",
                )


class LotIn(ma.Schema):
    title = _text(300, required="Geef het perceel een naam.")
    kind = ma.fields.Enum(
        LotKind, by_value=True, required=True, error_messages={"required": "Kies de soort."}
    )
    budget = DecimalString(required=True, error_messages={"required": "Vul een budget in."})
    reserved_share = DecimalString(maximum=Decimal(100), example="12.5", load_default=Decimal(0))
    area = _text(500)
    description = _text(5000)


class CriterionIn(ma.Schema):
    title = _text(300, required="Geef het criterium een naam.")
    kind = ma.fields.Enum(
        CriterionKind, by_value=True, required=True, error_messages={"required": "Kies de soort."}
    )
    weight = DecimalString(
        maximum=Decimal(100),
        example="40",
        required=True,
        error_messages={"required": "Vul een weging in, bijvoorbeeld 40."},
    )
    max_points = DecimalString(
        maximum=Decimal(100),
        example="10",
        load_default=Decimal(10),
        validate=validate.Range(min=Decimal("0.01"), error="Geef meer dan 0 punten als maximum."),
    )
    description = _text(5000)


class RequirementIn(ma.Schema):
    title = _text(300, required="Geef de eis een naam.")
    description = _text(5000)
    equivalent = _text(500)


class LotOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    kind = ma.fields.Enum(LotKind, by_value=True)
    area = ma.fields.String()
    budget = DecimalString()
    reserved_share = DecimalString()


class CriterionOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    kind = ma.fields.Enum(CriterionKind, by_value=True)
    weight = DecimalString()
    max_points = DecimalString()


class RequirementOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    equivalent = ma.fields.String()


class TimelineOut(ma.Schema):
    published_at = ma.fields.DateTime(allow_none=True)
    questions_deadline = ma.fields.DateTime(allow_none=True)
    submission_deadline = ma.fields.DateTime(allow_none=True)
    opened_at = ma.fields.DateTime(allow_none=True)
    standstill_days = ma.fields.Integer()
    standstill_ends_at = ma.fields.DateTime(allow_none=True)


class TenderSummary(ma.Schema):
    id = ma.fields.Integer()
    ocid = ma.fields.String()
    title = ma.fields.String()
    procedure = ma.fields.Enum(Procedure, by_value=True)
    status = ma.fields.Enum(TenderStatus, by_value=True)
    submission_deadline = ma.fields.DateTime(allow_none=True)
    published_at = ma.fields.DateTime(allow_none=True)


class TenderList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TenderSummary))


class TenderOut(TenderSummary):
    description = ma.fields.String()
    estimated_value = DecimalString(allow_none=True)
    price_after_quality = ma.fields.Boolean()
    show_bid_count = ma.fields.Boolean()
    weights_total = DecimalString()
    timeline = ma.fields.Nested(TimelineOut)
    lots = ma.fields.List(ma.fields.Nested(LotOut))
    criteria = ma.fields.List(ma.fields.Nested(CriterionOut))
    requirements = ma.fields.List(ma.fields.Nested(RequirementOut))
    # Before the opening: only when the tender shows it to bidders, otherwise null.
    bid_count = ma.fields.Integer(allow_none=True)


# -- schemas: bids -----------------------------------------------------------------------------
class BidStart(ma.Schema):
    tender_id = ma.fields.Integer(
        required=True, error_messages={"required": "Kies een aanbesteding."}
    )
    lot_id = ma.fields.Integer(required=True, error_messages={"required": "Kies een perceel."})


ID_KEY = "Gebruik als sleutel het nummer (id) uit de aanbesteding."


class BidDraftIn(ma.Schema):
    """The whole draft, replacing what was there; it may be incomplete (submitting checks)."""

    price = DecimalString(load_default=None, allow_none=True)
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Regexp(r"^[0-9]{1,12}$", error=ID_KEY)),
        values=ma.fields.String(validate=validate.Length(max=ANSWER_MAX)),
        load_default=dict,
        metadata={"description": "answer per quality criterion id"},
    )
    requirements = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Regexp(r"^[0-9]{1,12}$", error=ID_KEY)),
        values=ma.fields.String(validate=validate.Length(max=REQUIREMENT_MAX)),
        load_default=dict,
        metadata={"description": "how the bid meets it, per requirement id"},
    )


class BidTenderOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    buyer = ma.fields.String()
    submission_deadline = ma.fields.DateTime(allow_none=True)
    accepts_bids = ma.fields.Boolean()


class BidLotOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    title = ma.fields.String()


class PartnerOut(ma.Schema):
    organisation = ma.fields.String()
    role = ma.fields.String()
    share = DecimalString()
    confirmed = ma.fields.Boolean()


class DraftOut(ma.Schema):
    price = ma.fields.String(allow_none=True)
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    requirements = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class ReceiptOut(ma.Schema):
    submitted_at = ma.fields.DateTime()
    version = ma.fields.Integer()
    quality_digest = ma.fields.String()
    price_digest = ma.fields.String()
    receipt = ma.fields.String(metadata={"description": "SHA-256 over both envelope digests"})


class BidSummary(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    participation = ma.fields.String(metadata={"description": "lead or partner"})
    lead = ma.fields.String()
    tender = ma.fields.Nested(BidTenderOut)
    lot = ma.fields.Nested(BidLotOut)
    version = ma.fields.Integer()
    submitted_at = ma.fields.DateTime(allow_none=True)


class BidList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BidSummary))


class BidOut(BidSummary):
    criteria = ma.fields.List(ma.fields.Nested(CriterionOut))
    requirements = ma.fields.List(ma.fields.Nested(RequirementOut))
    partners = ma.fields.List(ma.fields.Nested(PartnerOut))
    draft = ma.fields.Nested(DraftOut, allow_none=True)
    receipt = ma.fields.Nested(ReceiptOut, allow_none=True)


# -- schemas: evaluations ----------------------------------------------------------------------
class ScoreOut(ma.Schema):
    criterion_id = ma.fields.Integer()
    points = DecimalString()
    motivation = ma.fields.String()


class OpenedBidOut(ma.Schema):
    id = ma.fields.Integer()
    bidder = ma.fields.String()
    partners = ma.fields.List(ma.fields.String())
    citizen_initiative = ma.fields.Boolean()
    submitted_at = ma.fields.DateTime()
    price = DecimalString(allow_none=True, metadata={"description": "null while sealed"})
    excluded_reason = ma.fields.String(allow_none=True)
    abnormally_low = ma.fields.Boolean()
    # Only for reviewers who declared no conflict of interest:
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    requirements = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    consensus = ma.fields.List(ma.fields.Nested(ScoreOut))
    my_scores = ma.fields.List(ma.fields.Nested(ScoreOut))


class RankedOut(ma.Schema):
    bid_id = ma.fields.Integer()
    bidder = ma.fields.String()
    rank = ma.fields.Integer(allow_none=True)
    price = DecimalString()
    price_subtotal = DecimalString(allow_none=True)
    quality_subtotal = DecimalString(allow_none=True)
    total = DecimalString(allow_none=True)
    excluded = ma.fields.Boolean()
    tie_broken_by = ma.fields.String(allow_none=True)


class AwardOut(ma.Schema):
    winner_bid_id = ma.fields.Integer()
    winner = ma.fields.String()
    reserved_winner_bid_id = ma.fields.Integer(allow_none=True)
    reserved_winner = ma.fields.String(allow_none=True)
    tie_rule = ma.fields.String()
    reasons = ma.fields.String()
    decided_at = ma.fields.DateTime()
    letters_sent_at = ma.fields.DateTime(allow_none=True)
    standstill_ends_at = ma.fields.DateTime(allow_none=True)


class LotEvaluationOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    title = ma.fields.String()
    bids = ma.fields.List(ma.fields.Nested(OpenedBidOut))
    ranking = ma.fields.List(ma.fields.Nested(RankedOut), allow_none=True)
    award = ma.fields.Nested(AwardOut, allow_none=True)


class EvaluationOut(ma.Schema):
    tender_id = ma.fields.Integer()
    title = ma.fields.String()
    status = ma.fields.String()
    opened_at = ma.fields.DateTime()
    bid_count = ma.fields.Integer()
    price_after_quality = ma.fields.Boolean()
    sees_bids = ma.fields.Boolean()
    ranking_problem = ma.fields.String(allow_none=True)
    tie_rule = ma.fields.String()
    lots = ma.fields.List(ma.fields.Nested(LotEvaluationOut))
