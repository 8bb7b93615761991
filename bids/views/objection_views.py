"""Award letters as PDF and objections during the standstill period."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("objections", __name__)
