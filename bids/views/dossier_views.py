"""The bidder's reusable dossier and bid attachments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dossier", __name__)
