"""Members in and out of files: import from CSV or XLSX, export to both.

An import is **all or nothing**. The upload page reads the file and checks every row
(``check_rows``) without writing anything; only a file without problems is kept, under
``instance/uploads/<tenant_id>/<uuid>.<ext>``, for the user to confirm. The confirmed
import runs as the job ``members.import``: it reads the file again, checks every row
again (the members may have changed since the preview) and registers all members in the
job's single transaction. Any problem or error raises, and the job runner rolls the whole
transaction back: no member of the file is imported then. The file is deleted only once
the import has been committed.

Exports neutralise spreadsheet formulas: a text starting with ``= + - @`` (or a tab or
carriage return) is prefixed with an apostrophe in CSV and stored as plain text in XLSX,
so opening an export can never run what somebody typed into a name field.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.jobs import JobContext, PermanentJobError, job
from koepel.platform.models import Organisation, User
from koepel.platform.timeutil import local_today, to_local, utcnow
from koepel.tenants import members, validation
from koepel.tenants.models import Household, Member

MAX_ROWS = 5000
FORMATS = ("csv", "xlsx")
UPLOAD_MAX_AGE = 24 * 3600  # an upload nobody confirmed is deleted after a day (AVG)

# The member fields a file may fill, in the order of the export.
FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "street",
    "house_number",
    "postcode",
    "city",
    "phone",
    "email",
    "joined_on",
)

# Accepted column headers (Dutch and English) and the field each fills. Headers are
# compared case-insensitively, with "_" read as a space and surplus spaces ignored.
COLUMNS: dict[str, str] = {
    "voornaam": "first_name",
    "first_name": "first_name",
    "achternaam": "last_name",
    "last_name": "last_name",
    "geboortedatum": "date_of_birth",
    "date_of_birth": "date_of_birth",
    "straat": "street",
    "street": "street",
    "huisnummer": "house_number",
    "house_number": "house_number",
    "postcode": "postcode",
    "postal_code": "postcode",
    "woonplaats": "city",
    "city": "city",
    "telefoon": "phone",
    "telefoonnummer": "phone",
    "phone": "phone",
    "e-mail": "email",
    "e-mailadres": "email",
    "email": "email",
    "lid sinds": "joined_on",
    "joined_on": "joined_on",
}

# Longest text each field's column holds (see tenants/models/members.py).
MAX_LENGTH = {
    "first_name": 100,
    "last_name": 150,
    "street": 200,
    "house_number": 20,
    "city": 100,
    "phone": 30,
    "email": 254,
}

# The export's headers: the Dutch names the import accepts (number and end date it skips).
EXPORT_HEADERS = (
    "Lidnummer",
    "Voornaam",
    "Achternaam",
    "Geboortedatum",
    "Straat",
    "Huisnummer",
    "Postcode",
    "Woonplaats",
    "Telefoon",
    "E-mail",
    "Lid sinds",
    "Lid tot",
)

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(ValueError):
    """The file cannot be read as a member list; the message says why, in Dutch."""


class ImportRefused(PermanentJobError):
    """The job found rows with problems; nothing was imported (and a retry would not
    change that)."""


def _norm(header: str) -> str:
    text = str(header or "").replace("\ufeff", "").replace("_", " ").strip().lower()
    return " ".join(text.strip(" *:").split())


_LOOKUP = {_norm(alias): name for alias, name in COLUMNS.items()}


class Table(list):
    """Rows of a file as dicts with every field of ``FIELDS`` (missing columns: "").

    Row ``i`` is line ``i + 2`` of the file (the header is line 1); empty lines in the
    middle are kept as rows with only empty values, so line numbers stay right.
    ``ignored`` lists the headers no field takes (shown on the preview)."""

    ignored: list[str]


# -- reading ------------------------------------------------------------------------------


def read_table(filename: str, data: bytes) -> Table:
    """Read an uploaded ``.csv`` or ``.xlsx``; raise ``ImportFileError`` when it cannot be
    used (unknown kind, empty, more than ``MAX_ROWS`` rows, no last-name column)."""
    extension = Path(filename or "").suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise ImportFileError(_("Kies een CSV- of Excel-bestand (.csv of .xlsx)."))
    if not data or not data.strip():
        raise ImportFileError(_("Het bestand is leeg."))
    records = _csv_records(data) if extension == "csv" else _xlsx_records(data)
    return _table(records)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older Dutch Excel


def _has_last_name(header: list[str]) -> bool:
    return any(_LOOKUP.get(_norm(h)) == "last_name" for h in header)


def _csv_records(data: bytes) -> list[list[Any]]:
    text = _decode(data)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    candidates = []
    try:
        candidates.append(csv.Sniffer().sniff(text[:8192], delimiters=";,\t").delimiter)
    except csv.Error:
        pass
    # The sniffer guesses; the delimiter that yields a last-name column wins.
    candidates += sorted(";,\t", key=lambda d: -first_line.count(d))
    records: list[list[Any]] = []
    for delimiter in dict.fromkeys(candidates):
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error:
            raise ImportFileError(
                _("Het bestand kan niet worden gelezen. Sla het op als CSV of Excel.")
            ) from None
        if records and _has_last_name(records[0]):
            break
    return records


def _xlsx_records(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a broken or disguised file: zip, XML and openpyxl errors alike
        raise ImportFileError(
            _("Dit is geen Excel-bestand dat we kunnen lezen. Sla het op als .xlsx of CSV.")
        ) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("Het bestand is leeg."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # do not trust the size the file claims
        records: list[list[Any]] = []
        filled = blank_tail = 0
        for row in sheet.iter_rows(values_only=True):
            if any(v not in (None, "") for v in row):
                filled, blank_tail = filled + 1, 0
                if filled > MAX_ROWS + 1:  # the header and MAX_ROWS members
                    raise _too_many()
            else:
                blank_tail += 1
                if blank_tail > 1000:  # formatted but empty rows to the end of the sheet
                    break
            records.append([_cell_text(v) for v in row])
        return records
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _too_many() -> ImportFileError:
    return ImportFileError(
        _(
            "Het bestand heeft meer dan %(max)d rijen. Splits het in kleinere bestanden.",
            max=MAX_ROWS,
        )
    )


def _unquote(value: str) -> str:
    """Undo the export's formula guard: "'+31 6 …" was "+31 6 …"."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value


