"""Marshmallow schemas of the budgets API (``koepel.contracts.api_budgets``).

Amounts, percentages and volumes travel as strings with a point ("8500000.00"); the names
of the schemas start with Budget, Allocation or Settlement so they stay unique in the
OpenAPI document next to the other modules' schemas.
"""

from __future__ import annotations

import marshmallow as ma

from koepel.contracts.models.budgets import (
    AllocationMethod,
    BudgetKind,
    BudgetPartnerRole,
    SurplusRule,
)
from koepel.platform.api.fields import DecimalString
from koepel.platform.api.fields import text as _text


# -- schemas in ----------------------------------------------------------------------------------
class BudgetFundingIn(ma.Schema):
    funder = ma.fields.String(required=True, metadata={"description": "the funder's slug"})
    scheme = _text(200, required="Schrijf voor welke regeling het geld is.")
    amount = DecimalString(required=True, error_messages={"required": "Vul een bedrag in."})


class BudgetPartnerIn(ma.Schema):
    organisation = ma.fields.String(required=True, metadata={"description": "slug"})
    role = ma.fields.Enum(BudgetPartnerRole, by_value=True, load_default=BudgetPartnerRole.MAIN)
    advance = DecimalString(load_default=None, allow_none=True)


class BudgetIn(ma.Schema):
    title = _text(300, required="Geef de pot een naam.")
    kind = ma.fields.Enum(
        BudgetKind, by_value=True, required=True, error_messages={"required": "Kies de soort."}
    )
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    approver = ma.fields.String(
        required=True, metadata={"description": "slug of the municipality, region or insurer"}
    )
    description = _text(5000)
    contract_id = ma.fields.Integer(load_default=None, allow_none=True)
    share_deliveries = ma.fields.Boolean(load_default=False)
    surplus_rule = ma.fields.Enum(SurplusRule, by_value=True, load_default=SurplusRule.FUNDERS)
    funding = ma.fields.List(ma.fields.Nested(BudgetFundingIn), load_default=list)
    partners = ma.fields.List(ma.fields.Nested(BudgetPartnerIn), load_default=list)


class AllocationLineIn(ma.Schema):
    volume = DecimalString(required=True, example="1200")
    tariff = DecimalString(required=True, example="58.40")
    product = _text(200)


class AllocationShareIn(ma.Schema):
    partner = ma.fields.String(required=True, metadata={"description": "the partner's slug"})
    proposed = DecimalString(load_default=None, allow_none=True)
    percentage = DecimalString(load_default=None, allow_none=True, example="12.5")
    lines = ma.fields.List(ma.fields.Nested(AllocationLineIn), load_default=list)


class AllocationInitiativeIn(ma.Schema):
    name = _text(200, required="Geef het initiatief een naam.")
    weight = DecimalString(load_default=None, allow_none=True)


class AllocationReserveIn(ma.Schema):
    amount = DecimalString(load_default=None, allow_none=True)
    percent = DecimalString(load_default=None, allow_none=True, example="2.5")
    initiatives = ma.fields.List(ma.fields.Nested(AllocationInitiativeIn), load_default=list)


class AllocationIn(ma.Schema):
    method = ma.fields.Enum(
        AllocationMethod,
        by_value=True,
        required=True,
        error_messages={"required": "Kies hoe het budget wordt verdeeld."},
    )
    shares = ma.fields.List(ma.fields.Nested(AllocationShareIn), load_default=list)
    reserve = ma.fields.Nested(AllocationReserveIn, load_default=None, allow_none=True)
    note = _text(5000)


# -- schemas out ---------------------------------------------------------------------------------
class BudgetOrgOut(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()


class BudgetRelationOut(ma.Schema):
    owner = ma.fields.Boolean()
    partner = ma.fields.Boolean()
    subcontractor = ma.fields.Boolean()
    funder = ma.fields.Boolean()
    approver = ma.fields.Boolean()


class BudgetSummary(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    kind = ma.fields.String()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    owner = ma.fields.Nested(BudgetOrgOut)
    approver = ma.fields.Nested(BudgetOrgOut)
    total = DecimalString()
    relation = ma.fields.Nested(BudgetRelationOut)


class BudgetList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BudgetSummary))


class BudgetFundingOut(ma.Schema):
    funder = ma.fields.Nested(BudgetOrgOut)
    scheme = ma.fields.String()
    amount = DecimalString()


class BudgetPartnerOut(ma.Schema):
    organisation = ma.fields.Nested(BudgetOrgOut)
    role = ma.fields.String()
    advance = DecimalString(allow_none=True, metadata={"description": "own or the owner's"})


