"""Access-matrix entries for the bids module's objections routes (merged into ``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end."""

from __future__ import annotations

from access_matrix import BIDDERS, BUYER, Covered, Org, _bid_for, _tender_for  # noqa: F401

ENTRIES: dict[str, object] = {}
