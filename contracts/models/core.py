"""Contracts, their parties and signatures, options, documents, KPIs, payments, and
partnership agreements between a cooperative and a provider."""

from __future__ import annotations
