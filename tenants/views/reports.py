"""Annual reports: ask for one (a background job makes it) and download earlier ones.

One page for cooperatives and umbrellas alike; the action it needs depends on the kind
of organisation, and other kinds have no such page (404).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from koepel.platform.extensions import db
from koepel.platform.models import JobRun, OrgKind
from koepel.platform.timeutil import to_local, utcnow
from koepel.platform.web import OrgView
from koepel.tenants import reports as ops

bp = Blueprint("reports", __name__)

# Who may make and read annual reports, per kind of organisation.
ACTIONS = {
    OrgKind.COOPERATIVE: "coop.dashboard.view",
    OrgKind.UMBRELLA: "umbrella.report.create",
}
FORMAT_LABELS = {"pdf": "PDF", "xlsx": _l("Excel (XLSX)")}
LIST_LIMIT = 50


class ReportForm(FlaskForm):
    year = SelectField(_l("Jaar"), coerce=int, validators=[InputRequired(_l("Kies een jaar."))])
    fmt = RadioField(
        _l("Bestand"),
        choices=[SelectChoice(value, label) for value, label in FORMAT_LABELS.items()],
        default="pdf",
        validators=[InputRequired(_l("Kies PDF of Excel."))],
    )


class ReportView(OrgView):
    """Checks the action that belongs to the organisation's kind (the base class only
    checks that the user has a role here)."""

    action = "org.view"

    def load(self, **kwargs) -> None:
        action = ACTIONS.get(self.org.kind)
        if action is None:
            abort(404)
        if not self.can(action):
            abort(403)


class ReportIndex(ReportView):
    def _form(self) -> ReportForm:
        form = ReportForm()
        this_year = to_local(utcnow()).date().year
        form.year.choices = [
            SelectChoice(year, str(year))
            for year in range(this_year, this_year - ops.YEARS_BACK - 1, -1)
        ]
        if form.year.data is None:
            form.year.data = this_year - 1  # usually last year's report is wanted
        return form

    def get(self):
        return self.render(self._form())

    def post(self):
        form = self._form()
        if form.validate_on_submit():
            run = ops.request_annual_report(
                actor=current_user, org=self.org, year=form.year.data, fmt=form.fmt.data
            )
            return redirect(url_for("org.job", org_slug=self.org.slug, job_id=run.id))
        return self.render(form)

    def render(self, form: ReportForm):
        runs = db.session.scalars(
            select(JobRun)  # tenant-owned: the acting scope limits it to this organisation
            .where(JobRun.name == ops.JOB_NAME, JobRun.status == "done")
            .order_by(JobRun.created_at.desc(), JobRun.id)
            .limit(LIST_LIMIT)
        ).all()
        reports = [
            {
                "run": run,
                "year": run.kwargs.get("year"),
                "fmt": run.kwargs.get("fmt"),
                "format_label": FORMAT_LABELS.get(run.kwargs.get("fmt"), ""),
            }
            for run in runs
            if run.kwargs.get("fmt") in ops.MIMETYPES
            and ops.report_path(self.org.id, run.id, run.kwargs["fmt"]).is_file()
        ]
        return render_template(
            "tenants/reports/index.html",
            org=self.org,
            form=form,
            reports=reports,
            umbrella=self.org.kind == OrgKind.UMBRELLA,
        )


class ReportDownload(ReportView):
    def load(self, job_id: str, fmt: str) -> None:
        super().load()
        run = db.session.scalar(select(JobRun).where(JobRun.id == job_id))
        if (
            run is None
            or run.name != ops.JOB_NAME
            or run.status != "done"
            or fmt not in ops.MIMETYPES
            or run.kwargs.get("fmt") != fmt
        ):
            abort(404)
        path = ops.report_path(self.org.id, run.id, fmt)
        if not path.is_file():
            abort(404)
        self.run, self.path = run, path

    def get(self, job_id: str, fmt: str):
        year = int(self.run.kwargs.get("year", 0))
        return send_file(
            self.path,
            mimetype=ops.MIMETYPES[fmt],
            as_attachment=True,
            download_name=f"jaarverslag-{self.org.slug}-{year}.{fmt}",
            max_age=0,
        )


bp.add_url_rule(
    "/<org_slug>/reports", view_func=ReportIndex.as_view("index"), methods=["GET", "POST"]
)
bp.add_url_rule("/<org_slug>/reports/<job_id>.<fmt>", view_func=ReportDownload.as_view("download"))
