"""Framework agreements: catalogue, volume agreements, call-offs, reports, adjustments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("framework", __name__)
