"""The bidder's pages (cooperative, umbrella, provider): open tenders, a tender with its
lots and criteria, preparing a bid per lot (alone or with consortium partners), submitting
it sealed with a receipt, withdrawing it before the deadline, and confirming participation
in another party's bid.

A bid's content is shown only to the organisation that owns it (the queries are scoped to
the acting organisation); a consortium partner sees what ``bids_as_partner`` tells it.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from koepel.bids import dossier
from koepel.bids import submission as ops
from koepel.bids.models import (
    Bid,
    BidPartner,
    BidStatus,
    CriterionKind,
    LotKind,
    PartnerRole,
    Procedure,
    Tender,
)
from koepel.bids.models.dossier import AttachmentSource
from koepel.bids.tenders import accepts_bids
from koepel.bids.views.bid_forms import (
    AttachDocumentForm,
    BidForm,
    PartnerForm,
    SharesForm,
    UploadAttachmentForm,
    answer_name,
    price_as_typed,
    price_for_display,
    read_price,
    requirement_name,
    share_name,
)
from koepel.platform import policy
from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.models import Organisation
from koepel.platform.money import split
from koepel.platform.timeutil import utcnow
from koepel.platform.web import OrgView

bp = Blueprint("bidding", __name__)

STATUS_LABELS = {
    BidStatus.DRAFT: _l("concept"),
    BidStatus.SUBMITTED: _l("ingediend"),
    BidStatus.WITHDRAWN: lazy_pgettext("inschrijving", "ingetrokken"),
}
ROLE_LABELS = {PartnerRole.MAIN: _l("hoofdaannemer"), PartnerRole.SUB: _l("onderaannemer")}
PROCEDURE_LABELS = {
    Procedure.OPEN: _l("openbare aanbesteding"),
    Procedure.SOCIAL: _l("maatschappelijk aanbesteden"),
    Procedure.FRAMEWORK: _l("raamovereenkomst"),
    Procedure.CHALLENGE: _l("vervolg op een Right to Challenge"),
    Procedure.SUBSIDY: _l("subsidieoproep"),
}
LOT_KIND_LABELS = {LotKind.GEOGRAPHIC: _l("gebied"), LotKind.THEMATIC: _l("thema")}
VALIDITY_LABELS = {
    dossier.Validity.VALID: _l("geldig"),
    dossier.Validity.EXPIRING: _l("verloopt binnenkort"),
    dossier.Validity.EXPIRED: _l("verlopen"),
    dossier.Validity.NOT_YET: _l("nog niet geldig"),
}
CRITERION_KIND_LABELS = {
    CriterionKind.PRICE: _l("prijs"),
    CriterionKind.QUALITY: _l("kwaliteit"),
    CriterionKind.SOCIAL_VALUE: _l("maatschappelijke meerwaarde"),
    CriterionKind.OTHER: _l("overig"),
}


def percent(value: Decimal | int) -> str:
    """A percentage the way the reader writes it: 12,5 (nl), 12.5 (en), 40 (not 40,00)."""
    return format_decimal(value, format="#,##0.##", locale=current_language())


def org_names(ids: set[int]) -> dict[int, str]:
    """Names from the shared organisation directory, in one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    ).all()
    return dict(rows)


def labels() -> dict[str, object]:
    return {
        "status_labels": STATUS_LABELS,
        "role_labels": ROLE_LABELS,
        "procedure_labels": PROCEDURE_LABELS,
        "lot_kind_labels": LOT_KIND_LABELS,
        "criterion_kind_labels": CRITERION_KIND_LABELS,
        "percent": percent,
    }


class BidderView(OrgView):
    action = "bids.view"
    kinds = ops.BIDDER_KINDS


class Opportunities(BidderView):
    """Open tenders, this organisation's own bids, and the bids it is a partner in."""

    def get(self):
        now = utcnow()
        tenders = ops.published_tenders()
        by_id = {tender.id: tender for tender in tenders}
        lots = {lot.id: lot for tender in tenders for lot in tender.lots}
        open_tenders = [tender for tender in tenders if accepts_bids(tender, now)]
        own = db.session.scalars(select(Bid).order_by(Bid.created_at.desc(), Bid.id.desc())).all()
        partnerships = ops.bids_as_partner(self.org)
        names = org_names(
            {tender.tenant_id for tender in tenders} | {view.lead_id for view in partnerships}
        )
        return render_template(
            "bids/bidding/opportunities.html",
            org=self.org,
            open_tenders=open_tenders,
            tenders=by_id,
            lots=lots,
            own=own,
            partnerships=partnerships,
            names=names,
            may_manage=self.can("bids.manage"),
            **labels(),
        )


