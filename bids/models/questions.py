"""Questions and answers (nota van inlichtingen), versioned tender documents and corrections."""

from __future__ import annotations
