"""One contract's page, for its owner and for every party to it: parties and signatures,
options, documents and its status; the owner edits a draft, adds parties and options, decides
options, uploads documents and moves the status on; a party signs its side. On blueprint
``contracts`` (see ``contract_views``).
"""

from __future__ import annotations

from flask import Response, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from koepel.contracts import contract_documents as documents
from koepel.contracts import contract_options as options
from koepel.contracts import contract_signing
from koepel.contracts import contracting as ops
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.core import ContractKind, ContractStatus, OptionStatus, PartyRole
from koepel.contracts.views.contract_forms import (
    FREQUENCY_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
    ContractDocumentForm,
    ContractForm,
    DecideOptionForm,
    OptionForm,
    PartyForm,
    SignForm,
    StatusForm,
)
from koepel.contracts.views.contract_views import (
    OPTION_LABELS,
    ROLE_CHOICES,
    STATUS_LABELS,
    ContractPage,
    _data,
    _kind_choices,
    attach,
    bp,
    form_problems,
    organisation_by_slug,
    organisation_choices,
)


class ContractDetail(ContractPage):
    def get(self, contract_id: int):
        return self.render()

    def render(self, **submitted: FlaskForm):
        seen, contract = self.seen, self.contract
        manage = seen.is_owner and self.can("contracts.manage")
        draft = contract.status == ContractStatus.DRAFT
        signed_any = bool(seen.signatures)
        to_sign = seen.to_sign() if self.can("contracts.sign") else []
        first_open = next((o for o in contract.options if o.status == OptionStatus.OPEN), None)
        forms = {
            "party_form": PartyForm(prefix="party", formdata=None),
            "sign_form": SignForm(prefix="sign", formdata=None),
            "option_form": OptionForm(prefix="option", formdata=None),
            "decide_form": DecideOptionForm(prefix="decide", formdata=None),
            "status_form": StatusForm(prefix="status", formdata=None),
            "document_form": ContractDocumentForm(prefix="document", formdata=None),
        }
        forms.update(submitted)
        forms["party_form"].organisation.choices = organisation_choices(
            {p.organisation_id for p in seen.parties}
        )
        forms["party_form"].role.choices = ROLE_CHOICES
        forms["sign_form"].counterparty.choices = [
            SelectChoice(str(p.id), p.organisation.name) for p in to_sign
        ]
        shown = {
            "party_form": manage and draft and not signed_any,
            "sign_form": bool(to_sign),
            "option_form": manage and draft and not signed_any,
            "decide_form": manage
            and first_open is not None
            and contract.status in ops.OPEN_STATUSES,
            "status_form": manage
            and contract.status
            in (ContractStatus.DRAFT, ContractStatus.SIGNED, ContractStatus.ACTIVE),
            "document_form": manage,
        }
        problems = [
            e
            for name, form in submitted.items()
            if not shown.get(name)
            for e in form_problems(form)
        ]
        return render_template(
            "contracts/contracts/detail.html",
            org=self.org,
            seen=seen,
            contract=contract,
            pairs=seen.pairs,
            documents=documents.documents_of(seen),
            first_open=first_open,
            shown=shown,
            problems=problems,
            manage=manage,
            draft=draft,
            signed_any=signed_any,
            status_labels=STATUS_LABELS,
            option_labels=OPTION_LABELS,
            kind_labels=KIND_LABELS,
            role_labels=ROLE_LABELS,
            frequency_labels=FREQUENCY_LABELS,
            **forms,
        )


class ContractEdit(ContractPage):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def form(self, formdata=None) -> ContractForm:
        contract = self.contract
        if formdata is None:
            form = ContractForm(formdata=None, obj=contract)
            form.kind.data = contract.kind.value
            form.payment_frequency.data = contract.payment_frequency.value
            form.start_date.data = contract.start_date.isoformat()
            form.value.data = _money_text(contract.value)
            form.yearly_amount.data = _money_text(contract.yearly_amount)
        else:
            form = ContractForm()
        form.kind.choices = _kind_choices(include_award=contract.kind == ContractKind.AWARD)
        form.challenge.choices = []
        return form

    def page(self, form: ContractForm):
        return render_template(
            "contracts/contracts/edit.html", org=self.org, contract=self.contract, form=form
        )

    def get(self, contract_id: int):
        return self.page(self.form())

    def post(self, contract_id: int):
        form = self.form(formdata=True)
        if form.validate_on_submit():
            try:
                ops.update(
                    actor=current_user, owner=self.org, contract=self.contract, data=_data(form)
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Het contract is bijgewerkt."), "success")
                return self.back()
        return self.page(form)


def _money_text(amount) -> str:
    """An amount as the form shows it: 8.500.000,00."""
    if amount is None:
        return ""
    from babel.numbers import format_decimal

    from koepel.platform.i18n import current_language

    return format_decimal(amount, format="#,##0.00", locale=current_language())


class ContractAddParty(ContractDetail):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int):
        form = PartyForm(prefix="party")
        form.role.choices = ROLE_CHOICES
        if form.validate_on_submit():
            try:
                party = ops.add_party(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    organisation=organisation_by_slug(form.organisation.data),
                    role=PartyRole(form.role.data),
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "%(name)s is toegevoegd als %(role)s.",
                        name=party.organisation.name,
                        role=ROLE_LABELS[party.role],
                    ),
                    "success",
                )
                return self.back()
        return self.render(party_form=form)