class TenderPage(BidderView):
    """A published tender as bidders see it (any status but draft)."""

    def load(self, tender_id: int, **kwargs) -> None:
        tender = ops.published_tender(tender_id)
        if tender is None:
            abort(404)
        self.tender: Tender = tender

    def get(self, tender_id: int):
        own: dict[int, Bid] = {}
        for bid in db.session.scalars(
            select(Bid).where(Bid.tender_id == self.tender.id).order_by(Bid.id)
        ):
            current = own.get(bid.lot_id)
            if current is None or current.status == BidStatus.WITHDRAWN:
                own[bid.lot_id] = bid  # the live one wins over a withdrawn one
        return render_template(
            "bids/bidding/tender.html",
            org=self.org,
            tender=self.tender,
            buyer=org_names({self.tender.tenant_id}).get(self.tender.tenant_id, ""),
            own=own,
            accepts_bids=accepts_bids(self.tender),
            may_manage=self.can("bids.manage"),
            **labels(),
        )


class StartBid(TenderPage):
    action = "bids.manage"

    def load(self, tender_id: int, lot_id: int) -> None:
        super().load(tender_id)
        if lot_id not in {lot.id for lot in self.tender.lots}:
            abort(404)

    def post(self, tender_id: int, lot_id: int):
        try:
            bid = ops.start(actor=current_user, bidder=self.org, tender=self.tender, lot_id=lot_id)
        except ops.BidError as exc:
            flash(str(exc), "error")
            return redirect(url_for("bidding.tender", org_slug=self.org.slug, tender_id=tender_id))
        flash(_("Uw inschrijving is aangemaakt als concept."), "success")
        return redirect(url_for("bidding.bid", org_slug=self.org.slug, bid_id=bid.id))


