"""Import CSV and XLSX files, one file per entity, all or nothing.

Every row is checked first with the services' own input models. If any row is bad the whole file is
rejected with every bad line listed (line 1 is the header) and nothing is written. A good file is
written in one transaction with bulk statements, each record audited (source "import").

Decisions a person may ask about:
- a blank cell never overwrites a stored value (it takes the default on a new record);
- a contact is matched by email and a product by SKU, case-insensitively: found means updated
  (or skipped with on_duplicate="skip"), and a row that changes nothing is counted `unchanged`;
- created_at of an existing record is kept; the file's created_at applies to new records only;
- a skipped row is not checked further (nothing of it is written);
- deals and activities are always created (they have no natural key); the `id` column of an
  export is ignored, so re-importing a deals or activities export duplicates them;
- an existing order number is skipped with on_duplicate="skip" and is a row error otherwise;
- a permission refused for one row (an owner out of reach) is a row error; an entity the user may
  not import at all (products for staff) raises PermissionDenied before any row is read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from openpyxl import load_workbook
from sqlmodel import Session

from core.errors import FieldError, ImportRejected, ValidationError
from core.models import CustomFieldDefinition, User
from core.services import custom_fields, permissions
from core.services.collector import collector_paused
from core.services.import_checks import Context, Row
from core.services.import_entities import PLANNERS
from core.services.import_writes import write_plan
from core.services.records import commit

IMPORT_FORMATS: dict[str, list[str]] = {
    "contacts": ["email", "first_name", "last_name", "phone", "company", "city", "country", "gender",
                 "birth_date", "household_income", "lifecycle_stage", "source", "owner",
                 "best_time_to_call", "created_at"],
    "products": ["sku", "name", "category", "price"],
    "orders": ["order_number", "contact_email", "ordered_at", "sku", "quantity", "unit_price"],
    "deals": ["title", "contact_email", "company", "pipeline", "stage", "amount", "owner", "status",
              "created_at", "closed_at"],
    "activities": ["contact_email", "channel", "direction", "occurred_at", "subject", "notes", "owner",
                   "outcome"],
}
# The columns without which no row of the file could be valid.
REQUIRED_COLUMNS: dict[str, list[str]] = {
    "contacts": ["first_name"],
    "products": ["sku", "name"],
    "orders": ["order_number", "contact_email", "sku"],
    "deals": ["title"],
    "activities": ["channel"],
}


@dataclass
class ImportResult:
    entity: str
    created: int
    updated: int
    skipped: int
    dry_run: bool
    rows: int  # data rows read, blank ones not counted (for orders: lines; the counts are orders)
    unchanged: int = 0  # matched records the file did not change (no new version, no audit)
    companies_created: int = 0
    ignored_columns: list[str] = field(default_factory=list)  # headers mapped to nothing


# ---- reading -------------------------------------------------------------------------------------


def read_table(path_or_buffer: Any, *, filename: str | None = None) -> pd.DataFrame:
    """A CSV (UTF-8, comma or semicolon) or XLSX file as text cells; blank cells are None."""
    name = filename or str(getattr(path_or_buffer, "name", path_or_buffer) or "")
    data = _read_bytes(path_or_buffer)
    xlsx = name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"
    try:
        return _read_xlsx(data) if xlsx else _read_csv(data)
    except ValidationError:
        raise
    except Exception as exc:  # a damaged, empty or mislabelled file: any parser error means the same
        kind = "an Excel workbook (.xlsx)" if xlsx else "CSV text"
        raise ValidationError.single("file", f"cannot be read as {kind} ({type(exc).__name__}); "
                                             "check that it is not empty or damaged") from None


def _read_bytes(source: Any) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    content = source.read()
    return content.encode() if isinstance(content, str) else bytes(content)


def _read_csv(data: bytes) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")  # also strips the byte-order mark Excel writes
    except UnicodeDecodeError:
        raise ValidationError.single("file", "is not UTF-8 text: in Excel, save it as "
                                             "'CSV UTF-8 (comma delimited)'") from None
    first_line = text.split("\n", 1)[0]
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    # Text only, nothing guessed (no NaN, no numbers), blank lines kept so line numbers stay true.
    frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=object, keep_default_na=False,
                        na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL)
    return _tidy(frame, _text_cells)


def _read_xlsx(data: bytes) -> pd.DataFrame:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [("" if cell is None else str(cell)) for cell in next(rows, ())]
        while header and not header[-1].strip():
            header.pop()  # read-only sheets may report unused columns to the right
        body = [[_cell_text(cell) for cell in row[:len(header)]] for row in rows]
    finally:
        book.close()
    while body and all(cell is None for cell in body[-1]):
        body.pop()  # trailing formatted-but-empty rows
    return _tidy(pd.DataFrame(body, columns=header, dtype=object))


def _cell_text(cell: Any) -> str | None:
    """A spreadsheet cell as the text a person sees: 12 not 12.0, dates in ISO form."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time.min else cell.isoformat(sep=" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


