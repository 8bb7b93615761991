"""Member import (upload, preview, confirm) and export of the member list (CSV, XLSX).

The upload page checks the file and shows a preview; nothing is written then. Only a file
without problems is kept, and confirming it starts the import job (all or nothing, see
``koepel.tenants.imports``)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select

from koepel.platform.extensions import db
from koepel.platform.jobs import enqueue
from koepel.platform.models import JobRun
from koepel.tenants import imports
from koepel.tenants.views.base import CoopView

bp = Blueprint("member_io", __name__)

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(FlaskForm):
    file = FileField(
        _l("Bestand met leden"),
        validators=[
            FileRequired(_l("Kies een bestand.")),
            FileAllowed(imports.FORMATS, _l("Kies een CSV- of Excel-bestand (.csv of .xlsx).")),
        ],
    )


def _import_key(tenant_id: int, upload_id: str) -> str:
    return f"import:{tenant_id}:{upload_id}"


class MemberImport(CoopView):
    action = "members.manage"

    def get(self):
        return self.form_page(ImportForm())

    def form_page(self, form: ImportForm):
        return render_template(
            "tenants/members/import.html", org=self.org, form=form, max_rows=imports.MAX_ROWS
        )

    def post(self):
        form = ImportForm()
        if not form.validate_on_submit():
            return self.form_page(form)
        upload = form.file.data
        data = upload.read()
        try:
            rows = imports.read_table(upload.filename, data)
        except imports.ImportFileError as exc:
            form.file.errors.append(str(exc))
            return self.form_page(form)
        results = imports.check_rows(rows)
        wrong = [r for r in results if r.problems]
        # Only a file that can be imported as it is is kept for the confirmation.
        upload_id = None if wrong else imports.store_upload(self.org.id, upload.filename, data)
        return render_template(
            "tenants/members/import_preview.html",
            org=self.org,
            form=ImportForm(formdata=None),
            results=wrong or results,
            good=len(results) - len(wrong),
            wrong=len(wrong),
            ignored=rows.ignored,
            filename=upload.filename,
            upload_id=upload_id,
        )


class MemberImportConfirm(CoopView):
    action = "members.manage"

    def load(self, upload_id: str) -> None:
        if not imports.valid_upload_id(upload_id):
            abort(404)
        key = _import_key(self.org.id, upload_id)
        # A second click, or a reload after the import: the run that exists answers.
        self.run = db.session.scalar(select(JobRun).where(JobRun.key == key))
        if self.run is None and imports.find_upload(self.org.id, upload_id) is None:
            abort(404)

    def post(self, upload_id: str):
        run = self.run or enqueue(
            "members.import",
            tenant_id=self.org.id,
            kwargs={"upload_id": upload_id, "user_id": current_user.id},
            key=_import_key(self.org.id, upload_id),
            created_by_id=current_user.id,
        )
        return redirect(url_for("org.job", org_slug=self.org.slug, job_id=run.id))


class MemberListExport(CoopView):
    action = "members.export"

    def load(self, fmt: str) -> None:
        if fmt not in imports.FORMATS:
            abort(404)

    def get(self, fmt: str):
        status = request.args.get("status", "current")
        if status not in ("current", "left", "all"):
            status = "current"
        headers, rows = imports.export_rows(status)
        body = imports.to_csv(headers, rows) if fmt == "csv" else imports.to_xlsx(headers, rows)
        imports.record_export(
            actor=current_user, org=self.org, status=status, fmt=fmt, count=len(rows)
        )
        filename = imports.export_filename(self.org.slug, fmt)
        return Response(
            body,
            mimetype=MIMETYPES[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )


_rule = "/<org_slug>/members"
bp.add_url_rule(f"{_rule}/import", view_func=MemberImport.as_view("upload"))
bp.add_url_rule(
    f"{_rule}/import/<upload_id>/confirm",
    view_func=MemberImportConfirm.as_view("confirm"),
    methods=["POST"],
)
_export = MemberListExport.as_view("export")
# export.csv is also the URL built without a format: url_for("member_io.export", org_slug=…)
bp.add_url_rule(f"{_rule}/export.csv", view_func=_export, defaults={"fmt": "csv"})
bp.add_url_rule(f"{_rule}/export.<fmt>", view_func=_export)