class BidPage(BidderView):
    """One of this organisation's bids: the draft form, or the receipt once submitted."""

    post_action = "bids.manage"

    def load(self, bid_id: int, **kwargs) -> None:
        # Scoped to the acting organisation: another organisation's bid is not found.
        stmt = (
            select(Bid)
            .where(Bid.id == bid_id)
            .options(selectinload(Bid.partners).selectinload(BidPartner.partner))
        )
        if request.method == "POST":
            # One change at a time: a second click on Indienen waits, then sees the first.
            stmt = stmt.with_for_update(of=Bid)
        bid = db.session.scalar(stmt)
        if bid is None:
            abort(404)
        tender = ops.published_tender(bid.tender_id)
        if tender is None:
            abort(404)
        self.bid, self.tender = bid, tender
        self.lot = next(lot for lot in tender.lots if lot.id == bid.lot_id)
        self.partner_problem: str | None = None
        self.attachment_problem: str | None = None

    def url(self) -> str:
        return url_for("bidding.bid", org_slug=self.org.slug, bid_id=self.bid.id)

    # -- forms ---------------------------------------------------------------------------
    def draft_form(self) -> BidForm:
        content = ops.draft_of(self.bid)
        answers, requirements = content.get("answers") or {}, content.get("requirements") or {}
        data = {"price": price_for_display(str(content.get("price") or ""), current_language())}
        for criterion in self.tender.criteria:
            data[answer_name(criterion.id)] = answers.get(str(criterion.id), "")
        for requirement in self.tender.requirements:
            data[requirement_name(requirement.id)] = requirements.get(str(requirement.id), "")
        return BidForm.for_tender(self.tender, formdata=None, data=data)

    def partner_form(self, posted: bool = False) -> PartnerForm:
        form = PartnerForm(prefix="consortium", **({} if posted else {"formdata": None}))
        taken = {p.partner_id for p in self.bid.partners} | {self.org.id}
        candidates = db.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind.in_(ops.BIDDER_KINDS),
                Organisation.is_active.is_(True),
                Organisation.id.not_in(taken),
            )
            .order_by(Organisation.name)
        ).all()
        form.partner.choices = [SelectChoice("", _("Kies een organisatie"))] + [
            SelectChoice(str(o.id), f"{o.name} ({policy.KIND_LABELS[o.kind]})") for o in candidates
        ]
        return form

    def attach_form(self, posted: bool = False) -> AttachDocumentForm:
        form = AttachDocumentForm(prefix="attach", **({} if posted else {"formdata": None}))
        form.document.choices = [SelectChoice("", _("Kies een document"))] + [
            SelectChoice(str(d.id), f"{dossier.KIND_LABELS[d.kind]}: {d.title}")
            for d in dossier.attachable()
        ]
        return form

    def upload_form(self, posted: bool = False) -> UploadAttachmentForm:
        return UploadAttachmentForm(prefix="upload", **({} if posted else {"formdata": None}))

    def shares_form(self, posted: bool = False) -> SharesForm:
        partners = self.partners()
        if posted:
            return SharesForm.for_partners(partners, prefix="shares")
        data = {"lead": percent(dossier.lead_share(self.bid))}
        data |= {share_name(p.id): percent(p.share) for p in partners}
        return SharesForm.for_partners(partners, prefix="shares", formdata=None, data=data)

    def partners(self) -> list[BidPartner]:
        return sorted(self.bid.partners, key=lambda p: p.partner.name)

    def amounts(self, lead_share: Decimal) -> dict[str, Decimal] | None:
        """Each party's share in euros of the draft's price, split to the cent (None when
        there is no valid price or the shares cannot be split)."""
        partners = self.partners()
        price = read_price(str(ops.draft_of(self.bid).get("price") or ""))
        weights = [lead_share, *(p.share for p in partners)]
        if price is None or price <= 0 or any(w < 0 for w in weights) or sum(weights) <= 0:
            return None
        parts = split(price, weights)
        return {"lead": parts[0]} | {
            str(p.id): part for p, part in zip(partners, parts[1:], strict=True)
        }

    def content(self, form: BidForm, price: str) -> dict:
        return {
            "price": price,
            "answers": form.answers(self.tender),
            "requirements": form.requirements(self.tender),
        }

    def attach(self, form: BidForm, exc: ops.BidError) -> None:
        """Put a rule's message next to the field it is about."""
        target = None
        if exc.field == "price":
            target = form.price
        elif exc.field == "answers":
            answers = form.answers(self.tender)
            target = next((form[answer_name(int(k))] for k, v in answers.items() if not v), None)
        elif exc.field == "requirements":
            given = form.requirements(self.tender)
            target = next((form[requirement_name(int(k))] for k, v in given.items() if not v), None)
        elif exc.field in ("partners", "shares"):
            self.partner_problem = str(exc)
        elif exc.field == "attachments":
            self.attachment_problem = str(exc)
        if target is not None:
            target.errors.append(str(exc))
        else:
            form.form_errors.append(str(exc))

    # -- page ----------------------------------------------------------------------------
    def render(
        self,
        form: BidForm | None = None,
        partner_form: PartnerForm | None = None,
        attach_form: AttachDocumentForm | None = None,
        upload_form: UploadAttachmentForm | None = None,
        shares_form: SharesForm | None = None,
    ):
        submitted = self.bid.status == BidStatus.SUBMITTED
        open_ = accepts_bids(self.tender)
        may_manage = self.can("bids.manage")
        editable = may_manage and not submitted and open_
        receipt = None
        if submitted:
            receipt = ops.Receipt(
                self.bid.id,
                self.tender.title,
                self.lot.title,
                self.bid.submitted_at,
                self.bid.quality_digest,
                self.bid.price_digest,
            )
        partners = self.partners()
        lead_share = dossier.lead_share(self.bid)
        attachments = dossier.bid_attachments(self.bid)
        return render_template(
            "bids/bidding/bid.html",
            org=self.org,
            bid=self.bid,
            tender=self.tender,
            lot=self.lot,
            buyer=org_names({self.tender.tenant_id}).get(self.tender.tenant_id, ""),
            form=None if submitted else (form if form is not None else self.draft_form()),
            partner_form=(partner_form if partner_form is not None else self.partner_form())
            if editable
            else None,
            partners=partners,
            lead_share=lead_share,
            shares_total=lead_share + sum((p.share for p in partners), Decimal(0)),
            amounts=self.amounts(lead_share) if partners and not submitted else None,
            shares_form=(shares_form or self.shares_form()) if editable and partners else None,
            partner_problem=self.partner_problem,
            attachments=[a for a in attachments if a.source != AttachmentSource.DECLARATION],
            declarations={
                a.partner_id: a for a in attachments if a.source == AttachmentSource.DECLARATION
            },
            attach_form=(attach_form or self.attach_form()) if editable else None,
            upload_form=(upload_form or self.upload_form()) if editable else None,
            attachment_problem=self.attachment_problem,
            today=dossier.local_today(),
            validity_labels=VALIDITY_LABELS,
            kind_labels=dossier.KIND_LABELS,
            receipt=receipt,
            accepts_bids=open_,
            may_manage=may_manage,
            editable=editable,
            **labels(),
        )

    def get(self, bid_id: int):
        return self.render()

    def already_submitted(self):
        flash(_("Deze inschrijving is al ingediend."), "error")
        return redirect(self.url())

    def post(self, bid_id: int):
        """Opslaan: keep the draft as typed."""
        if self.bid.status == BidStatus.SUBMITTED:
            return self.already_submitted()
        form = BidForm.for_tender(self.tender)
        if not form.validate_on_submit():
            return self.render(form=form), 400 if form.errors.get("csrf_token") else 200
        price, problem = price_as_typed(form.price.data, current_language())
        try:
            ops.save_draft(
                actor=current_user, bidder=self.org, bid=self.bid, content=self.content(form, price)
            )
        except ops.BidError as exc:
            self.attach(form, exc)
            return self.render(form=form)
        flash(_("Het concept is opgeslagen."), "success")
        if problem:
            form.price.errors.append(problem)
            return self.render(form=form)
        return redirect(self.url())