def _table(records: list[list[Any]]) -> Table:
    while records and not any(str(v).strip() for v in records[-1]):
        records.pop()
    if not records:
        raise ImportFileError(_("Het bestand is leeg."))
    header = [str(h) for h in records[0]]
    if not _has_last_name(header):
        raise ImportFileError(
            _(
                "De eerste rij moet de namen van de kolommen bevatten, met in elk geval "
                "een kolom achternaam (of last_name)."
            )
        )
    positions: dict[str, int] = {}
    ignored = []
    for index, text in enumerate(header):
        name = _LOOKUP.get(_norm(text))
        if name is None or name in positions:
            if text.strip():
                ignored.append(text.strip())
        else:
            positions[name] = index
    body = records[1:]
    if not body:
        raise ImportFileError(_("Er staan geen leden in het bestand, alleen de kolomnamen."))
    if sum(1 for r in body if any(str(v).strip() for v in r)) > MAX_ROWS:
        raise _too_many()
    table = Table()
    table.ignored = ignored
    for record in body:
        row = {}
        for name in FIELDS:
            index = positions.get(name)
            value = record[index] if index is not None and index < len(record) else ""
            row[name] = _unquote(str(value).strip())
        if positions.get("phone") is not None and re.fullmatch(r"[1-9][0-9]{8}", row["phone"]):
            row["phone"] = "0" + row["phone"]  # a spreadsheet dropped the leading zero
        table.append(row)
    return table


# -- checking -----------------------------------------------------------------------------


