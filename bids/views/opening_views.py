"""The opening (four eyes) and its record, on the buyer's side."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from koepel.bids import opening as ops
from koepel.bids import tenders
from koepel.bids.models import TenderOpening, TenderStatus
from koepel.platform import pdf
from koepel.platform.extensions import db
from koepel.platform.models import OrgKind, User
from koepel.platform.timeutil import utcnow
from koepel.platform.web import OrgView

bp = Blueprint("opening", __name__)


class OpeningView(OrgView):
    action = "tenders.view"
    kinds = (OrgKind.MUNICIPALITY, OrgKind.REGION)

    def load(self, tender_id: int) -> None:
        self.tender = tenders.get_tender(tender_id)
        if self.tender is None:
            abort(404)
        self.opening = db.session.scalar(
            select(TenderOpening).where(TenderOpening.tender_id == tender_id)
        )
        self.sees_bidders = ops.sees_bidders(
            current_user, self.tender, may_award=self.can("tenders.award")
        )

    def get(self, tender_id: int):
        return self.render()

    def render(self, problem: str | None = None, status: int = 200):
        first = db.session.get(User, self.opening.first_official_id) if self.opening else None
        return render_template(
            "bids/opening/opening.html",
            org=self.org,
            tender=self.tender,
            opening=self.opening,
            first=first,
            problem=problem,
            deadline_passed=utcnow() >= self.tender.submission_deadline,
            opened=self.tender.status != TenderStatus.PUBLISHED
            and self.tender.opened_at is not None,
            may_open=self.can("tenders.open"),
            sees_bidders=self.sees_bidders,
        ), status


class Start(OpeningView):
    action = "tenders.open"

    def post(self, tender_id: int):
        try:
            ops.start(actor=current_user, buyer=self.org, tender=self.tender)
        except ops.OpeningError as exc:
            return self.render(problem=str(exc), status=400)
        flash(
            _("De opening is gestart. Een tweede bevoegde collega moet haar nu bevestigen."),
            "success",
        )
        return redirect(url_for("opening.view", org_slug=self.org.slug, tender_id=tender_id))


class Confirm(OpeningView):
    action = "tenders.open"

    def post(self, tender_id: int):
        try:
            opened = ops.confirm(actor=current_user, buyer=self.org, tender=self.tender)
        except ops.OpeningError as exc:
            return self.render(problem=str(exc), status=400)
        flash(_("De inschrijvingen zijn geopend (%(n)d).", n=len(opened)), "success")
        return redirect(url_for("opening.view", org_slug=self.org.slug, tender_id=tender_id))


class RecordPdf(OpeningView):
    """The opening record (proces-verbaal) as PDF."""

    def get(self, tender_id: int):
        if self.opening is None or self.opening.confirmed_at is None or not self.sees_bidders:
            abort(404)
        html = render_template(
            "bids/opening/record_pdf.html",
            org=self.org,
            tender=self.tender,
            record=self.opening.record,
            opening=self.opening,
        )
        return pdf.download(pdf.render(html), f"proces-verbaal-opening-{self.tender.id}.pdf")


_rule = "/<org_slug>/tenders/<int:tender_id>/opening"
bp.add_url_rule(_rule, view_func=OpeningView.as_view("view"))
bp.add_url_rule(f"{_rule}/start", view_func=Start.as_view("start"), methods=["POST"])
bp.add_url_rule(f"{_rule}/confirm", view_func=Confirm.as_view("confirm"), methods=["POST"])
bp.add_url_rule(f"{_rule}/record.pdf", view_func=RecordPdf.as_view("record"))
