"""Access-matrix entries for the contracts module's umbrella-contracting routes (merged into
``MATRIX``).

Builders and kinds come from ``access_matrix``, which imports this file at its end."""

from __future__ import annotations

from access_matrix import Covered, Org  # noqa: F401

ENTRIES: dict[str, object] = {}
