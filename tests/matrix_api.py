"""Access-matrix entries for the bids module's api routes (merged into ``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end.

The harness sends an empty JSON object. Where access is granted: a body the schema
refuses answers 400; publishing a tender without lots, or submitting an empty draft, is
refused by the rules (422); withdrawing a draft conflicts with its state (409); and the
evaluation of a tender that is not opened yet is 409 for every role that may view it.
"""

from __future__ import annotations

from access_matrix import BIDDERS, BUYER, Covered, Org, _bid_for, _tender_for  # noqa: F401

ENTRIES: dict[str, object] = {
    # buyer side: tenders
    "api_bids.list_tenders": Org("tenders.view", kinds=BUYER),
    "api_bids.create_tender": Org("tenders.manage", kinds=BUYER, methods=("POST",), ok=400),
    "api_bids.get_tender": Org("tenders.view", kinds=BUYER, obj=_tender_for),
    "api_bids.add_lot": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",), ok=400
    ),
    "api_bids.add_criterion": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",), ok=400
    ),
    "api_bids.add_requirement": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",), ok=400
    ),
    "api_bids.publish_tender": Org(
        "tenders.manage", kinds=BUYER, obj=_tender_for, methods=("POST",), ok=422
    ),
    # bidder side: bids (a partner's access is in tests/test_bids_api.py)
    "api_bids.list_bids": Org("bids.view", kinds=BIDDERS),
    "api_bids.start_bid": Org("bids.manage", kinds=BIDDERS, methods=("POST",), ok=400),
    "api_bids.get_bid": Org("bids.view", kinds=BIDDERS, obj=_bid_for),
    # An empty draft is a valid draft.
    "api_bids.save_draft": Org("bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("PUT",)),
    "api_bids.submit_bid": Org(
        "bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",), ok=422
    ),
    "api_bids.withdraw_bid": Org(
        "bids.manage", kinds=BIDDERS, obj=_bid_for, methods=("POST",), ok=409
    ),
    # the evaluation (after the opening; see tests/test_bids_api.py)
    "api_bids.get_evaluation": Org("tenders.view", kinds=BUYER, obj=_tender_for, ok=409),
}