@dataclass
class RowResult:
    line: int  # as the user sees it in the file; the header is line 1
    data: members.MemberData | None  # None when a value could not be read
    problems: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # as in the file

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()

    @property
    def postcode(self) -> str:
        return self.data.postcode if self.data else self.values.get("postcode", "")


_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T][0-9:.]*)?$")
_NL_DATE = re.compile(r"^([0-9]{1,2})[-.]([0-9]{1,2})[-.]([0-9]{4})$")


def parse_date(text: str) -> date:
    """'1950-12-31' or '31-12-1950' -> date; ValueError otherwise."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _NL_DATE.match(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def _labels() -> dict[str, str]:
    return {
        "first_name": _("Voornaam"),
        "last_name": _("Achternaam"),
        "street": _("Straat"),
        "house_number": _("Huisnummer"),
        "city": _("Woonplaats"),
        "phone": _("Telefoon"),
        "email": _("E-mailadres"),
    }


def _search_name(first: str, last: str) -> str:
    return f"{first.strip()} {last.strip()}".lower()  # as members.register stores it


def _check_values(v: dict[str, str], today: date) -> tuple[members.MemberData | None, list]:
    problems: list[str] = []
    if not v["last_name"]:
        problems.append(_("De achternaam ontbreekt."))
    labels = _labels()
    for name, limit in MAX_LENGTH.items():
        if len(v[name]) > limit:
            problems.append(
                _(
                    "%(column)s is te lang: hoogstens %(max)d tekens.",
                    column=labels[name],
                    max=limit,
                )
            )
    postcode = ""
    if v["postcode"]:
        try:
            postcode = validation.postcode(v["postcode"])
        except ValueError:
            problems.append(
                _(
                    "De postcode %(value)s klopt niet. Een postcode is 4 cijfers en 2 "
                    "letters, bijvoorbeeld 5423 AB.",
                    value=v["postcode"],
                )
            )
    try:
        phone = validation.phone(v["phone"])
    except ValueError:
        phone = ""
        problems.append(
            _(
                "Het telefoonnummer %(value)s klopt niet. Gebruik 10 cijfers, bijvoorbeeld "
                "0492 123456.",
                value=v["phone"],
            )
        )
    if v["email"] and not _email_ok(v["email"]):
        problems.append(_("Het e-mailadres %(value)s klopt niet.", value=v["email"]))
    born = None
    if v["date_of_birth"]:
        try:
            born = parse_date(v["date_of_birth"])
        except ValueError:
            problems.append(
                _(
                    "De geboortedatum %(value)s klopt niet. Schrijf de datum als "
                    "31-12-1950 of 1950-12-31.",
                    value=v["date_of_birth"],
                )
            )
        else:
            if born > today:
                problems.append(_("De geboortedatum ligt in de toekomst."))
            elif born.year < 1900:
                problems.append(_("De geboortedatum ligt voor 1900. Kijk het jaar na."))
    joined = today
    if v["joined_on"]:
        try:
            joined = parse_date(v["joined_on"])
        except ValueError:
            problems.append(
                _(
                    "De datum lid sinds %(value)s klopt niet. Schrijf de datum als "
                    "31-12-2024 of 2024-12-31.",
                    value=v["joined_on"],
                )
            )
    if problems:
        return None, problems
    data = members.MemberData(
        first_name=v["first_name"],
        last_name=v["last_name"],
        joined_on=joined,
        street=v["street"],
        house_number=v["house_number"],
        postcode=postcode,
        city=v["city"],
        date_of_birth=born,
        phone=phone,
        email=v["email"],
    )
    return data, problems


def _email_ok(value: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def check_rows(rows: list[dict[str, str]]) -> list[RowResult]:
    """Check every row; return the non-empty rows with their problems (in plain Dutch).

    Runs in the acting cooperative's tenancy scope and asks the database one question:
    which current members have one of the file's names (the same name and postcode is a
    duplicate)."""
    today = local_today()
    results: list[RowResult] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, row in enumerate(rows):
        values = {name: str(row.get(name) or "").strip() for name in FIELDS}
        if not any(values.values()):
            continue  # an empty line: skipped, but it still counts for the line numbers
        line = index + 2
        data, problems = _check_values(values, today)
        result = RowResult(line=line, data=data, problems=problems, values=values)
        results.append(result)
        if values["last_name"]:
            key = (
                _search_name(values["first_name"], values["last_name"]),
                result.postcode.replace(" ", "").upper(),
                values["house_number"].replace(" ", "").lower(),
            )
            if key in seen:
                problems.append(
                    _(
                        "Staat dubbel in het bestand: dezelfde naam en hetzelfde adres als "
                        "regel %(line)d.",
                        line=seen[key],
                    )
                )
            else:
                seen[key] = line
    _mark_existing(results)
    return results


def _mark_existing(results: list[RowResult]) -> None:
    names = {_search_name(r.values["first_name"], r.values["last_name"]) for r in results}
    names.discard(" ")
    if not names:
        return
    existing: dict[tuple[str, str], int] = {}
    for number, search_name, postcode in db.session.execute(
        select(Member.number, Member.search_name, Household.postcode)
        .outerjoin(Member.household)
        .where(
            Member.left_on.is_(None),
            Member.erased_at.is_(None),
            Member.search_name.in_(sorted(names)),
        )
    ):
        existing.setdefault((search_name, postcode or ""), number)
    for result in results:
        key = (
            _search_name(result.values["first_name"], result.values["last_name"]),
            result.postcode,
        )
        if key in existing:
            result.problems.append(
                _(
                    "Is al lid: lid %(number)d heeft dezelfde naam en postcode.",
                    number=existing[key],
                )
            )


# -- uploads ------------------------------------------------------------------------------

_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def valid_upload_id(upload_id: str) -> bool:
    """A uuid4 in hex, as ``store_upload`` makes them (nothing else reaches the disk)."""
    if not _UPLOAD_ID.match(upload_id or ""):
        return False
    return uuid.UUID(hex=upload_id).version == 4


def _folder(tenant_id: int) -> Path:
    return Path(current_app.instance_path) / "uploads" / str(int(tenant_id))


def store_upload(tenant_id: int, filename: str, data: bytes) -> str:
    """Keep a checked file for the import job; return its id. Old uploads are removed."""
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise ImportFileError(_("Kies een CSV- of Excel-bestand (.csv of .xlsx)."))
    folder = _folder(tenant_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    purge_uploads(tenant_id)
    upload_id = uuid.uuid4().hex
    path = folder / f"{upload_id}.{extension}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return upload_id


def find_upload(tenant_id: int, upload_id: str) -> Path | None:
    if not valid_upload_id(upload_id):
        return None
    for extension in FORMATS:
        path = _folder(tenant_id) / f"{upload_id}.{extension}"
        if path.is_file():
            return path
    return None


def purge_uploads(tenant_id: int, max_age: int = UPLOAD_MAX_AGE) -> None:
    """Delete uploads nobody confirmed (they hold personal data)."""
    folder = _folder(tenant_id)
    if not folder.is_dir():
        return
    limit = time.time() - max_age
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


_DELETE = "koepel_delete_after_commit"


def _delete_after_commit(path: Path) -> None:
    db.session.info.setdefault(_DELETE, []).append(str(path))


@event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    for name in session.info.pop(_DELETE, []):
        Path(name).unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _keep_on_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_DELETE, None)


# -- the import job -----------------------------------------------------------------------


def _refusal(results: list[RowResult]) -> str:
    wrong = [r for r in results if r.problems]
    first = wrong[0]
    return ngettext(
        "Er is niets geïmporteerd: %(num)d rij heeft een fout (regel %(line)d: %(problem)s)",
        "Er is niets geïmporteerd: %(num)d rijen hebben een fout (eerste: regel %(line)d: "
        "%(problem)s)",
        len(wrong),
        line=first.line,
        problem=first.problems[0],
    )


@job("members.import")
def import_members(ctx: JobContext, upload_id: str, user_id: int | None = None) -> None:
    """Register every member of a checked upload, all in the job's one transaction."""
    if ctx.tenant_id is None:
        raise ImportRefused("an import acts for a cooperative")
    path = find_upload(ctx.tenant_id, upload_id)
    if path is None:
        ctx.progress(0, 0, _("Het bestand is niet meer gevonden. Upload het opnieuw."))
        raise ImportRefused(f"upload {upload_id} not found")
    ctx.progress(0, 0, _("Het bestand wordt gecontroleerd…"))
    try:
        results = check_rows(read_table(path.name, path.read_bytes()))
    except ImportFileError as exc:
        ctx.progress(0, 0, str(exc))
        raise
    total = len(results)
    if any(r.problems for r in results):
        message = _refusal(results)
        ctx.progress(0, total, message)
        raise ImportRefused(message)
    org = db.session.get(Organisation, ctx.tenant_id)
    actor = db.session.get(User, user_id) if user_id is not None else None
    for done, result in enumerate(results, 1):
        members.register(actor=actor, org=org, data=result.data)
        if done % 50 == 0:
            ctx.progress(done, total, _("%(done)d van %(total)d leden", done=done, total=total))
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="members.imported",
        obj_type="organisation",
        obj_id=org.id,
        after={"count": total, "file": path.suffix.lstrip(".")},
    )
    ctx.progress(
        total,
        total,
        ngettext("%(num)d lid geïmporteerd.", "%(num)d leden geïmporteerd.", total),
    )
    _delete_after_commit(path)


