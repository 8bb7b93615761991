"""The base of every cooperative page."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from koepel.platform.extensions import db
from koepel.platform.models import OrgKind
from koepel.platform.web import OrgView


class CoopView(OrgView):
    kinds = (OrgKind.COOPERATIVE,)

    def get_or_404(self, model, object_id: int):
        """An object of the acting cooperative; another tenant's answers 404 (scoping)."""
        obj = db.session.scalar(select(model).where(model.id == object_id))
        if obj is None:
            abort(404)
        return obj
