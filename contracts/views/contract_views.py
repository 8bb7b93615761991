"""Contracts: entering, parties signing, options, documents, KPIs, payments; partnership
agreements."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contracts", __name__)
