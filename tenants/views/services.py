"""Service pages: the cooperative's catalogue (list), add a service, change one."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from koepel.platform.extensions import db
from koepel.platform.i18n import current_language
from koepel.platform.money import MoneyParseError, parse_money
from koepel.tenants import catalogue as ops
from koepel.tenants.models import FundingSource, Service, ServiceKind
from koepel.tenants.views.base import CoopView
from koepel.tenants.views.service_forms import (
    FUNDING_LABELS,
    KIND_SHORT_LABELS,
    ServiceForm,
)

bp = Blueprint("services", __name__)

# ServiceError.field names the rule's field; the form may call it otherwise.
_FORM_FIELD = {"partner_id": "partner"}


def _price_text(amount: Decimal) -> str:
    """An amount as the user would type it again: "2,50" (nl), "2.50" (en); no € sign."""
    return format_decimal(amount, format="#,##0.00", locale=current_language())


def _form_for(service: Service) -> ServiceForm:
    return ServiceForm(
        data={
            "code": service.code,
            "name": service.name,
            "description": service.description,
            "kind": service.kind.value,
            "funding": service.funding.value,
            "member_price": _price_text(service.member_price),
            "price_unit": service.price_unit,
            "partner": service.partner_id,
            "requires_vog": service.requires_vog,
            "active": service.active,
        }
    )


def _attach(form: ServiceForm, exc: ops.ServiceError) -> None:
    """Put the rule's message next to the field it is about (or above the form)."""
    name = _FORM_FIELD.get(exc.field or "", exc.field)
    target = getattr(form, name, None) if name else None
    if target is not None:
        target.errors.append(str(exc))
    else:
        form.form_errors.append(str(exc))


def _data(form: ServiceForm) -> ops.ServiceData | None:
    """The typed values, or None when the form (or the amount) is not valid; the
    messages are then on the form's fields."""
    valid = form.validate_on_submit()
    try:
        price = parse_money(form.member_price.data or "", current_language())
    except MoneyParseError as exc:
        form.member_price.errors = [*form.member_price.errors, str(exc)]
        return None
    if not valid:
        return None
    return ops.ServiceData(
        code=form.code.data or "",
        name=form.name.data or "",
        kind=ServiceKind(form.kind.data),
        funding=FundingSource(form.funding.data),
        member_price=price,
        price_unit=form.price_unit.data or "",
        description=form.description.data or "",
        partner_id=form.partner.data,
        requires_vog=form.requires_vog.data,
        active=form.active.data,
    )


class ServiceList(CoopView):
    action = "services.view"

    def get(self):
        services = db.session.scalars(
            select(Service)
            .options(selectinload(Service.partner))
            .order_by(Service.active.desc(), Service.name, Service.id)
        ).all()
        return render_template(
            "tenants/services/list.html",
            org=self.org,
            services=services,
            kind_labels=KIND_SHORT_LABELS,
            funding_labels=FUNDING_LABELS,
            may_manage=self.can("services.manage"),
        )


class ServiceNew(CoopView):
    action = "services.manage"

    def get(self):
        return render_template(
            "tenants/services/form.html", org=self.org, form=ServiceForm(), service=None
        )

    def post(self):
        form = ServiceForm()
        data = _data(form)
        if data is not None:
            try:
                service = ops.create(actor=current_user, org=self.org, data=data)
            except ops.ServiceError as exc:
                _attach(form, exc)
            else:
                flash(_("De dienst %(name)s is toegevoegd.", name=service.name), "success")
                return redirect(url_for("services.list", org_slug=self.org.slug))
        return render_template("tenants/services/form.html", org=self.org, form=form, service=None)


class ServiceEdit(CoopView):
    action = "services.manage"

    def load(self, service_id: int) -> None:
        self.service = self.get_or_404(Service, service_id)

    def get(self, service_id: int):
        return render_template(
            "tenants/services/form.html",
            org=self.org,
            form=_form_for(self.service),
            service=self.service,
        )

    def post(self, service_id: int):
        form = ServiceForm()
        data = _data(form)
        if data is not None:
            try:
                ops.update(actor=current_user, org=self.org, service=self.service, data=data)
            except ops.ServiceError as exc:
                _attach(form, exc)
            else:
                flash(_("De dienst %(name)s is opgeslagen.", name=self.service.name), "success")
                return redirect(url_for("services.list", org_slug=self.org.slug))
        return render_template(
            "tenants/services/form.html", org=self.org, form=form, service=self.service
        )


_rule = "/<org_slug>/services"
bp.add_url_rule(_rule, view_func=ServiceList.as_view("list"))
bp.add_url_rule(f"{_rule}/new", view_func=ServiceNew.as_view("new"))
bp.add_url_rule(f"{_rule}/<int:service_id>/edit", view_func=ServiceEdit.as_view("edit"))
