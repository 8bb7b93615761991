"""The cooperative's profile and service area; the municipality's view of the
cooperatives in its area."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.web import OrgView
from koepel.tenants import profile as ops
from koepel.tenants.models import LegalForm, Phase, ServiceArea
from koepel.tenants.views.base import CoopView

bp = Blueprint("profile", __name__)

LEGAL_FORMS = {
    LegalForm.COOPERATIVE: _l("Coöperatie"),
    LegalForm.ASSOCIATION: _l("Vereniging"),
    LegalForm.FOUNDATION: _l("Stichting"),
}
PHASES = {Phase.IN_FORMATION: _l("In oprichting"), Phase.ACTIVE: _l("Actief")}


class ProfileForm(FlaskForm):
    legal_form = SelectField(
        _l("Rechtsvorm"), choices=[SelectChoice(k.value, v) for k, v in LEGAL_FORMS.items()]
    )
    kvk_number = StringField(_l("KvK-nummer"), validators=[Optional(), Length(max=8)])
    founded_on = DateField(_l("Opgericht op"), validators=[Optional()])
    phase = SelectField(_l("Fase"), choices=[SelectChoice(k.value, v) for k, v in PHASES.items()])
    description = TextAreaField(
        _l("Wat doet de coöperatie?"), validators=[Optional(), Length(max=5000)]
    )
    contact_name = StringField(_l("Contactpersoon"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(
        _l("E-mailadres"),
        validators=[Optional(), Email(_l("Vul een geldig e-mailadres in.")), Length(max=254)],
    )
    contact_phone = StringField(_l("Telefoon"), validators=[Optional(), Length(max=30)])
    is_public = BooleanField(_l("Profiel zichtbaar voor gemeenten in ons werkgebied"))
    reciprocity_hours_per_month = IntegerField(
        _l("Wederkerigheid: uren per maand per lid"),
        validators=[Optional(), NumberRange(1, 100, _l("Kies een aantal uren tussen 1 en 100."))],
    )


class AreaForm(FlaskForm):
    municipality = SelectField(_l("Gemeente"), validators=[DataRequired(_l("Kies een gemeente."))])
    districts = StringField(_l("Dorpen of wijken"), validators=[Optional(), Length(max=500)])
    postcode_ranges = StringField(_l("Postcodegebieden"), validators=[Optional(), Length(max=500)])


def _area_form() -> AreaForm:
    form = AreaForm(prefix="area")
    municipalities = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrgKind.MUNICIPALITY)
        .order_by(Organisation.name)
    )
    form.municipality.choices = [SelectChoice("", _("Kies…"))] + [
        SelectChoice(m.slug, m.name) for m in municipalities
    ]
    return form


class Profile(CoopView):
    action = "coop.profile.view"

    def get(self):
        return self.render()

    def render(self, area_form: AreaForm | None = None, status: int = 200):
        profile = ops.get_or_new(self.org)
        areas = db.session.scalars(
            select(ServiceArea).options(db.joinedload(ServiceArea.municipality))
        ).all()
        return render_template(
            "tenants/profile/view.html",
            org=self.org,
            profile=profile,
            areas=areas,
            legal_forms=LEGAL_FORMS,
            phases=PHASES,
            area_form=area_form or _area_form(),
            may_manage=self.can("coop.profile.manage"),
        ), status


class ProfileEdit(CoopView):
    action = "coop.profile.manage"

    def get(self):
        profile = ops.get_or_new(self.org)
        form = ProfileForm(obj=profile)
        form.legal_form.data, form.phase.data = (
            profile.legal_form.value,
            (profile.phase or Phase.ACTIVE).value,
        )
        return render_template("tenants/profile/form.html", org=self.org, form=form)

    def post(self):
        form = ProfileForm()
        if form.validate_on_submit():
            data = ops.ProfileData(
                legal_form=LegalForm(form.legal_form.data),
                kvk_number=form.kvk_number.data or "",
                founded_on=form.founded_on.data,
                description=form.description.data or "",
                phase=Phase(form.phase.data),
                is_public=form.is_public.data,
                contact_name=form.contact_name.data or "",
                contact_email=form.contact_email.data or "",
                contact_phone=form.contact_phone.data or "",
                reciprocity_hours_per_month=form.reciprocity_hours_per_month.data,
            )
            try:
                ops.save(actor=current_user, org=self.org, data=data)
            except ops.ProfileError as exc:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                flash(_("Het profiel is opgeslagen."), "success")
                return redirect(url_for("profile.view", org_slug=self.org.slug))
        return render_template("tenants/profile/form.html", org=self.org, form=form)


class AreaAdd(Profile):
    action = "coop.profile.manage"

    def post(self):
        form = _area_form()
        if form.validate_on_submit():
            municipality = db.session.scalar(
                select(Organisation).where(Organisation.slug == form.municipality.data)
            )
            try:
                if municipality is None:
                    raise ops.ProfileError(_("Kies een gemeente."), "municipality")
                ops.add_area(
                    actor=current_user,
                    org=self.org,
                    municipality=municipality,
                    districts=form.districts.data or "",
                    postcode_ranges=form.postcode_ranges.data or "",
                )
            except ops.ProfileError as exc:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                flash(_("Het werkgebied is bijgewerkt."), "success")
                return redirect(url_for("profile.view", org_slug=self.org.slug))
        return self.render(area_form=form)


class AreaRemove(CoopView):
    action = "coop.profile.manage"

    def load(self, area_id: int) -> None:
        self.area = self.get_or_404(ServiceArea, area_id)

    def post(self, area_id: int):
        ops.remove_area(actor=current_user, org=self.org, area=self.area)
        flash(_("Het werkgebied is bijgewerkt."), "success")
        return redirect(url_for("profile.view", org_slug=self.org.slug))


class Area(OrgView):
    """A municipality (or region) finds the cooperatives serving its area."""

    action = "area.cooperatives.view"
    kinds = (OrgKind.MUNICIPALITY, OrgKind.REGION)

    def get(self):
        cooperatives = ops.public_cooperatives_in(ops.municipalities_of(self.org))
        return render_template("tenants/profile/area.html", org=self.org, cooperatives=cooperatives)


bp.add_url_rule("/<org_slug>/profile", view_func=Profile.as_view("view"))
bp.add_url_rule("/<org_slug>/profile/edit", view_func=ProfileEdit.as_view("edit"))
bp.add_url_rule(
    "/<org_slug>/profile/areas", view_func=AreaAdd.as_view("add_area"), methods=["POST"]
)
bp.add_url_rule(
    "/<org_slug>/profile/areas/<int:area_id>/delete",
    view_func=AreaRemove.as_view("remove_area"),
    methods=["POST"],
)
bp.add_url_rule("/<org_slug>/area", view_func=Area.as_view("area"))
