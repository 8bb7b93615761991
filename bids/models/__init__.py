"""The bids module's tables: tenders with lots, criteria and requirements (owned by the
buyer); bids with their consortium partners (owned by the lead bidder, sealed until the
opening); and the buyer's opening, opened copies of the bids, scores and awards."""

from koepel.bids.models import challenges, dossier, objections, questions  # noqa: F401
from koepel.bids.models.bids import Bid, BidPartner, BidStatus, PartnerRole
from koepel.bids.models.evaluation import (
    AwardDecision,
    ConsensusScore,
    OpenedBid,
    ReviewerAssignment,
    ReviewerScore,
    TenderOpening,
)
from koepel.bids.models.tenders import (
    Criterion,
    CriterionKind,
    Lot,
    LotKind,
    Procedure,
    Requirement,
    Tender,
    TenderStatus,
)

__all__ = [
    "AwardDecision",
    "Bid",
    "BidPartner",
    "BidStatus",
    "ConsensusScore",
    "Criterion",
    "CriterionKind",
    "Lot",
    "LotKind",
    "OpenedBid",
    "PartnerRole",
    "Procedure",
    "Requirement",
    "ReviewerAssignment",
    "ReviewerScore",
    "Tender",
    "TenderOpening",
    "TenderStatus",
]
