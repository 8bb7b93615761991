"""Umbrella contracting on behalf of member cooperatives: volumes down, reports up."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("umbrella_contracts", __name__)