# Set on a frame read_table made: its cells are tidy already (_rows would tidy them a second time).
TIDY = "crm_import_tidy"


def _tidy(frame: pd.DataFrame, tidy_column: Callable[[list[Any]], list[Any]] | None = None) -> pd.DataFrame:
    frame.columns = [str(column).strip() for column in frame.columns]
    tidy_column = tidy_column or _cells
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position].tolist()
        frame.isetitem(position, pd.Series(tidy_column(column), dtype=object, index=frame.index))
    frame.attrs[TIDY] = True
    return frame


def _cells(column: list[Any]) -> list[Any]:
    return [_cell(value) for value in column]


def _text_cells(column: list[Any]) -> list[Any]:
    """_cell for a CSV column, whose cells are text: the same result without a call per cell (1.3
    million cells in a file of 100,000 contacts); any other cell goes to _cell."""
    try:
        return [(cell if cell[0] != "'" else unquote_formula(cell) or None) if (cell := value.strip())
                else None for value in column]
    except (AttributeError, TypeError):  # not text after all
        return _cells(column)


def _cell(value: Any) -> Any:
    if value.__class__ is str:  # nearly every cell: the common case first, without calls
        value = value.strip()
        if not value:
            return None
        return (unquote_formula(value) or None) if value[0] == "'" else value
    if isinstance(value, str):
        return unquote_formula(value.strip()) or None
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value


# Cells a spreadsheet would run as a formula: =, +, -, @ first (tab and CR too, for old Excel).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Plain numbers, dates and phone numbers ("-12.5", "+39 02 1234 5678") compute nothing: kept as they are.
_INERT = re.compile(r"^[+-]?[0-9][0-9 .,()/:-]*$")


def quote_formula(value: Any) -> Any:
    """A text cell that a spreadsheet would evaluate, with a leading ' so it shows as text
    (the OWASP advice against CSV/formula injection); other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _INERT.match(value):
        return "'" + value
    return value


def unquote_formula(text: str) -> str:
    """The inverse, on import: an export's '=... cell reads back as =..., so files round-trip."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


# ---- mapping -------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch not in " _-")


def auto_mapping(entity: str, headers: list[str],
                 custom_field_names: Iterable[str] | Mapping[str, str] = ()) -> dict[str, str]:
    """{header: field} for the headers that name a field, ignoring case, spaces, "_" and "-".
    Custom fields match by name or label (pass {name: label}); built-in fields win a tie."""
    labels = custom_field_names if isinstance(custom_field_names, Mapping) else {}
    targets: dict[str, str] = {}
    for name in custom_field_names:
        targets.setdefault(_key(labels.get(name, name)), name)
        targets[_key(name)] = name
    targets.update({_key(name): name for name in IMPORT_FORMATS[_check_entity(entity)]})
    return {header: targets[_key(header)] for header in headers if _key(header) in targets}


def resolve_columns(entity: str, headers: list[str], mapping: Mapping[str, str | None] | None,
                    definitions: list[CustomFieldDefinition]) -> tuple[dict[int, str], list[str]]:
    """{column position: field key} ("custom.<name>" for custom fields), and the ignored headers.
    An unknown target, a field mapped twice or a missing required column rejects the file."""
    custom = {d.name: d.label for d in definitions}
    chosen: dict[str, str | None] = {**auto_mapping(entity, headers, custom), **(mapping or {})}
    errors = [FieldError(header, "is not a column of this file", 1) for header in (mapping or {})
              if header not in headers]
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for position, header in enumerate(headers):
        target = chosen.get(header)
        key = _field_key(entity, target, custom) if target else None
        if not target:
            ignored.append(header)
        elif key is None:
            errors.append(FieldError(header, f"{target!r} is not a field of {entity} (fields: "
                                             f"{', '.join(IMPORT_FORMATS[entity] + list(custom))})", 1))
        elif key in columns.values():
            errors.append(FieldError(header, f"a second column for {target}", 1))
        else:
            columns[position] = key
    errors += [FieldError(name, f"the file has no {name} column (found: {', '.join(headers)})", 1)
               for name in REQUIRED_COLUMNS[entity] if name not in columns.values()]
    if errors:
        raise ImportRejected(errors)
    return columns, ignored


