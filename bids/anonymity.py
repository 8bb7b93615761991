"""Anonymous evaluation: when a tender asks for it, the reviewers assigned to it see the
bidders as "Inschrijver A, B, ..." instead of by name (and without their partners) until the
award is decided, so names cannot colour the scores. The officials who award keep the names
(they hold the opening record); after the decision everyone entitled sees them."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from koepel.bids.models import OpenedBid, ReviewerAssignment, Tender, TenderStatus


def hides_names(tender: Tender, assignment: ReviewerAssignment | None) -> bool:
    return (
        tender.anonymous_evaluation
        and assignment is not None
        and tender.status == TenderStatus.OPENED
    )


def letter(index: int) -> str:
    """A, B, ..., Z, AA, AB, ... for 0, 1, ..."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def labels(bids: Sequence[OpenedBid]) -> dict[int, str]:
    """A stable label per opened bid: in order of submission (then id), per tender."""
    ordered = sorted(bids, key=lambda b: (b.submitted_at, b.id))
    return {b.id: _("Inschrijver %(letter)s", letter=letter(i)) for i, b in enumerate(ordered)}


def display_names(bids: Sequence[OpenedBid], hidden: bool) -> dict[int, str]:
    """What to call each bid on a page: its label when names are hidden, else the bidder
    with its partners."""
    if hidden:
        return labels(bids)
    names = {}
    for bid in bids:
        partners = [p["organisation"] for p in (bid.partners or [])]
        names[bid.id] = (
            f"{bid.bidder_name} ({_('met')} {', '.join(partners)})" if partners else bid.bidder_name
        )
    return names
