"""Umbrella pages (dashboard, inviting cooperatives, news, per-person data with consent)
and the cooperative's side (answering invitations, leaving, consent, assisted work)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from koepel.platform.extensions import db
from koepel.platform.models import Organisation, OrgKind
from koepel.platform.timeutil import AMSTERDAM, to_local, utcnow
from koepel.platform.web import OrgView
from koepel.tenants import charts
from koepel.tenants import umbrella as ops
from koepel.tenants.views.base import CoopView

bp = Blueprint("umbrella", __name__)
UMBRELLA = (OrgKind.UMBRELLA,)
SORTABLE = ("name", "members", "volunteers", "hours_year", "open_requests", "done_year", "services")


class InviteForm(FlaskForm):
    cooperative = SelectField(
        _l("Zorgcoöperatie"), validators=[DataRequired(_l("Kies een coöperatie."))]
    )
    message = TextAreaField(_l("Bericht"), validators=[Optional(), Length(max=2000)])


class NewsForm(FlaskForm):
    title = StringField(
        _l("Titel"), validators=[DataRequired(_l("Vul een titel in.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Tekst"), validators=[DataRequired(_l("Vul een tekst in.")), Length(max=20000)]
    )


class DocumentForm(FlaskForm):
    title = StringField(
        _l("Titel"), validators=[DataRequired(_l("Vul een titel in.")), Length(max=200)]
    )
    file = FileField(_l("Bestand"), validators=[FileRequired(_l("Kies een bestand."))])


class AssistanceForm(FlaskForm):
    until = DateField(_l("Tot en met"), validators=[DataRequired(_l("Vul een datum in."))])


class UmbrellaView(OrgView):
    kinds = UMBRELLA


class Cooperatives(UmbrellaView):
    action = "umbrella.dashboard.view"

    def _form(self) -> InviteForm:
        form = InviteForm()
        members = {c.id for c in ops.member_cooperatives(self.org, utcnow().date())}
        candidates = db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.COOPERATIVE, Organisation.is_active.is_(True))
            .order_by(Organisation.name)
        ).all()
        form.cooperative.choices = [SelectChoice("", _("Kies…"))] + [
            SelectChoice(c.slug, c.name) for c in candidates if c.id not in members
        ]
        return form

    def get(self):
        return self.render(self._form())

    def render(self, form: InviteForm, status: int = 200):
        today = to_local(utcnow()).date()
        figures = ops.aggregates(self.org, today)
        sort = request.args.get("sort", "name")
        sort = sort if sort in SORTABLE else "name"
        descending = request.args.get("dir") == "desc"
        key = (
            (lambda f: f.organisation.name.lower())
            if sort == "name"
            else (lambda f: getattr(f, sort))
        )
        figures.sort(key=key, reverse=descending)
        totals = {name: sum(getattr(f, name) for f in figures) for name in SORTABLE[1:]}
        hours = ops.monthly_hours(self.org, today)
        chart = charts.bar_chart([(format_date(m, "MMM"), v) for m, v in hours])
        return render_template(
            "tenants/umbrella/cooperatives.html",
            org=self.org,
            figures=figures,
            totals=totals,
            sort=sort,
            descending=descending,
            form=form,
            may_invite=self.can("umbrella.members.invite"),
            hours_chart=chart,
        ), status


class Invite(Cooperatives):
    action = "umbrella.members.invite"

    def post(self):
        form = self._form()
        if form.validate_on_submit():
            coop = db.session.scalar(
                select(Organisation).where(Organisation.slug == form.cooperative.data)
            )
            try:
                if coop is None:
                    raise ops.UmbrellaError(_("Kies een coöperatie."))
                ops.invite(
                    actor=current_user,
                    umbrella=self.org,
                    cooperative=coop,
                    message=form.message.data or "",
                )
            except ops.UmbrellaError as exc:
                form.cooperative.errors.append(str(exc))
            else:
                flash(_("%(name)s is uitgenodigd.", name=coop.name), "success")
                return redirect(url_for("umbrella.cooperatives", org_slug=self.org.slug))
        return self.render(form)


class CooperativeMembers(UmbrellaView):
    """Per-person data of a member cooperative: only with its consent, else 404."""

    action = "umbrella.dashboard.view"

    def get(self, coop_slug: str):
        coop = db.session.scalar(select(Organisation).where(Organisation.slug == coop_slug))
        members = ops.members_with_consent(self.org, coop) if coop is not None else None
        if members is None:
            abort(404)
        return render_template(
            "tenants/umbrella/members.html", org=self.org, coop=coop, members=members
        )


class News(UmbrellaView):
    action = "umbrella.dashboard.view"
    post_action = "umbrella.news.publish"

    def render(self, form: NewsForm, document_form: DocumentForm | None = None, status: int = 200):
        from koepel.tenants.models import NewsItem, SharedDocument

        documents = db.session.scalars(
            select(SharedDocument).order_by(SharedDocument.uploaded_at.desc()).limit(100)
        ).all()

        items = db.session.scalars(
            select(NewsItem).order_by(NewsItem.published_at.desc()).limit(50)
        ).all()
        return render_template(
            "tenants/umbrella/news.html",
            org=self.org,
            items=items,
            form=form,
            documents=documents,
            document_form=document_form or DocumentForm(prefix="doc"),
            may_publish=self.can("umbrella.news.publish"),
        ), status

    def get(self):
        return self.render(NewsForm())

    def post(self):
        form = NewsForm()
        if form.validate_on_submit():
            try:
                ops.publish_news(
                    actor=current_user,
                    umbrella=self.org,
                    title=form.title.data,
                    body=form.body.data,
                )
            except ops.UmbrellaError as exc:
                form.body.errors.append(str(exc))
            else:
                flash(_("Het nieuws staat nu bij alle aangesloten coöperaties."), "success")
                return redirect(url_for("umbrella.news", org_slug=self.org.slug))
        return self.render(form)


class ShareDocument(News):
    action = "umbrella.news.publish"

    def post(self):
        form = DocumentForm(prefix="doc")
        if form.validate_on_submit():
            upload = form.file.data
            try:
                ops.share_document(
                    actor=current_user,
                    umbrella=self.org,
                    title=form.title.data,
                    filename=upload.filename or "",
                    data=upload.read(),
                )
            except ops.UmbrellaError as exc:
                form.file.errors.append(str(exc))
            else:
                flash(_("Het document staat nu bij alle aangesloten coöperaties."), "success")
                return redirect(url_for("umbrella.news", org_slug=self.org.slug))
        return self.render(NewsForm(formdata=None), document_form=form)


def _send_document(document):
    path = ops.document_path(document.tenant_id, document.stored_name)
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype=document.content_type, as_attachment=True, download_name=document.filename
    )


class Document(UmbrellaView):
    action = "umbrella.dashboard.view"

    def get(self, document_id: int):
        from koepel.tenants.models import SharedDocument

        document = db.session.scalar(select(SharedDocument).where(SharedDocument.id == document_id))
        if document is None:
            abort(404)
        return _send_document(document)


# -- the cooperative's side ------------------------------------------------------------
class CoopUmbrellas(CoopView):
    action = "coop.profile.view"

    def get(self):
        return self.render()

    def render(self, assistance_form: AssistanceForm | None = None, status: int = 200):
        today = utcnow().date()
        from koepel.platform import policy

        umbrellas = policy.current_umbrellas_of(self.org, today)
        rows = []
        for umbrella in umbrellas:
            grant = ops.active_assistance(self.org.id, [umbrella.id])
            rows.append(
                {
                    "umbrella": umbrella,
                    "consent": ops.current_consent(self.org.id, umbrella.id) is not None,
                    "assistance_until": to_local(grant.valid_until) if grant else None,
                }
            )
        return render_template(
            "tenants/umbrella/coop_umbrellas.html",
            org=self.org,
            rows=rows,
            invitations=ops.open_invitations_for(self.org),
            documents=ops.documents_for(self.org),
            news=ops.news_for(self.org, limit=10),
            assistance_form=assistance_form or AssistanceForm(),
            may_respond=self.can("umbrella.respond"),
            may_consent=self.can("umbrella.consent"),
            may_assist=self.can("umbrella.assistance"),
        ), status


class CoopDocument(CoopView):
    """A document one of the cooperative's umbrellas shared (404 for any other)."""

    action = "coop.profile.view"

    def get(self, document_id: int):
        document = ops.document_for_member(self.org, document_id)
        if document is None:
            abort(404)
        return _send_document(document)