# -- export -------------------------------------------------------------------------------


def export_rows(status: str = "current") -> tuple[list[str], list[list[Any]]]:
    """The acting cooperative's members (``current``, ``left`` or ``all``; erased members
    are left out), with the headers the import reads back."""
    stmt = select(Member).where(Member.erased_at.is_(None))
    if status == "current":
        stmt = stmt.where(Member.left_on.is_(None))
    elif status == "left":
        stmt = stmt.where(Member.left_on.is_not(None))
    elif status != "all":
        raise ValueError(f"unknown status {status!r}")
    rows = []
    for m in db.session.scalars(
        stmt.options(selectinload(Member.household)).order_by(Member.number)
    ):
        h = m.household
        rows.append(
            [
                m.number,
                m.first_name,
                m.last_name,
                m.date_of_birth,
                h.street if h else "",
                h.house_number if h else "",
                h.postcode if h else "",
                h.city if h else "",
                m.phone,
                m.email,
                m.joined_on,
                m.left_on,
            ]
        )
    return list(EXPORT_HEADERS), rows


def record_export(*, actor: User | None, org: Organisation, status: str, fmt: str, count: int):
    """Bulk exports of personal data are logged (who took which members out, when)."""
    audit.record(
        db.session,
        actor=actor,
        tenant_id=org.id,
        action="members.exported",
        obj_type="organisation",
        obj_id=org.id,
        after={"status": status, "format": fmt, "count": count},
    )


def neutralise(value: str) -> str:
    """A text a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def to_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """CSV for Dutch Excel: UTF-8 with BOM, ';' between the fields."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_text(h) for h in headers])
    writer.writerows([_text(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Leden"
    for column, header in enumerate(headers, 1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = Font(bold=True)
    for row_number, row in enumerate(rows, 2):
        for column, value in enumerate(row, 1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str) and value.startswith(FORMULA_START):
                cell.data_type = "s"  # text, never a formula
                cell.quotePrefix = True  # and Excel keeps it text when edited
            elif isinstance(value, date):
                cell.number_format = "DD-MM-YYYY"
    sheet.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKL", (10, 16, 22, 14, 24, 11, 10, 18, 16, 28, 12, 12), strict=True
    ):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_filename(slug: str, fmt: str) -> str:
    return f"leden-{slug}-{to_local(utcnow()).date().isoformat()}.{fmt}"
