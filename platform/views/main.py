"""Pages outside any organisation: start page, language choice, health check, and the
development mail viewer."""

from __future__ import annotations

from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from koepel.platform.auth.views import home_for, safe_next
from koepel.platform.extensions import db
from koepel.platform.web import commit

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("main/index.html")


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the point of a health check is to say so, not to crash
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status


def _mail_folder() -> Path:
    if not current_app.config["DEV_PAGES"] or current_app.config["MAIL_BACKEND"] != "file":
        abort(404)
    return Path(current_app.config["MAIL_FOLDER"])


@bp.route("/dev/mail")
def dev_mail():
    folder = _mail_folder()
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    messages = []
    for path in files[:200]:
        msg = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        messages.append(
            {"name": path.stem, "to": msg["To"], "subject": msg["Subject"], "date": msg["Date"]}
        )
    return render_template("main/dev_mail.html", messages=messages)


@bp.route("/dev/mail/<name>")
def dev_mail_message(name: str):
    folder = _mail_folder()
    path = folder / f"{name}.eml"
    if "/" in name or name.startswith(".") or not path.is_file():
        abort(404)
    msg = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
    return render_template(
        "main/dev_mail_message.html", msg=msg, body=msg.get_body(("plain",)).get_content()
    )
