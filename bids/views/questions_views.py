"""Questions and answers, the nota van inlichtingen, tender documents and corrections."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("questions", __name__)
