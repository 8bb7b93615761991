"""Delivery records from a CSV or Excel file, for a partner of a pooled district budget:
all rows or none. Every row is checked as a record typed on the page is
(``koepel.contracts.districts.record``); a problem names the line of the file (the header
is line 1). Columns by their Dutch or English names: datum, regeling, hoeveelheid, tarief,
and optionally eenheid.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from koepel.contracts import settlement as rules
from koepel.contracts.budgeting import BudgetError, BudgetView
from koepel.contracts.districts import DeliveryData, check_delivery, may_record, parse_quantity
from koepel.contracts.errors import _
from koepel.contracts.models.budgets import DeliveryRecord
from koepel.platform import audit
from koepel.platform.extensions import db
from koepel.platform.models import User
from koepel.platform.money import MoneyParseError, parse_money

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024

# Column headers a file may use (Dutch and English), compared without case.
COLUMNS = {
    "datum": "delivered_on",
    "date": "delivered_on",
    "product": "product",
    "regeling": "product",
    "scheme": "product",
    "eenheid": "unit",
    "unit": "unit",
    "hoeveelheid": "quantity",
    "aantal": "quantity",
    "quantity": "quantity",
    "tarief": "tariff",
    "tariff": "tariff",
}
REQUIRED = ("delivered_on", "product", "quantity", "tariff")


def _rows(filename: str, data: bytes) -> list[list[Any]]:
    suffix = PurePath((filename or "").replace("\\", "/")).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BudgetError(_("Kies een CSV- of Excel-bestand (.csv of .xlsx)."), "file")
    if not data:
        raise BudgetError(_("Het bestand is leeg."), "file")
    if len(data) > MAX_IMPORT_BYTES:
        raise BudgetError(
            _("Het bestand is groter dan %(mb)s MB.", mb=MAX_IMPORT_BYTES // (1024 * 1024)), "file"
        )
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # a broken or disguised file: zip, XML and openpyxl errors alike
            raise BudgetError(
                _("Dit is geen Excel-bestand dat we kunnen lezen. Sla het op als .xlsx of CSV."),
                "file",
            ) from None
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # do not trust the size the file claims
            rows = []
            for row in sheet.iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_IMPORT_ROWS + 1:
                    break
            return rows
        finally:
            book.close()
    text = data.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Any, parse) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):  # a spreadsheet's number: exact to two decimals or not
        number = Decimal(repr(value))
        if number != number.quantize(Decimal("0.01")):
            raise ValueError(value)
        return number
    return parse(_text(value))


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    from koepel.tenants.imports import parse_date  # "2015-03-31" or "31-03-2015"

    return parse_date(_text(value))


def import_file(
    *, actor: User | None, view: BudgetView, filename: str, data: bytes
) -> list[DeliveryRecord]:
    """Delivery records from a CSV or Excel file: all rows or none. A problem names the
    line of the file (the header is line 1)."""
    may_record(view)
    rows = _rows(filename, data)
    while rows and not any(_text(v) for v in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise BudgetError(_("Er staan geen regels in het bestand, alleen kolomnamen."), "file")
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise BudgetError(
            _("Het bestand heeft meer dan %(max)s regels. Splits het.", max=MAX_IMPORT_ROWS),
            "file",
        )
    header = {}
    for index, name in enumerate(rows[0]):
        field = COLUMNS.get(_text(name).lower().strip(" *:"))
        if field and field not in header:
            header[field] = index
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise BudgetError(
            _("De eerste regel moet de kolommen datum, regeling, hoeveelheid en tarief noemen."),
            "file",
        )
    checked: list[tuple[DeliveryData, rules.Delivery]] = []
    problems: list[str] = []

    def cell(row: list[Any], name: str) -> Any:
        index = header.get(name)
        return row[index] if index is not None and index < len(row) else None

    for line, row in enumerate(rows[1:], start=2):
        if not any(_text(v) for v in row):
            continue
        on_line = _("Regel %(n)s: ", n=line)
        try:
            try:
                delivered_on = _date(cell(row, "delivered_on"))
            except (ValueError, TypeError):
                raise BudgetError(on_line + _("schrijf de datum als 31-03-2015."), "file") from None
            try:
                quantity = _number(cell(row, "quantity"), parse_quantity)
            except (ValueError, InvalidOperation, BudgetError):
                raise BudgetError(
                    on_line + _("de hoeveelheid is geen getal met hoogstens twee decimalen."),
                    "file",
                ) from None
            try:
                tariff = _number(cell(row, "tariff"), parse_money)
            except (ValueError, InvalidOperation, MoneyParseError):
                raise BudgetError(on_line + _("het tarief is geen bedrag."), "file") from None
            item = DeliveryData(
                delivered_on=delivered_on,
                product=_text(cell(row, "product")),
                quantity=quantity,
                tariff=tariff,
                unit=_text(cell(row, "unit")) or "uur",
            )
            checked.append((item, check_delivery(view, item, on_line)))
        except BudgetError as exc:
            problems.append(str(exc))
    if problems:
        shown = problems[:10]
        if len(problems) > 10:
            shown.append(_("En nog %(n)s regels met een probleem.", n=len(problems) - 10))
        raise BudgetError(
            _("Er is niets ingelezen. Verbeter het bestand: ") + " ".join(shown), "file"
        )
    records = [
        DeliveryRecord(
            tenant_id=view.org.id,
            budget_id=view.budget.id,
            delivered_on=item.delivered_on,
            product=rule.product,
            unit=rule.unit,
            quantity=rule.quantity,
            tariff=rule.tariff,
            source="import",
            recorded_by_id=actor.id if actor else None,
        )
        for item, rule in checked
    ]
    db.session.add_all(records)
    db.session.flush()
    audit.record(
        db.session,
        actor=actor,
        tenant_id=view.org.id,
        action="delivery.imported",
        obj_type="budget",
        obj_id=view.budget.id,
        after={"file": (filename or "")[:200], "records": len(records)},
    )
    return records
