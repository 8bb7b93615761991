"""Allocation versions: the owner makes a new version (or opens a proposals round); every
party sees a version with its shares, the reason for each share in plain words, a chart,
the agreements and the comments; a partner enters its own proposal and agrees on this page;
the approver approves here. Refusals are shown next to the field, with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from koepel.contracts import allocation_versions as ops
from koepel.contracts import budget_charts, budgeting
from koepel.contracts.budgeting import BudgetError, explanation_text
from koepel.contracts.errors import ContractRuleError
from koepel.contracts.models.budgets import AllocationMethod, BudgetKind, VersionStatus
from koepel.contracts.views.budget_forms import (
    ButtonForm,
    CommentForm,
    ProposalForm,
    VersionForm,
    read_shares,
    share_name,
)
from koepel.contracts.views.budget_views import (
    STATUS_LABELS,
    BudgetPage,
    attach,
    errors_of,
)
from koepel.platform.i18n import current_language
from koepel.platform.money import MoneyParseError, parse_money

METHOD_HINTS = {
    AllocationMethod.PROPOSALS: _l(
        "Elke partner vult op de eigen pagina een bedrag in. Daarna voegt u de voorstellen "
        "samen; ze moeten samen precies het te verdelen bedrag zijn."
    ),
    AllocationMethod.PERCENTAGES: _l("De percentages van alle partners samen zijn precies 100."),
    AllocationMethod.VOLUME_TARIFF: _l(
        "Per partner het volume (uren, cliënten) en het tarief. Is alles samen meer dan het "
        "budget, dan worden alle delen naar verhouding verlaagd."
    ),
    AllocationMethod.EQUAL: _l("Elke partner krijgt een even groot deel."),
}


def method_labels() -> dict[AllocationMethod, str]:
    from koepel.contracts.views.budget_forms import METHOD_CHOICES

    return {AllocationMethod(c.value): c.label for c in METHOD_CHOICES}


# -- a new version ------------------------------------------------------------------------------
class NewVersion(BudgetPage):
    action = "budgets.manage"

    def load(self, budget_id: int, **kwargs: Any) -> None:
        super().load(budget_id)
        if not self.view.is_owner or self.budget.kind != BudgetKind.ALLOCATION:
            abort(404)

    def method(self) -> AllocationMethod:
        raw = request.form.get("method") or request.args.get("method") or "proposals"
        try:
            return AllocationMethod(raw)
        except ValueError:
            return AllocationMethod.PROPOSALS

    def get(self, budget_id: int):
        form = VersionForm(formdata=None, data={"method": self.method().value})
        return self.render(form, {}, {})

    def render(self, form: VersionForm, typed: dict[str, str], share_errors: dict[str, str]):
        method = self.method()
        return render_template(
            "contracts/budgets/version_new.html",
            org=self.org,
            budget=self.budget,
            form=form,
            method=method,
            method_labels=method_labels(),
            hint=METHOD_HINTS[method],
            typed=typed,
            share_errors=share_errors,
            share_name=share_name,
            problems=[],
        )

    def post(self, budget_id: int):
        form = VersionForm()
        method = self.method()
        if request.form.get("method") not in {m.value for m in AllocationMethod}:
            form.validate_on_submit()
            form.form_errors.append(_("Kies hoe het budget wordt verdeeld."))
            return self.render(form, {}, {})
        form.method.data = method.value
        partner_ids = [p.partner_id for p in self.budget.partners]
        shares = read_shares(request.form, partner_ids, method)
        valid = form.validate_on_submit()
        if method == AllocationMethod.PROPOSALS:
            shares.errors.clear()  # a round: the partners enter their own amounts
        if valid and not shares.errors:
            try:
                reserve = self.reserve(form)
                if method == AllocationMethod.PROPOSALS:
                    version = ops.open_round(
                        actor=current_user,
                        view=self.view,
                        reserve=reserve,
                        note=form.note.data or "",
                    )
                    message = _(
                        "Versie %(n)s is een voorstelronde. De partners vullen nu elk hun eigen "
                        "bedrag in.",
                        n=version.number,
                    )
                else:
                    inputs = {
                        pid: ops.ShareInput(
                            percentage=v.get("percentage"),
                            lines=[ops.VolumeInput(v["volume"], v["tariff"])]
                            if "volume" in v
                            else (),
                        )
                        for pid, v in shares.values.items()
                    }
                    version = ops.propose(
                        actor=current_user,
                        view=self.view,
                        method=method,
                        inputs=inputs,
                        reserve=reserve,
                        note=form.note.data or "",
                    )
                    message = _(
                        "Versie %(n)s is voorgesteld. De partners kunnen nu akkoord geven.",
                        n=version.number,
                    )
            except ContractRuleError as exc:
                self.place(form, shares, exc, method)
            else:
                flash(message, "success")
                return redirect(
                    url_for(
                        "budgets.version",
                        org_slug=self.org.slug,
                        budget_id=self.budget.id,
                        version_id=version.id,
                    )
                )
        return self.render(form, shares.typed, shares.errors)

    @staticmethod
    def reserve(form: VersionForm) -> ops.ReserveInput | None:
        initiatives = ops.parse_initiatives(form.initiatives.data or "")
        if form.reserve_amount.amount is None and form.reserve_percent.value is None:
            if initiatives:
                raise BudgetError(
                    _("Geef de reserve een bedrag of percentage, of laat de initiatieven leeg."),
                    "reserve_amount",
                )
            return None
        return ops.ReserveInput(
            amount=form.reserve_amount.amount,
            percent=form.reserve_percent.value,
            initiatives=initiatives,
        )

    @staticmethod
    def place(form, shares, exc: ContractRuleError, method: AllocationMethod) -> None:
        """A rule's refusal next to the partner's field it names, else on the form."""
        pid = ops.key_partner(getattr(exc, "field", None))
        if pid is not None:
            what = {
                AllocationMethod.PERCENTAGES: "percentage",
                AllocationMethod.VOLUME_TARIFF: "volume",
                AllocationMethod.PROPOSALS: "proposed",
            }.get(method)
            if what:
                shares.errors[share_name(pid, what)] = str(exc)
                return
        name = {
            "reserve": "reserve_amount",
            "reserve_amount": "reserve_amount",
            "initiatives": "initiatives",
        }.get(getattr(exc, "field", None) or "")
        target = getattr(form, name) if name else None
        (target.errors if target is not None else form.form_errors).append(str(exc))


# -- one version --------------------------------------------------------------------------------
class VersionPage(BudgetPage):
    def load(self, budget_id: int, version_id: int, **kwargs: Any) -> None:
        super().load(budget_id)
        if self.budget.kind != BudgetKind.ALLOCATION:
            abort(404)
        self.data = ops.load(self.view, version_id)
        if self.data is None:
            abort(404)
        self.version = self.data.version

    def get(self, budget_id: int, version_id: int):
        return self.render()

    def back(self, anchor: str | None = None):
        return redirect(
            url_for(
                "budgets.version",
                org_slug=self.org.slug,
                budget_id=self.budget.id,
                version_id=self.version.id,
                _anchor=anchor,
            )
        )

    def render(self, **submitted: FlaskForm):
        view, data, version = self.view, self.data, self.version
        may_manage, may_approve = self.can("budgets.manage"), self.can("budgets.approve")
        status = version.status
        mine = next((s for s in data.shares if s.partner_id == self.org.id), None)
        forms: dict[str, FlaskForm] = {}
        if mine is not None and may_manage and status == VersionStatus.DRAFT:
            forms["proposal_form"] = ProposalForm(
                prefix="proposal",
                formdata=None,
                data={"proposed": _money_input(mine.proposed)},
            )
        if (
            mine is not None
            and may_manage
            and status == VersionStatus.PROPOSED
            and mine.partner_id not in data.agreements
        ):
            forms["agree_form"] = ButtonForm(prefix="agree", formdata=None)
        # The approver sees the button once every partner agreed (the rule says so too).
        if view.is_approver and may_approve and status == VersionStatus.AGREED:
            forms["approve_form"] = ButtonForm(prefix="approve", formdata=None)
        if may_manage and status != VersionStatus.SUPERSEDED:
            forms["comment_form"] = CommentForm(prefix="comment", formdata=None)
        consolidation = None
        if view.is_owner and status == VersionStatus.DRAFT:
            consolidation = ops.preview(view, data)
            if may_manage:
                forms["consolidate_form"] = ButtonForm(prefix="consolidate", formdata=None)
        problems = [e for name, f in submitted.items() if name not in forms for e in errors_of(f)]
        forms.update({k: v for k, v in submitted.items() if k in forms})
        shares = ops.visible_shares(view, data)
        chart = None
        if status != VersionStatus.DRAFT and shares:
            chart = budget_charts.hbar_chart(
                [(s.partner.name, s.amount or 0) for s in shares]
                + [(s.initiative, s.amount or 0) for s in data.initiatives if view.sees_all_shares]
            )
        typed = dict(request.form) if submitted.get("consolidate_form") is not None else {}
        return render_template(
            "contracts/budgets/version.html",
            org=self.org,
            view=view,
            budget=self.budget,
            version=version,
            data=data,
            shares=shares,
            mine=mine,
            chart=chart,
            consolidation=consolidation,
            suggested={
                ops.key_partner(s.partner): s.suggested
                for s in (
                    consolidation.result.shares if consolidation and consolidation.result else ()
                )
            },
            status_labels=STATUS_LABELS,
            method_labels=method_labels(),
            explain=explanation_text,
            total=ops.total_of(data.shares),
            budget_changed=version.total != self.budget.total,
            partners_changed={p.partner_id for p in self.budget.partners}
            != {s.partner_id for s in data.shares},
            typed=typed,
            share_name=share_name,
            problems=problems,
            **forms,
        )


def _money_input(value) -> str:
    """An amount as the reader would type it again (no euro sign)."""
    if value is None:
        return ""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.00", locale=current_language())


class EnterProposal(VersionPage):
    action = "budgets.manage"

    def post(self, budget_id: int, version_id: int):
        form = ProposalForm(prefix="proposal")
        if form.validate_on_submit():
            try:
                ops.enter_proposal(
                    actor=current_user,
                    view=self.view,
                    version_id=self.version.id,
                    proposed=form.proposed.amount,
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Uw voorstel is opgeslagen."), "success")
                return self.back()
        return self.render(proposal_form=form)


class Consolidate(VersionPage):
    action = "budgets.manage"

    def post(self, budget_id: int, version_id: int):
        form = ButtonForm(prefix="consolidate")
        if form.validate_on_submit():
            amounts, broken = {}, False
            for share in self.data.shares:
                text = (request.form.get(share_name(share.partner_id, "proposed")) or "").strip()
                if not text:
                    continue
                try:
                    amounts[share.partner_id] = parse_money(text, current_language())
                except MoneyParseError as exc:
                    form.form_errors.append(f"{share.partner.name}: {exc}")
                    broken = True
            if not broken:
                try:
                    ops.consolidate(
                        actor=current_user,
                        view=self.view,
                        version_id=self.version.id,
                        amounts=amounts,
                    )
                except ContractRuleError as exc:
                    form.form_errors.append(str(exc))
                else:
                    flash(
                        _("De voorstellen zijn samengevoegd. De partners kunnen akkoord geven."),
                        "success",
                    )
                    return self.back()
        return self.render(consolidate_form=form)


class Agree(VersionPage):
    action = "budgets.manage"

    def post(self, budget_id: int, version_id: int):
        form = ButtonForm(prefix="agree")
        if form.validate_on_submit():
            try:
                version = ops.agree(actor=current_user, view=self.view, version_id=self.version.id)
            except ContractRuleError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(
                    _("Iedereen heeft akkoord gegeven. Nu volgt de goedkeuring.")
                    if version.status == VersionStatus.AGREED
                    else _("Uw akkoord is vastgelegd."),
                    "success",
                )
                return self.back()
        return self.render(agree_form=form)


class Approve(VersionPage):
    action = "budgets.approve"
    kinds = budgeting.FUNDER_KINDS  # only a buyer or funder approves

    def post(self, budget_id: int, version_id: int):
        form = ButtonForm(prefix="approve")
        if form.validate_on_submit():
            try:
                ops.approve(actor=current_user, view=self.view, version_id=self.version.id)
            except ContractRuleError as exc:
                form.form_errors.append(str(exc))
            else:
                flash(_("De verdeling is goedgekeurd."), "success")
                return self.back()
        return self.render(approve_form=form)


class Comment(VersionPage):
    action = "budgets.manage"

    def post(self, budget_id: int, version_id: int):
        form = CommentForm(prefix="comment")
        if form.validate_on_submit():
            try:
                ops.comment(
                    actor=current_user,
                    view=self.view,
                    version_id=self.version.id,
                    body=form.body.data or "",
                )
            except ContractRuleError as exc:
                attach(form, exc)
            else:
                flash(_("Uw opmerking is geplaatst."), "success")
                return self.back("opmerkingen")
        return self.render(comment_form=form)


def add_rules(bp, one: str) -> None:
    version = f"{one}/allocations/<int:version_id>"
    bp.add_url_rule(
        f"{one}/allocations/new",
        view_func=NewVersion.as_view("new_version"),
        methods=["GET", "POST"],
    )
    bp.add_url_rule(version, view_func=VersionPage.as_view("version"))
    for path, view, name in (
        ("proposal", EnterProposal, "enter_proposal"),
        ("consolidate", Consolidate, "consolidate"),
        ("agree", Agree, "agree"),
        ("approve", Approve, "approve"),
        ("comments", Comment, "comment"),
    ):
        bp.add_url_rule(f"{version}/{path}", view_func=view.as_view(name), methods=["POST"])