class ContractRemoveParty(ContractDetail):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int, party_id: int):
        form = FlaskForm()
        if form.validate_on_submit():
            try:
                ops.remove_party(
                    actor=current_user, owner=self.org, contract=self.contract, party_id=party_id
                )
            except ContractRuleError as exc:
                flash(str(exc), "error")
            else:
                flash(_("De partij is verwijderd."), "success")
        return self.back()


class ContractSign(ContractDetail):
    action = "contracts.sign"

    def post(self, contract_id: int):
        form = SignForm(prefix="sign")
        if form.validate_on_submit():
            try:
                complete = contract_signing.sign(
                    actor=current_user,
                    org=self.org,
                    contract_id=self.contract.id,
                    counterparty_id=form.counterparty.data,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("Iedereen heeft getekend: het contract is getekend.")
                    if complete
                    else _("Uw handtekening is vastgelegd."),
                    "success",
                )
                return self.back()
        return self.render(sign_form=form)


class ContractAddOption(ContractDetail):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int):
        form = OptionForm(prefix="option")
        if form.validate_on_submit():
            try:
                option = options.add_option(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    months=form.months.data,
                    decision_date=form.decision_date.day,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Optie %(n)d is toegevoegd.", n=option.number), "success")
                return self.back()
        return self.render(option_form=form)


class ContractDecideOption(ContractDetail):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int, option_id: int):
        form = DecideOptionForm(prefix="decide")
        if form.validate_on_submit():
            try:
                option = options.decide(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    option_id=option_id,
                    exercise=form.decision.data == "exercise",
                    note=form.note.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("Optie %(n)d is gelicht.", n=option.number)
                    if option.status == OptionStatus.EXERCISED
                    else _("Optie %(n)d is niet gelicht.", n=option.number),
                    "success",
                )
                return self.back()
        return self.render(decide_form=form)


class ContractChangeStatus(ContractDetail):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int):
        form = StatusForm(prefix="status")
        if form.validate_on_submit():
            step = form.step.data
            try:
                if step == "activate":
                    ops.activate(actor=current_user, owner=self.org, contract=self.contract)
                elif step in ("end", "terminate"):
                    ops.close(
                        actor=current_user,
                        owner=self.org,
                        contract=self.contract,
                        terminate=step == "terminate",
                        reason=form.reason.data or "",
                    )
                else:
                    raise ContractRuleError(_("Kies wat er met het contract gebeurt."))
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _("Het contract is nu %(status)s.", status=STATUS_LABELS[self.contract.status]),
                    "success",
                )
                return self.back()
        return self.render(status_form=form)


class ContractAddDocument(ContractDetail):
    kinds = ops.OWNER_KINDS
    action = "contracts.manage"
    owner_only = True

    def post(self, contract_id: int):
        form = ContractDocumentForm(prefix="document")
        if form.validate_on_submit():
            upload = form.file.data
            try:
                checked = documents.check(
                    form.title.data or "", upload.filename or "", upload.read()
                )
                document = documents.add(
                    actor=current_user,
                    owner=self.org,
                    contract=self.contract,
                    title=form.title.data or "",
                    upload=checked,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(
                    _(
                        "%(title)s (versie %(version)d) is toegevoegd.",
                        title=document.title,
                        version=document.version,
                    ),
                    "success",
                )
                return self.back()
        return self.render(document_form=form)


class ContractDocumentDownload(ContractPage):
    def get(self, contract_id: int, document_id: int):
        found = documents.document_of(self.seen, document_id)
        if found is None:
            abort(404)
        document, data = found
        safe = "".join(
            c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
            for c in document.filename
        )
        return Response(
            data,
            mimetype=document.content_type,
            headers={"Content-Disposition": f'attachment; filename="{safe or "document"}"'},
        )


_one = "/<org_slug>/contracts/<int:contract_id>"
bp.add_url_rule(_one, view_func=ContractDetail.as_view("detail"))
bp.add_url_rule(f"{_one}/edit", view_func=ContractEdit.as_view("edit"))
bp.add_url_rule(
    f"{_one}/documents/<int:document_id>", view_func=ContractDocumentDownload.as_view("document")
)
for _path, _view, _name in (
    ("parties", ContractAddParty, "add_party"),
    ("parties/<int:party_id>/remove", ContractRemoveParty, "remove_party"),
    ("sign", ContractSign, "sign"),
    ("options", ContractAddOption, "add_option"),
    ("options/<int:option_id>", ContractDecideOption, "decide_option"),
    ("status", ContractChangeStatus, "status"),
    ("documents", ContractAddDocument, "add_document"),
):
    bp.add_url_rule(f"{_one}/{_path}", view_func=_view.as_view(_name), methods=["POST"])