def _field_key(entity: str, target: str, custom: dict[str, str]) -> str | None:
    if target in IMPORT_FORMATS[entity]:
        return target
    name = target.removeprefix("custom.")
    return f"custom.{name}" if name in custom else None


def _check_entity(entity: str) -> str:
    if entity not in IMPORT_FORMATS:
        raise ValidationError.single("entity", f"{entity!r} cannot be imported (only: "
                                               f"{', '.join(IMPORT_FORMATS)})")
    return entity


# ---- importing -----------------------------------------------------------------------------------


def import_rows(*, session: Session, user: User, entity: str, frame: pd.DataFrame,
                mapping: Mapping[str, str | None] | None = None, dry_run: bool = False,
                on_duplicate: Literal["update", "skip"] = "update",
                progress: Callable[[float], None] | None = None, source: str = "import",
                file_name: str | None = None) -> ImportResult:
    """Check every row, then write them all in one transaction (or, with dry_run, only count).
    `file_name` is what the audit entry of the records created says they came from."""
    _check_request(session, user, _check_entity(entity), on_duplicate)
    try:
        with collector_paused():  # a planned row is a dict the collector would walk again and again
            result = _import(session, user, entity, frame, mapping, dry_run, on_duplicate, progress, source,
                             file_name)
    except BaseException:
        session.rollback()  # also undoes the default pipeline a deal file may have created
        raise
    if progress:
        progress(1.0)
    return result


def _check_request(session: Session, user: User, entity: str, on_duplicate: str) -> None:
    if on_duplicate not in ("update", "skip"):
        raise ValidationError.single("on_duplicate", "must be 'update' or 'skip'")
    permissions.require_active(user)
    if entity == "products":  # reference data: managers and admins only, whoever owns what
        permissions.require_write(session, user, "products", None)


def _import(session: Session, user: User, entity: str, frame: pd.DataFrame,
            mapping: Mapping[str, str | None] | None, dry_run: bool, on_duplicate: str,
            progress: Callable[[float], None] | None, source: str, file_name: str | None) -> ImportResult:
    definitions = custom_fields.definitions(session, entity)
    headers = [str(header) for header in frame.columns]
    columns, ignored = resolve_columns(entity, headers, mapping, definitions)
    ctx = Context(session, user, entity, headers={key: headers[pos] for pos, key in columns.items()},
                  definitions=definitions, on_duplicate=on_duplicate, source=source, progress=progress,
                  file_name=file_name)
    rows = _rows(frame, columns)
    plan = PLANNERS[entity](ctx, rows)
    if ctx.errors:
        raise ImportRejected(sorted(ctx.errors, key=lambda error: error.row or 0))
    result = ImportResult(entity, len(plan.creates), len(plan.updates), plan.skipped, dry_run,
                          len(rows), plan.unchanged, len(ctx.new_companies), ignored)
    if dry_run:
        session.rollback()
        return result
    write_plan(ctx, plan)
    commit(session)
    session.expire_all()  # the bulk statements bypassed any objects this session holds
    return result


def _rows(frame: pd.DataFrame, columns: dict[int, str]) -> list[Row]:
    """(line, {field: cell}) per non-blank row; line 1 is the header, so row i is line i + 2."""
    fields = list(columns.values())
    width = len(fields)
    tidy = frame.attrs.get(TIDY, False)  # a frame from elsewhere (a test, a caller) is tidied here
    values = [frame.iloc[:, position].tolist() if tidy else list(map(_cell, frame.iloc[:, position].tolist()))
              for position in columns]
    return [(index + 2, dict(zip(fields, cells, strict=True)))
            for index, cells in enumerate(zip(*values, strict=True)) if cells.count(None) < width]


def import_file(*, session: Session, user: User, entity: str, path: str | Path,
                mapping: Mapping[str, str | None] | None = None, dry_run: bool = False,
                on_duplicate: Literal["update", "skip"] = "update",
                progress: Callable[[float], None] | None = None) -> ImportResult:
    return import_rows(session=session, user=user, entity=entity, frame=read_table(path),
                       mapping=mapping, dry_run=dry_run, on_duplicate=on_duplicate, progress=progress,
                       file_name=Path(path).name)