class SubmitBid(BidPage):
    action = "bids.manage"

    def post(self, bid_id: int):
        """Indienen: save what was posted into the draft (nothing typed is lost), then seal
        and submit it."""
        if self.bid.status == BidStatus.SUBMITTED:
            return self.already_submitted()
        form = BidForm.for_tender(self.tender)
        if not form.validate_on_submit():
            return self.render(form=form), 400 if form.errors.get("csrf_token") else 200
        price, problem = price_as_typed(form.price.data, current_language())
        try:
            ops.save_draft(
                actor=current_user, bidder=self.org, bid=self.bid, content=self.content(form, price)
            )
            if problem:
                raise ops.BidError(problem, "price")
            receipt = ops.submit(
                actor=current_user, bidder=self.org, bid=self.bid, tender=self.tender
            )
        except ops.BidError as exc:
            self.attach(form, exc)
            return self.render(form=form)
        ops.mail_receipt(current_user, self.org, receipt, self.lot)
        flash(_("Uw inschrijving is ingediend."), "success")
        return redirect(self.url())


class WithdrawBid(BidPage):
    action = "bids.manage"

    def post(self, bid_id: int):
        try:
            ops.withdraw(actor=current_user, bidder=self.org, bid=self.bid, tender=self.tender)
        except ops.BidError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _("Uw inschrijving is ingetrokken. U kunt haar aanpassen en opnieuw indienen."),
                "success",
            )
        return redirect(self.url())


class AddPartner(BidPage):
    action = "bids.manage"

    def post(self, bid_id: int):
        if self.bid.status == BidStatus.SUBMITTED or not accepts_bids(self.tender):
            flash(_("Deze inschrijving kan niet meer worden gewijzigd."), "error")
            return redirect(self.url())
        form = self.partner_form(posted=True)
        if form.validate_on_submit():
            partner = db.session.get(Organisation, int(form.partner.data))
            try:
                ops.add_partner(
                    actor=current_user,
                    bidder=self.org,
                    bid=self.bid,
                    partner=partner,
                    role=PartnerRole(form.role.data),
                    share=form.share.value,
                )
            except ops.BidError as exc:
                target = {"partner": form.partner, "share": form.share}.get(exc.field or "")
                (target.errors if target is not None else form.form_errors).append(str(exc))
            else:
                flash(
                    _(
                        "%(name)s doet mee als partner. Die moet de deelname nog bevestigen.",
                        name=partner.name,
                    ),
                    "success",
                )
                return redirect(self.url())
        return self.render(partner_form=form), 400 if form.errors.get("csrf_token") else 200


class ConfirmParticipation(BidderView):
    """A consortium partner confirms it takes part in a lead party's bid, with its own UEA
    declaration (chosen on the partnership page; else its current one)."""

    action = "bids.manage"

    def post(self, bid_id: int):
        chosen = request.form.get("declaration", "")
        try:
            ops.confirm_participation(
                actor=current_user,
                partner=self.org,
                bid_id=bid_id,
                declaration_id=int(chosen) if chosen.isdigit() else None,
            )
        except ops.NotAPartner:
            abort(404)
        except ops.BidError as exc:
            # What is missing (the declaration) is explained on the partnership page.
            flash(str(exc), "error")
            return redirect(url_for("dossier.partnership", org_slug=self.org.slug, bid_id=bid_id))
        flash(_("U heeft uw deelname bevestigd."), "success")
        return redirect(url_for("bidding.opportunities", org_slug=self.org.slug))


_opportunities = "/<org_slug>/opportunities"
_bid = "/<org_slug>/bids/<int:bid_id>"
bp.add_url_rule(_opportunities, view_func=Opportunities.as_view("opportunities"))
bp.add_url_rule(f"{_opportunities}/<int:tender_id>", view_func=TenderPage.as_view("tender"))
bp.add_url_rule(
    f"{_opportunities}/<int:tender_id>/lots/<int:lot_id>/start",
    view_func=StartBid.as_view("start"),
    methods=["POST"],
)
bp.add_url_rule(_bid, view_func=BidPage.as_view("bid"), methods=["GET", "POST"])
bp.add_url_rule(f"{_bid}/submit", view_func=SubmitBid.as_view("submit"), methods=["POST"])
bp.add_url_rule(f"{_bid}/withdraw", view_func=WithdrawBid.as_view("withdraw"), methods=["POST"])
bp.add_url_rule(f"{_bid}/partners", view_func=AddPartner.as_view("add_partner"), methods=["POST"])
bp.add_url_rule(
    "/<org_slug>/partnerships/<int:bid_id>/confirm",
    view_func=ConfirmParticipation.as_view("confirm"),
    methods=["POST"],
)
