"""The bidder's reusable dossier and bid attachments.

- The dossier page: a bidder organisation's standing documents (valid, expiring within 30
  days, expired, earlier versions) and the form to add one or a new version.
- On the bidder's bid page (``bidding.bid``): attach a dossier document, upload a file for
  this bid only, remove one, and — for a consortium — record every party's share.
- A consortium partner's page for the bid it is in: the attachments, and its confirmation
  with its own UEA declaration (posted to ``bidding.confirm``).
- The buyer's evaluators download an opened bid's attachments (after the opening only).

Every rule is in ``koepel.bids.dossier``; a refusal is shown next to the field it names with
what was typed kept (a browser never keeps a chosen file, so the page asks to choose it
again).
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from koepel.bids import dossier, sealing, tenders
from koepel.bids import submission as ops
from koepel.bids.models.dossier import AttachmentSource, DossierKind
from koepel.bids.tenders import accepts_bids
from koepel.bids.views.bid_forms import DeclarationForm
from koepel.bids.views.bidding import (
    ROLE_LABELS,
    STATUS_LABELS,
    VALIDITY_LABELS,
    BidPage,
    org_names,
    percent,
)
from koepel.platform.models import OrgKind
from koepel.platform.web import OrgView

bp = Blueprint("dossier", __name__)


class DocumentForm(FlaskForm):
    kind = SelectField(
        _l("Soort document"),
        choices=[SelectChoice(k.value, label) for k, label in dossier.KIND_LABELS.items()],
        default=DossierKind.KVK.value,
        description=_l(
            "Een nieuw document van dezelfde soort vervangt het huidige. Het oude blijft "
            "bewaard. Bij ‘Ander document’ vervangt alleen een document met dezelfde titel."
        ),
    )
    title = StringField(
        _l("Titel"),
        description=_l("Bijvoorbeeld: Aansprakelijkheidsverzekering 2026."),
        validators=[DataRequired(_l("Vul een titel in.")), Length(max=200)],
    )
    file = FileField(_l("Bestand"), validators=[FileRequired(_l("Kies een bestand."))])
    valid_from = DateField(_l("Geldig vanaf"), validators=[Optional()])
    expires_on = DateField(
        _l("Geldig tot en met"),
        description=_l("Laat leeg als het document niet verloopt."),
        validators=[Optional()],
    )


def _send(data: bytes, filename: str, content_type: str):
    response = send_file(
        io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "private, no-store"  # bid content: never cached
    return response


def _attach_error(form: FlaskForm, exc: ops.BidError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    (target.errors if target is not None else form.form_errors).append(str(exc))


# -- the dossier ---------------------------------------------------------------------------
class DossierPage(OrgView):
    action = "dossier.view"
    post_action = "dossier.manage"
    kinds = ops.BIDDER_KINDS

    def render(self, form: DocumentForm | None = None):
        today = dossier.local_today()
        current = dossier.current_documents()
        groups: dict[dossier.Validity, list] = {v: [] for v in dossier.Validity}
        for document in current:
            groups[dossier.validity(document.expires_on, document.valid_from, today)].append(
                document
            )
        may_manage = self.can("dossier.manage")
        return render_template(
            "bids/dossier/index.html",
            org=self.org,
            groups=groups,
            earlier=dossier.earlier_versions(),
            form=(form or DocumentForm(formdata=None)) if may_manage else None,
            kind_labels=dossier.KIND_LABELS,
            validity_labels=VALIDITY_LABELS,
            expiring_days=dossier.EXPIRING_DAYS,
            reminder_days=dossier.REMINDER_DAYS,
        )

    def get(self):
        return self.render()

    def post(self):
        form = DocumentForm()
        if form.validate_on_submit():
            upload = form.file.data
            try:
                document = dossier.add_document(
                    actor=current_user,
                    org=self.org,
                    kind=DossierKind(form.kind.data),
                    title=form.title.data,
                    filename=upload.filename or "",
                    data=upload.read(),
                    valid_from=form.valid_from.data,
                    expires_on=form.expires_on.data,
                )
            except ops.BidError as exc:
                _attach_error(form, exc)
            else:
                flash(_("%(title)s staat in uw dossier.", title=document.title), "success")
                return redirect(url_for("dossier.index", org_slug=self.org.slug))
        return self.render(form), 400 if form.errors.get("csrf_token") else 200


class DossierFile(OrgView):
    action = "dossier.view"
    kinds = ops.BIDDER_KINDS

    def load(self, document_id: int) -> None:
        self.document = dossier.get_document(document_id)  # scoped: another's is None
        if self.document is None:
            abort(404)

    def get(self, document_id: int):
        return _send(
            dossier.read_document(self.document), self.document.filename, self.document.content_type
        )


# -- attachments and shares on the bidder's bid page -----------------------------------------
class BidChange(BidPage):
    """A change on the bid page; refused with a message when the bid cannot change."""

    action = "dossier.manage"

    def locked(self):
        if self.bid.status == ops.BidStatus.SUBMITTED or not accepts_bids(self.tender):
            flash(_("Deze inschrijving kan niet meer worden gewijzigd."), "error")
            return redirect(self.url())
        return None

    def back(self, message: str, anchor: str):
        flash(message, "success")
        return redirect(f"{self.url()}#{anchor}")


class AttachDocument(BidChange):
    def post(self, bid_id: int):
        if (refused := self.locked()) is not None:
            return refused
        form = self.attach_form(posted=True)
        if form.validate_on_submit():
            chosen = form.document.data or ""
            try:
                row = dossier.attach_document(
                    actor=current_user,
                    bidder=self.org,
                    bid=self.bid,
                    tender=self.tender,
                    document_id=int(chosen) if chosen.isdigit() else None,
                )
            except ops.BidError as exc:
                _attach_error(form, exc)
            else:
                title = dossier.get_document(row.document_id).title
                return self.back(_("%(title)s is bijgevoegd.", title=title), "attachments")
        return self.render(attach_form=form)


class UploadAttachment(BidChange):
    def post(self, bid_id: int):
        if (refused := self.locked()) is not None:
            return refused
        form = self.upload_form(posted=True)
        if form.validate_on_submit():
            upload = form.file.data
            try:
                dossier.upload_attachment(
                    actor=current_user,
                    bidder=self.org,
                    bid=self.bid,
                    tender=self.tender,
                    title=form.title.data,
                    filename=upload.filename or "",
                    data=upload.read(),
                )
            except ops.BidError as exc:
                _attach_error(form, exc)
            else:
                return self.back(
                    _("%(title)s is bijgevoegd.", title=form.title.data.strip()), "attachments"
                )
        return self.render(upload_form=form)


class RemoveAttachment(BidChange):
    def post(self, bid_id: int, attachment_id: int):
        if (refused := self.locked()) is not None:
            return refused
        try:
            dossier.remove_attachment(
                actor=current_user,
                bidder=self.org,
                bid=self.bid,
                tender=self.tender,
                attachment_id=attachment_id,
            )
        except ops.BidError:
            abort(404)
        return self.back(_("De bijlage is weggehaald."), "attachments")


class Shares(BidChange):
    def post(self, bid_id: int):
        if (refused := self.locked()) is not None:
            return refused
        if not self.bid.partners:
            abort(404)
        form = self.shares_form(posted=True)
        if form.validate_on_submit():
            try:
                dossier.set_shares(
                    actor=current_user,
                    bidder=self.org,
                    bid=self.bid,
                    tender=self.tender,
                    lead=form.lead.value,
                    partners=form.partner_shares(self.partners()),
                )
            except ops.BidError as exc:
                form.form_errors.append(str(exc))
            else:
                return self.back(_("De verdeling is opgeslagen."), "partners")
        return self.render(shares_form=form)


def _tampered(back: str):
    """A file that fails its check (changed, cut short or swapped at rest) goes to nobody:
    back to the page it was listed on, saying so."""
    flash(
        _(
            "Dit bestand komt niet overeen met de vingerafdruk in de verzegelde "
            "inschrijving. Het is niet geopend. Meld dit bij de beheerder."
        ),
        "error",
    )
    return redirect(back)


class BidAttachmentFile(BidPage):
    """The bidder downloads an attachment of its own bid (scoped: another's bid is 404)."""

    action = "bids.view"
    # A download only: without this the bid page's "Opslaan" (post) is inherited and a POST
    # here failed with a 500 (it takes no attachment_id).
    methods = ["GET"]

    def get(self, bid_id: int, attachment_id: int):
        try:
            found = dossier.bid_attachment(self.bid, attachment_id)
        except sealing.TamperedError:
            return _tampered(url_for("bidding.bid", org_slug=self.org.slug, bid_id=bid_id))
        if found is None:
            abort(404)
        view, data = found
        return _send(data, view.filename, view.content_type)


# -- a consortium partner ---------------------------------------------------------------------
class PartnershipView(OrgView):
    action = "bids.view"
    kinds = ops.BIDDER_KINDS

    def load(self, bid_id: int, **kwargs) -> None:
        self.view = ops.partner_view(self.org, bid_id)  # None for anyone but a partner
        if self.view is None:
            abort(404)
        self.tender = ops.published_tender(self.view.tender_id)
        if self.tender is None:
            abort(404)


class Partnership(PartnershipView):
    """The bid the acting organisation is a partner in: what it may see of it, and its
    confirmation with its own declaration."""

    def get(self, bid_id: int):
        attachments = dossier.partner_attachments(self.org, bid_id) or []
        mine = next(
            (a for a in attachments if a.source == AttachmentSource.DECLARATION),
            None,
        )
        declarations = [d for d in dossier.current_documents() if d.kind == DossierKind.UEA]
        form = None
        if self.can("bids.manage") and self.view.status != ops.BidStatus.SUBMITTED:
            form = DeclarationForm(formdata=None)
            form.declaration.choices = [
                SelectChoice(str(d.id), d.title)
                for d in declarations
                if dossier.validity(d.expires_on, d.valid_from, dossier.local_today())
                != dossier.Validity.EXPIRED
            ]
            if not form.declaration.choices:
                form = None
        return render_template(
            "bids/dossier/partnership.html",
            org=self.org,
            view=self.view,
            tender=self.tender,
            lot=next(lot for lot in self.tender.lots if lot.id == self.view.lot_id),
            lead=org_names({self.view.lead_id}).get(self.view.lead_id, ""),
            attachments=[a for a in attachments if a.source != AttachmentSource.DECLARATION],
            declaration=mine,
            form=form,
            may_manage=self.can("bids.manage"),
            has_declaration=bool(declarations),
            today=dossier.local_today(),
            status_labels=STATUS_LABELS,
            role_labels=ROLE_LABELS,
            kind_labels=dossier.KIND_LABELS,
            validity_labels=VALIDITY_LABELS,
            percent=percent,
        )


class PartnerAttachmentFile(PartnershipView):
    def get(self, bid_id: int, attachment_id: int):
        try:
            found = dossier.partner_attachment(self.org, bid_id, attachment_id)
        except sealing.TamperedError:
            return _tampered(url_for("dossier.partnership", org_slug=self.org.slug, bid_id=bid_id))
        if found is None:
            abort(404)
        view, data = found
        return _send(data, view.filename, view.content_type)


# -- the buyer's evaluators, after the opening -------------------------------------------------
class OpenedAttachmentFile(OrgView):
    action = "tenders.view"
    kinds = (OrgKind.MUNICIPALITY, OrgKind.REGION)

    def load(self, tender_id: int, **kwargs) -> None:
        self.tender = tenders.get_tender(tender_id)  # scoped: another buyer's is None
        if self.tender is None:
            abort(404)

    def get(self, tender_id: int, opened_bid_id: int, attachment_id: int):
        try:
            found = dossier.opened_attachment(
                reader=current_user,
                tender=self.tender,
                opened_bid_id=opened_bid_id,
                attachment_id=attachment_id,
            )
        except sealing.TamperedError:
            return _tampered(
                url_for(
                    "evaluation.view",
                    org_slug=self.org.slug,
                    tender_id=tender_id,
                    _anchor=f"bid-{opened_bid_id}",
                )
            )
        if found is None:
            abort(404)
        entry, data = found
        return _send(data, entry["filename"], entry["content_type"])


_bid = "/<org_slug>/bids/<int:bid_id>"
_partnership = "/<org_slug>/partnerships/<int:bid_id>"
bp.add_url_rule(
    "/<org_slug>/dossier", view_func=DossierPage.as_view("index"), methods=["GET", "POST"]
)
bp.add_url_rule("/<org_slug>/dossier/<int:document_id>", view_func=DossierFile.as_view("document"))
bp.add_url_rule(f"{_bid}/attachments", view_func=AttachDocument.as_view("attach"), methods=["POST"])
bp.add_url_rule(
    f"{_bid}/attachments/upload", view_func=UploadAttachment.as_view("upload"), methods=["POST"]
)
bp.add_url_rule(
    f"{_bid}/attachments/<int:attachment_id>", view_func=BidAttachmentFile.as_view("bid_attachment")
)
bp.add_url_rule(
    f"{_bid}/attachments/<int:attachment_id>/remove",
    view_func=RemoveAttachment.as_view("remove"),
    methods=["POST"],
)
bp.add_url_rule(f"{_bid}/shares", view_func=Shares.as_view("shares"), methods=["POST"])
bp.add_url_rule(_partnership, view_func=Partnership.as_view("partnership"))
bp.add_url_rule(
    f"{_partnership}/attachments/<int:attachment_id>",
    view_func=PartnerAttachmentFile.as_view("partner_attachment"),
)
bp.add_url_rule(
    "/<org_slug>/tenders/<int:tender_id>/opened/<int:opened_bid_id>/attachments/"
    "<int:attachment_id>",
    view_func=OpenedAttachmentFile.as_view("opened_attachment"),
)
