"""The public, unauthenticated open-data API: published tenders and their OCDS packages."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, request

from koepel.bids import publication
from koepel.platform.api.core import ApiBlueprint, register_blueprint

public_blp = ApiBlueprint(
    "api_public",
    __name__,
    url_prefix="/api/v1/public",
    description="Open data: gepubliceerde aanbestedingen (OCDS 1.1.5)",
)


class PublicTender(ma.Schema):
    id = ma.fields.Integer()
    ocid = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.String()
    buyer_id = ma.fields.Integer(attribute="tenant_id")
    submission_deadline = ma.fields.DateTime()
    published_at = ma.fields.DateTime()


class PublicTenderList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PublicTender))


@public_blp.route("/tenders", methods=["GET"])
@public_blp.response(200, PublicTenderList)
@public_blp.doc(security=[])
def list_tenders():
    """Published tenders (never drafts), newest first."""
    return {"items": publication.public_tenders()}


@public_blp.route("/tenders/<int:tender_id>/ocds", methods=["GET"])
@public_blp.doc(security=[], responses={"200": {"description": "OCDS 1.1.5 release package"}})
def tender_ocds(tender_id: int):
    """The tender's OCDS release package; before the opening it holds no bid details."""
    package = publication.package_for(
        tender_id, uri_base=request.url_root.rstrip("/") + "/api/v1/public/ocds"
    )
    if package is None:
        abort(404)
    return package


def register() -> None:
    register_blueprint(public_blp)