class Respond(CoopUmbrellas):
    action = "umbrella.respond"

    def post(self, invitation_id: int):
        accept = request.form.get("answer") == "accept"
        try:
            ops.respond(
                actor=current_user, cooperative=self.org, invitation_id=invitation_id, accept=accept
            )
        except ops.UmbrellaError:
            abort(404)
        flash(
            _("U bent nu lid van de koepel.") if accept else _("De uitnodiging is afgewezen."),
            "success",
        )
        return redirect(url_for("umbrella.coop_umbrellas", org_slug=self.org.slug))


class _WithUmbrella(CoopUmbrellas):
    def load(self, umbrella_slug: str) -> None:
        from koepel.platform import policy

        umbrella = db.session.scalar(select(Organisation).where(Organisation.slug == umbrella_slug))
        if umbrella is None or umbrella not in policy.current_umbrellas_of(
            self.org, utcnow().date()
        ):
            abort(404)
        self.umbrella = umbrella


class Leave(_WithUmbrella):
    action = "umbrella.respond"

    def post(self, umbrella_slug: str):
        ops.leave(actor=current_user, cooperative=self.org, umbrella=self.umbrella)
        flash(_("U bent geen lid meer van %(name)s.", name=self.umbrella.name), "success")
        return redirect(url_for("umbrella.coop_umbrellas", org_slug=self.org.slug))


