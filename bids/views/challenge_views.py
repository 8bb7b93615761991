"""Right to Challenge pages: the challenger's and the municipality's."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("challenges", __name__)
