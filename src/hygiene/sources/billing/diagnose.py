"""Where a bill is wrong: the file, row and column of a value DuckDB cannot read, or of a charge
without a currency — looked for only after the fact, so a well-formed bill pays nothing for it.

The aggregation (``sql.py``) reads each file once. When it fails (a cost that is not a number, a
malformed date, a ``Tags`` value that is not a JSON object, a CSV line DuckDB cannot parse), or
when its result holds a currency that is not an ISO 4217 code, ``billing_files.py`` reads the
files again here, one at a time and with row numbers (row 1 is the first data row; a CSV header
is not counted), to name the first offending row.

Messages name files, rows and columns, never a cell's value: a tag can hold anything, secrets
included. DuckDB's own messages quote values and whole CSV lines, so they are reduced to a few
known phrases (``engine_reason``) before they reach a person, a log or the state database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb

from hygiene.records.billing import FOCUS_COLUMNS
from hygiene.sources.billing.cur import CUR2_NAMES, CUR2_TAGS, CUR_NAMES, Columns, select
from hygiene.sources.billing.dialect import DuckDBDialect
from hygiene.sources.billing.sql import SpendQuery

DIALECT = DuckDBDialect()
#: The row-number column added to a file read for diagnosis.
ROW = "__hygiene_row"
#: What a currency must look like once trimmed and upper-cased: an ISO 4217 code.
ISO_CURRENCY = re.compile(r"[A-Z]{3}")
TRIMMED = " \t\n\r"  # what DuckDBDialect.trim removes

CheckKind = Literal["decimal", "timestamp", "json"]
PROBLEMS: dict[CheckKind, str] = {
    "decimal": "not a number (or beyond DECIMAL(38,12))",
    "timestamp": "not a date and time (ISO 8601, e.g. 2024-09-01T00:00:00Z)",
    "json": "not a JSON object of tags",
}
DECIMAL_ROLES = ("cost", "ri_effective", "sp_effective", "list")
TIMESTAMP_ROLES = ("start", "end", "period")


def normalise_currency(value: str | None) -> str:
    """A currency code as compared and reported: trimmed, upper-case (``" usd"`` → ``USD``)."""
    return (value or "").strip(TRIMMED).upper()


def is_currency(code: str) -> bool:
    """Whether a normalised code looks like ISO 4217 (three letters A-Z)."""
    return ISO_CURRENCY.fullmatch(code) is not None


def currency_column(kind: str) -> str:
    """The source column holding the currency in a file of ``kind`` (focus, cur, cur2)."""
    return {"focus": "BillingCurrency", "cur": CUR_NAMES["currency"]}.get(
        kind, CUR2_NAMES["currency"]
    )


@dataclass(frozen=True)
class ValueCheck:
    """A source column whose values the mapping casts, and to what."""

    column: str
    kind: CheckKind

    def bad(self, columns: Columns) -> str:
        """SQL: the row holds a value here that the cast cannot read."""
        value = (
            columns.clean(self.column)
            if columns.kind(self.column) == "text"
            else (DIALECT.ident(self.column))
        )
        if self.kind == "decimal":
            return f"{value} IS NOT NULL AND TRY_CAST({value} AS {DIALECT.decimal_type}) IS NULL"
        if self.kind == "timestamp":
            return f"{value} IS NOT NULL AND TRY_CAST({value} AS TIMESTAMPTZ) IS NULL"
        as_json = f"TRY_CAST({value} AS JSON)"
        return (
            f"{value} IS NOT NULL AND json_type({as_json}) IS DISTINCT FROM 'NULL' "
            f"AND TRY_CAST({as_json} AS MAP(VARCHAR, VARCHAR)) IS NULL"
        )

    @property
    def problem(self) -> str:
        return PROBLEMS[self.kind]


def value_checks(kind: str, columns: Columns) -> list[ValueCheck]:
    """The casts the mapping of ``kind`` makes over ``columns`` that can fail on a value."""
    wanted: list[ValueCheck] = []
    if kind == "focus":
        for name, sql_kind in FOCUS_COLUMNS.items():
            if sql_kind in ("decimal", "timestamp"):
                wanted.append(ValueCheck(name, sql_kind))  # type: ignore[arg-type]
        wanted.append(ValueCheck("Tags", "json"))
        wanted.append(ValueCheck("AllocatedTags", "json"))
    else:
        names = CUR_NAMES if kind == "cur" else CUR2_NAMES
        wanted += [ValueCheck(names[role], "decimal") for role in DECIMAL_ROLES]
        wanted += [ValueCheck(names[role], "timestamp") for role in TIMESTAMP_ROLES]
        if kind == "cur2":
            wanted.append(ValueCheck(CUR2_TAGS, "json"))
    return [c for c in wanted if c.column in columns and _can_fail(c, columns.kind(c.column))]


def _can_fail(check: ValueCheck, column_kind: str) -> bool:
    if check.kind == "json":
        return column_kind == "text"  # a map or struct is already structured
    return not (check.kind == "timestamp" and column_kind == "timestamp")


def numbered(reader: str) -> str:
    """The reader's rows with their 1-based position in the file (call ``keep_order`` first)."""
    return f"(SELECT row_number() OVER () AS {DIALECT.ident(ROW)}, * FROM {reader})"


