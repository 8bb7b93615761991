"""Duty to involve: a municipality invites the local initiatives of an area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("involvement", __name__)
