"""Writing workbooks safely: text stays text, so a cell that starts like a formula
(= + - @, tab, return) is never evaluated by a spreadsheet (no formula injection), and
numbers stay numbers with their format."""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def put(ws, row: int, column: int, value: Any, number_format: str | None = None):
    """Write one cell: numbers as numbers, text always as text (never a formula)."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        # A control character (saved through the API or an import) cannot be stored in a
        # workbook: openpyxl raised and the whole export failed.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        if value.startswith(FORMULA_START):
            cell.data_type = "s"  # stored as a string, so no spreadsheet evaluates it
            cell.quotePrefix = True  # and it stays text when someone edits the cell
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def table(ws, top: int, header: list[str], rows: list[list[Any]], formats: dict[int, str]):
    from openpyxl.styles import Font

    for col, title in enumerate(header, start=1):
        put(ws, top, col, title).font = Font(bold=True)
    for r, values in enumerate(rows, start=top + 1):
        for col, value in enumerate(values, start=1):
            put(ws, r, col, value, formats.get(col))
    for col, title in enumerate(header, start=1):
        width = max([len(str(title))] + [len(str(v[col - 1])) for v in rows]) + 2
        ws.column_dimensions[ws.cell(row=top, column=col).column_letter].width = min(width, 50)
    if top == 1:  # a sheet that is only this table: keep its header in view
        ws.freeze_panes = ws.cell(row=2, column=1)
