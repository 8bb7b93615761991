"""Budgets and their allocation between partners (versions), pooled district budgets with
delivery records and settlements, and arrangement financing."""

from __future__ import annotations
