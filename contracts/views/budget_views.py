"""Budgets, allocation versions, pooled district settlements and arrangement financing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("budgets", __name__)