class AllocationSummary(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    method = ma.fields.String()
    status = ma.fields.String()
    total = DecimalString()
    created_at = ma.fields.DateTime()
    approved_at = ma.fields.DateTime(allow_none=True)


class AllocationList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AllocationSummary))


class BudgetOut(BudgetSummary):
    description = ma.fields.String()
    contract_id = ma.fields.Integer(allow_none=True)
    share_deliveries = ma.fields.Boolean()
    surplus_rule = ma.fields.String()
    funding = ma.fields.List(ma.fields.Nested(BudgetFundingOut))
    partners = ma.fields.List(ma.fields.Nested(BudgetPartnerOut))
    allocations = ma.fields.List(ma.fields.Nested(AllocationSummary))
    settlement_id = ma.fields.Integer(allow_none=True)


class AllocationLineOut(ma.Schema):
    volume = ma.fields.String()
    tariff = ma.fields.String()
    product = ma.fields.String()


class AllocationShareOut(ma.Schema):
    partner = ma.fields.Nested(BudgetOrgOut)
    amount = DecimalString(allow_none=True)
    proposed = DecimalString(allow_none=True)
    percentage = DecimalString(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(AllocationLineOut))
    explanation = ma.fields.String()
    agreed_at = ma.fields.DateTime(allow_none=True)


class AllocationInitiativeOut(ma.Schema):
    name = ma.fields.String()
    weight = DecimalString(allow_none=True)
    amount = DecimalString(allow_none=True)
    explanation = ma.fields.String()


class AllocationCommentOut(ma.Schema):
    organisation = ma.fields.Nested(BudgetOrgOut)
    body = ma.fields.String()
    created_at = ma.fields.DateTime()


class AllocationOut(AllocationSummary):
    budget_id = ma.fields.Integer()
    distributable = DecimalString(allow_none=True)
    unallocated = DecimalString(allow_none=True)
    reserve = DecimalString(allow_none=True)
    reserve_explanation = ma.fields.String()
    note = ma.fields.String()
    proposed_at = ma.fields.DateTime(allow_none=True)
    agreed_at = ma.fields.DateTime(allow_none=True)
    shares = ma.fields.List(ma.fields.Nested(AllocationShareOut))
    initiatives = ma.fields.List(ma.fields.Nested(AllocationInitiativeOut))
    partners_total = DecimalString(allow_none=True, metadata={"description": "null for a sub"})
    comments = ma.fields.List(ma.fields.Nested(AllocationCommentOut))


class SettlementTransferOut(ma.Schema):
    payer = ma.fields.String()
    payee = ma.fields.String()
    amount = DecimalString()


class SettlementPositionOut(ma.Schema):
    partner = ma.fields.Nested(
        BudgetOrgOut, allow_none=True, metadata={"description": "null: the pot"}
    )
    value = ma.fields.String()
    due = DecimalString()
    received = DecimalString()
    position = DecimalString()
    explanation = ma.fields.String()


class SettlementRefundOut(ma.Schema):
    funder = ma.fields.Nested(BudgetOrgOut)
    scheme = ma.fields.String()
    amount = DecimalString()
    explanation = ma.fields.String()


class SettlementStatementLineOut(ma.Schema):
    product = ma.fields.String()
    unit = ma.fields.String()
    tariff = DecimalString()
    quantity = ma.fields.String()
    value = ma.fields.String()


class SettlementStatementOut(ma.Schema):
    partner = ma.fields.Nested(BudgetOrgOut)
    lines = ma.fields.List(ma.fields.Nested(SettlementStatementLineOut))
    value = ma.fields.String()
    due = DecimalString()
    received = DecimalString()
    position = DecimalString()
    explanation = ma.fields.String()
    pays = ma.fields.List(ma.fields.Nested(SettlementTransferOut))
    receives = ma.fields.List(ma.fields.Nested(SettlementTransferOut))


class DistrictSettlementOut(ma.Schema):
    id = ma.fields.Integer()
    budget_id = ma.fields.Integer()
    computed_at = ma.fields.DateTime()
    pool = DecimalString()
    total_due = DecimalString()
    surplus = DecimalString()
    surplus_rule = ma.fields.String()
    capped = ma.fields.Boolean()
    fewest_transfers_proven = ma.fields.Boolean()
    positions = ma.fields.List(ma.fields.Nested(SettlementPositionOut))
    transfers = ma.fields.List(ma.fields.Nested(SettlementTransferOut))
    refunds = ma.fields.List(ma.fields.Nested(SettlementRefundOut))
    statement = ma.fields.Nested(SettlementStatementOut, allow_none=True)


class DistrictSettlementList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DistrictSettlementOut))