class Consent(_WithUmbrella):
    action = "umbrella.consent"

    def post(self, umbrella_slug: str):
        granted = request.form.get("consent") == "grant"
        ops.set_consent(
            actor=current_user, cooperative=self.org, umbrella=self.umbrella, granted=granted
        )
        flash(
            _("De koepel mag nu ledengegevens inzien.")
            if granted
            else _("De koepel ziet vanaf nu alleen nog totalen."),
            "success",
        )
        return redirect(url_for("umbrella.coop_umbrellas", org_slug=self.org.slug))


class Assistance(_WithUmbrella):
    action = "umbrella.assistance"

    def post(self, umbrella_slug: str):
        form = AssistanceForm()
        if form.validate_on_submit():
            until = datetime.combine(form.until.data, time(23, 59), tzinfo=AMSTERDAM)
            try:
                ops.grant_assistance(
                    actor=current_user, cooperative=self.org, umbrella=self.umbrella, until=until
                )
            except ops.UmbrellaError as exc:
                form.until.errors.append(str(exc))
            else:
                flash(
                    _(
                        "Medewerkers van %(name)s kunnen nu namens u werken.",
                        name=self.umbrella.name,
                    ),
                    "success",
                )
                return redirect(url_for("umbrella.coop_umbrellas", org_slug=self.org.slug))
        return self.render(assistance_form=form)


bp.add_url_rule("/<org_slug>/cooperatives", view_func=Cooperatives.as_view("cooperatives"))
bp.add_url_rule(
    "/<org_slug>/cooperatives/invite", view_func=Invite.as_view("invite"), methods=["POST"]
)
bp.add_url_rule(
    "/<org_slug>/cooperatives/<coop_slug>/members",
    view_func=CooperativeMembers.as_view("coop_members"),
)
bp.add_url_rule("/<org_slug>/news", view_func=News.as_view("news"))
bp.add_url_rule(
    "/<org_slug>/documents", view_func=ShareDocument.as_view("share_document"), methods=["POST"]
)
bp.add_url_rule("/<org_slug>/documents/<int:document_id>", view_func=Document.as_view("document"))
bp.add_url_rule("/<org_slug>/umbrellas", view_func=CoopUmbrellas.as_view("coop_umbrellas"))
bp.add_url_rule(
    "/<org_slug>/umbrellas/documents/<int:document_id>",
    view_func=CoopDocument.as_view("coop_document"),
)
bp.add_url_rule(
    "/<org_slug>/umbrellas/invitations/<int:invitation_id>",
    view_func=Respond.as_view("respond"),
    methods=["POST"],
)
bp.add_url_rule(
    "/<org_slug>/umbrellas/<umbrella_slug>/leave",
    view_func=Leave.as_view("leave"),
    methods=["POST"],
)
bp.add_url_rule(
    "/<org_slug>/umbrellas/<umbrella_slug>/consent",
    view_func=Consent.as_view("consent"),
    methods=["POST"],
)
bp.add_url_rule(
    "/<org_slug>/umbrellas/<umbrella_slug>/assistance",
    view_func=Assistance.as_view("assistance"),
    methods=["POST"],
)