def keep_order(con: duckdb.DuckDBPyConnection) -> None:
    """Rows numbered in file order: read for diagnosis only, so speed does not matter."""
    con.execute("SET preserve_insertion_order = true")


def describe(con: duckdb.DuckDBPyConnection, relation: str) -> Columns:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return Columns.of(DIALECT, {str(r[0]): str(r[1]) for r in rows})


def first_bad_value(
    con: duckdb.DuckDBPyConnection, reader: str, kind: str
) -> tuple[int, ValueCheck] | None:
    """The first row (and column) of one file whose value a cast of the mapping cannot read."""
    relation = numbered(reader)
    columns = describe(con, relation)
    checks = value_checks(kind, columns)
    if not checks:
        return None
    row = DIALECT.ident(ROW)
    body = ", ".join(f"min(CASE WHEN {c.bad(columns)} THEN {row} END)" for c in checks)
    found = con.execute(f"SELECT {body} FROM {relation}").fetchone() or ()
    hits = [(int(at), check) for at, check in zip(found, checks, strict=True) if at is not None]
    return min(hits, key=lambda hit: hit[0]) if hits else None


def first_currency_problem(
    con: duckdb.DuckDBPyConnection,
    reader: str,
    exprs_of: Callable[[Columns], Mapping[str, str]],
    query: SpendQuery,
) -> tuple[int, bool] | None:
    """The first row of one file in the query's months that costs something (BilledCost or
    EffectiveCost not zero) without an ISO 4217 currency: (row, whether it has none at all)."""
    relation = numbered(reader)
    columns = describe(con, relation)
    q = DIALECT.ident
    exprs = {**exprs_of(columns), ROW: q(ROW)}
    code = f"NULLIF(NULLIF(upper({DIALECT.trim(q('BillingCurrency'))}), 'NULL'), '')"
    sql = f"""
SELECT {q(ROW)}, {code} IS NULL FROM ({select(columns, exprs, relation)}) AS focus
WHERE NOT coalesce(regexp_full_match({code}, '[A-Z]{{3}}'), false)
  AND (coalesce({q("BilledCost")}, 0) <> 0 OR coalesce({q("EffectiveCost")}, 0) <> 0)
  AND {in_scope(query)}
ORDER BY 1 LIMIT 1"""
    found = con.execute(sql).fetchone()
    return (int(found[0]), bool(found[1])) if found else None


def in_scope(query: SpendQuery) -> str:
    """SQL: the row is in the months and before the instant of ``query`` (as ``spend_sql``)."""
    q = DIALECT.ident
    first = DIALECT.timestamp(datetime.combine(query.first_month, datetime.min.time()))
    end = DIALECT.timestamp(datetime.combine(query.end_month, datetime.min.time()))
    return (
        f"{q('BillingPeriodStart')} >= {first} AND {q('BillingPeriodStart')} < {end} "
        f"AND {q('ChargePeriodStart')} < {DIALECT.timestamp(query.before)}"
    )


def currency_message(path: str, row: int, kind: str, missing: bool) -> str:
    """The error for a costed row without a usable currency."""
    column = currency_column(kind)
    if missing:
        return (
            f"{path}: row {row}: {column}: no currency on a row with a cost (hygiene never adds "
            "amounts of unknown currency)"
        )
    return f"{path}: row {row}: {column}: not an ISO 4217 currency code (three letters, e.g. USD)"


# --------------------------------------------------------------------------- engine messages

_ERROR_KIND = re.compile(r"([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)* Error):")
_KNOWN: Sequence[tuple[re.Pattern[str], str]] = (
    (re.compile(r"not utf-8 encoded|Invalid unicode", re.I), "not UTF-8 text"),
    (
        re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"),
        "expected {0} columns, found {1}",
    ),
    (re.compile(r"unterminated quote", re.I), "a quoted value is not closed"),
    (
        re.compile(r"No magic bytes found|not a parquet file", re.I),
        "not a Parquet file, or a truncated one (no Parquet footer)",
    ),
    (
        re.compile(r"detect the CSV parsing dialect|Error when sniffing", re.I),
        "no CSV dialect fits it (not CSV, or rows with differing numbers of columns)",
    ),
    (re.compile(r"not a GZIP stream", re.I), "not gzip-compressed, though named .gz"),
    (
        re.compile(r"decode|decompress|snappy|zstd|corrupt|invalid page|thrift", re.I),
        "the compressed or Parquet data is corrupt",
    ),
    (re.compile(r"Malformed JSON|Expected OBJECT"), "a tags value is not a JSON object"),
    (re.compile(r"overflow", re.I), "a number is too large"),
    (re.compile(r"Could not convert|out of range", re.I), "a value cannot be converted"),
)


def engine_reason(exc: BaseException) -> str:
    """DuckDB's error as a short phrase that carries no value from the data."""
    text = str(exc)
    head = _ERROR_KIND.match(text)
    kind = head.group(1) if head else type(exc).__name__
    parts = []
    if line := re.search(r"CSV Error on Line: (\d+)", text):
        parts.append(f"CSV error on line {line.group(1)}")
    for pattern, phrase in _KNOWN:
        if found := pattern.search(text):
            parts.append(phrase.format(*found.groups()))
            break
    if not parts:
        parts.append("DuckDB cannot read it")
    return f"{'; '.join(parts)} ({kind})"
