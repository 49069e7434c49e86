"""Billing files → the FOCUS model → spend records, aggregated by DuckDB.

Reads FOCUS exports (AWS Data Exports, Azure, the GCP FOCUS export), AWS CUR legacy CSV
(``lineItem/UnblendedCost``, ``resourceTags/user:Project``) and CUR 2.0 (``line_item_unblended_cost``,
the ``resource_tags`` map) as CSV, CSV.gz or Parquet, from a file, a directory, a glob or an
``s3://`` URL (objects are downloaded into the cache first, then read locally). Each group of
files of one kind becomes a SELECT with the FOCUS columns (the CUR mappings are
``billing/cur.py``, shared with the Athena pushdown); the union of them is aggregated by the
query of ``billing/sql.py``. DuckDB streams the files and spills to disk past its memory limit,
so bills far larger than memory work; only the small aggregate comes back to Python.
"""

from __future__ import annotations

import csv
import glob
import gzip
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import (
    FOCUS_COLUMNS,
    ResourceCost,
    ResourceSpend,
    SpendRow,
)
from hygiene.sources.billing.cur import (
    CUR_NAMES,
    Columns,
    CurColumnsMissing,
    cur2_exprs,
    cur_exprs,
    select,
)
from hygiene.sources.billing.diagnose import (
    currency_message,
    engine_reason,
    first_bad_value,
    first_currency_problem,
    is_currency,
    keep_order,
    normalise_currency,
)
from hygiene.sources.billing.dialect import DuckDBDialect
from hygiene.sources.billing.focus import FocusColumnsMissing, focus_columns_exprs
from hygiene.sources.billing.sql import (
    BASE_OUTPUT,
    RESOURCE_OUTPUT,
    ResourceQuery,
    SpendQuery,
    resource_sql,
    spend_sql,
)

log = logging.getLogger(__name__)

Kind = Literal["focus", "cur", "cur2"]
FileType = Literal["csv", "parquet"]

SUFFIXES: dict[str, FileType] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".csv.zst": "csv",
    ".parquet": "parquet",
    ".snappy.parquet": "parquet",
}
DIALECT = DuckDBDialect()


class BillingSourceError(HygieneError):
    """A billing source cannot be found or read."""


@dataclass(frozen=True)
class BillingFile:
    """One local file and what it holds."""

    path: str
    filetype: FileType


# --------------------------------------------------------------------------- locating files


def file_type(path: str) -> FileType | None:
    """csv or parquet from the file name; None for anything else."""
    lowered = path.lower()
    for suffix, kind in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if lowered.endswith(suffix):
            return kind
    return None


def expand(spec: str, cache_dir: Path, aws: Callable[[], Any] | None = None) -> list[BillingFile]:
    """The billing files a source names: a file, a directory (recursively), a glob or s3://
    (``aws`` returns the ``AwsScope`` to download with)."""
    if spec.startswith("s3://"):
        from hygiene.sources.aws.billing import download_s3_prefix

        if aws is None:
            raise BillingSourceError(f"billing source {spec!r}: s3:// needs AWS access here")
        paths = download_s3_prefix(aws(), spec, cache_dir / "s3", [*SUFFIXES])
    elif any(ch in spec for ch in "*?["):
        paths = sorted(glob.glob(spec, recursive=True))
    elif os.path.isdir(spec):
        paths = sorted(str(p) for p in Path(spec).rglob("*") if p.is_file() and file_type(str(p)))
    elif os.path.isfile(spec):
        paths = [spec]
    else:
        raise BillingSourceError(
            f"billing source {spec!r}: no such file or directory (check billing.sources in the "
            "policy or --source)"
        )
    files = [BillingFile(p, t) for p in paths if (t := file_type(p)) is not None]
    if not files:
        raise BillingSourceError(
            f"billing source {spec!r}: no .csv, .csv.gz or .parquet files found there"
        )
    return files


# --------------------------------------------------------------------------- reading


def connect(
    memory_limit: str | None = None, temp_dir: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection in UTC, with a memory limit and a spill directory."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit:
        con.execute(f"SET memory_limit = {DIALECT.string(memory_limit)}")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {DIALECT.string(str(temp_dir))}")
    con.execute("SET preserve_insertion_order = false")
    return con


def _reader(files: Sequence[BillingFile]) -> str:
    paths = "[" + ", ".join(DIALECT.string(f.path) for f in files) + "]"
    if files[0].filetype == "parquet":
        return f"read_parquet({paths}, union_by_name = true)"
    return f"read_csv({paths}, all_varchar = true, header = true, union_by_name = true)"


def columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name → DuckDB type of a relation."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def detect_kind(columns: Iterable[str]) -> Kind | None:
    """focus, cur (legacy) or cur2 from the column names."""
    names = set(columns)
    if "BilledCost" in names:
        return "focus"
    if "lineItem/UnblendedCost" in names:
        return "cur"
    if "line_item_unblended_cost" in names:
        return "cur2"
    return None


def focus_select(kind: Kind, relation: str, types: dict[str, str], where: str) -> str:
    """SELECT of the FOCUS columns from one relation of ``kind`` (``types``: DuckDB's)."""
    columns = Columns.of(DIALECT, types)
    return select(columns, focus_exprs(kind, columns, where), relation)


def focus_exprs(kind: Kind, columns: Columns, where: str) -> dict[str, str]:
    """FOCUS column → expression over a relation of ``kind``; missing columns name ``where``."""
    try:
        if kind == "focus":
            return _focus_exprs(columns, where)
        if kind == "cur":
            return _cur_exprs(columns)
        return cur2_exprs(columns)
    except CurColumnsMissing as exc:
        raise BillingSourceError(f"{where}: {exc}") from None


def _focus_exprs(columns: Columns, where: str) -> dict[str, str]:
    try:
        return focus_columns_exprs(columns)
    except FocusColumnsMissing as exc:
        raise BillingSourceError(f"{where}: {exc}") from None


LEGACY_TAG_PREFIX = "resourceTags/user:"


def _cur_exprs(columns: Columns) -> dict[str, str]:
    """Legacy CUR: tags are ``resourceTags/user:KEY`` columns, assembled into a JSON object."""
    prefix = LEGACY_TAG_PREFIX
    tag_cols = [c for c in columns.kinds if c.startswith(prefix)]
    if tag_cols:
        pairs = ", ".join(
            f"{DIALECT.string(c[len(prefix) :])}, {columns.clean(c)}" for c in tag_cols
        )
        tags = f"CAST(json_object({pairs}) AS VARCHAR)"
    else:
        tags = columns.null()
    return cur_exprs(columns, CUR_NAMES, tags)


@dataclass(frozen=True)
class FileGroup:
    """Billing files of one kind and file type, read as one relation."""

    kind: Kind
    files: tuple[BillingFile, ...]

    @property
    def where(self) -> str:
        """The files, for messages."""
        first = self.files[0].path
        return first if len(self.files) == 1 else f"{first} (+{len(self.files) - 1} files)"


def file_groups(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[str],
    cache_dir: Path,
    aws: Callable[[], Any] | None = None,
) -> list[FileGroup]:
    """Every file the specs name, grouped by kind and file type (a file read as neither FOCUS
    nor CUR, or one DuckDB cannot open, is an error naming it)."""
    groups: dict[tuple[Kind, FileType], list[BillingFile]] = {}
    for spec in specs:
        for billing_file in expand(spec, cache_dir, aws):
            types = _columns_of_file(con, billing_file)
            kind = detect_kind(types)
            if kind is None:
                raise BillingSourceError(_not_billing(billing_file))
            groups.setdefault((kind, billing_file.filetype), []).append(billing_file)
    return [FileGroup(kind, tuple(files)) for (kind, _), files in sorted(groups.items())]


def _not_billing(billing_file: BillingFile) -> str:
    """Why DuckDB found no cost column: a foreign file, or a billing CSV it could not parse."""
    if billing_file.filetype == "csv" and detect_kind(_raw_header(billing_file.path)):
        return (
            f"{billing_file.path}: its header names a cost column but DuckDB cannot read it as "
            "CSV (a row with a different number of columns, broken quoting, or a truncated file)"
        )
    return (
        f"{billing_file.path}: not a FOCUS, CUR or CUR 2.0 file (no BilledCost, "
        "lineItem/UnblendedCost or line_item_unblended_cost column)"
    )


def _raw_header(path: str, limit: int = 1 << 16) -> list[str]:
    """The column names on a CSV file's first line, read without DuckDB ([] when unreadable)."""
    try:
        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "rb") as handle:
            first = handle.readline(limit)
        return next(csv.reader([first.decode("utf-8-sig", errors="replace")]), [])
    except (OSError, EOFError, csv.Error):
        return []


def _columns_of_file(con: duckdb.DuckDBPyConnection, billing_file: BillingFile) -> dict[str, str]:
    try:
        return columns_of(con, _reader([billing_file]))
    except duckdb.Error as exc:
        raise BillingSourceError(
            f"{billing_file.path}: cannot read: {engine_reason(exc)}"
        ) from None


def group_select(con: duckdb.DuckDBPyConnection, group: FileGroup) -> str:
    """The FOCUS SELECT over one group's files."""
    relation = _reader(group.files)
    try:
        types = columns_of(con, relation)
    except duckdb.Error as exc:
        raise BillingSourceError(f"{group.where}: cannot read: {engine_reason(exc)}") from None
    return focus_select(group.kind, relation, types, group.where)


def union_relation(con: duckdb.DuckDBPyConnection, groups: Sequence[FileGroup]) -> str:
    """A parenthesised UNION ALL of every group's FOCUS SELECT."""
    return "(" + "\nUNION ALL\n".join(group_select(con, g) for g in groups) + ")"


def focus_relation(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[str],
    cache_dir: Path,
    aws: Callable[[], Any] | None = None,
) -> str:
    """A parenthesised SELECT of the FOCUS columns over every file the specs name."""
    return union_relation(con, file_groups(con, specs, cache_dir, aws))


def read_spend(
    specs: Sequence[str],
    query: SpendQuery,
    policy: TagsPolicy,
    *,
    cache_dir: Path = Path(".hygiene/cache"),
    memory_limit: str | None = None,
    aws: Callable[[], Any] | None = None,
) -> list[SpendRow]:
    """Aggregate the billing files ``specs`` into spend records (see ``billing/sql.py``);
    ``aws`` returns the ``AwsScope`` that downloads ``s3://`` sources."""
    con = connect(memory_limit, cache_dir / "duckdb-tmp")
    try:
        groups = file_groups(con, specs, cache_dir, aws)
        sql = spend_sql(DIALECT, f"{union_relation(con, groups)} AS focus", query, policy)
        log.debug("spend query: %s", sql)
        readables = [
            Readable(f.path, _reader([f]), group.kind) for group in groups for f in group.files
        ]
        return _aggregate(con, sql, readables, query, f"billing source {', '.join(specs)}")
    finally:
        con.close()


def read_resource_costs(
    specs: Sequence[str],
    query: ResourceQuery,
    policy: TagsPolicy,
    *,
    cache_dir: Path = Path(".hygiene/cache"),
    memory_limit: str | None = None,
    aws: Callable[[], Any] | None = None,
) -> ResourceSpend:
    """Per-resource cost of ``query.month`` in the billing files ``specs``, aggregated by DuckDB
    (``billing/sql.resource_sql``): bounded by ``query.limit`` resources per currency."""
    con = connect(memory_limit, cache_dir / "duckdb-tmp")
    try:
        groups = file_groups(con, specs, cache_dir, aws)
        sql = resource_sql(DIALECT, f"{union_relation(con, groups)} AS focus", query, policy)
        try:
            rows = con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise BillingSourceError(
                f"billing source {', '.join(specs)}: cannot aggregate per resource: "
                f"{engine_reason(exc)}"
            ) from None
        return resource_spend(rows, query)
    finally:
        con.close()


def resource_spend(rows: Iterable[Sequence[Any]], query: ResourceQuery) -> ResourceSpend:
    """Output rows of ``resource_sql`` as a :class:`ResourceSpend` (rows without a currency
    that cost nothing dropped, currencies upper-cased)."""
    costs = [to_resource_cost(row, query.tag_keys) for row in rows]
    kept = [
        replace(c, currency=normalise_currency(c.currency))
        for c in costs
        if is_currency(normalise_currency(c.currency)) or c.billed_cost or c.effective_cost
    ]
    return ResourceSpend(month=query.month, limit=query.limit, costs=kept)


def to_resource_cost(row: Sequence[Any], tag_keys: Sequence[str]) -> ResourceCost:
    """One output row of ``resource_sql`` as a record."""
    base = len(RESOURCE_OUTPUT)
    currency, resource_id, untaggable, tail, provider, sub_account, service, name = row[:base]
    billed, effective, line_items, resources = row[base + len(tag_keys) :]
    return ResourceCost(
        resource_id=resource_id,
        currency=currency or "",
        provider=provider or "",
        sub_account=sub_account,
        service=service,
        untaggable=untaggable,
        tags=dict(zip(tag_keys, row[base : base + len(tag_keys)], strict=True)),
        billed_cost=_dec(billed),
        effective_cost=_dec(effective),
        line_items=int(line_items or 0),
        resources=int(resources or 0),
        tail=bool(int(tail or 0)),
        name=name,
    )


@dataclass(frozen=True)
class Readable:
    """One file (or the registered records) as diagnosis reads it: alone, row by row."""

    label: str
    reader: str
    kind: Kind


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    readables: Sequence[Readable],
    query: SpendQuery,
    label: str,
) -> list[SpendRow]:
    """Run the aggregation; a failure or a row without a currency is an error naming the
    file, row and column (``billing/diagnose.py``), never a value of the bill."""
    try:
        rows = con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise _diagnosed(con, readables, exc, label) from None
    spend = [to_spend_row(row, query.tag_keys) for row in rows]
    return checked_currencies(spend, lambda: _currency_error(con, readables, query), label)


def _diagnosed(
    con: duckdb.DuckDBPyConnection, readables: Sequence[Readable], exc: duckdb.Error, label: str
) -> BillingSourceError:
    keep_order(con)
    for readable in readables:
        try:
            found = first_bad_value(con, readable.reader, readable.kind)
        except duckdb.Error as read_error:
            return BillingSourceError(f"{readable.label}: cannot read: {engine_reason(read_error)}")
        if found is not None:
            row, check = found
            return BillingSourceError(
                f"{readable.label}: row {row}: {check.column}: {check.problem}"
            )
    return BillingSourceError(f"{label}: cannot aggregate: {engine_reason(exc)}")


def _currency_error(
    con: duckdb.DuckDBPyConnection, readables: Sequence[Readable], query: SpendQuery
) -> BillingSourceError | None:
    keep_order(con)
    for readable in readables:

        def exprs_of(columns: Columns, readable: Readable = readable) -> dict[str, str]:
            return focus_exprs(readable.kind, columns, readable.label)

        try:
            found = first_currency_problem(con, readable.reader, exprs_of, query)
        except duckdb.Error as read_error:
            return BillingSourceError(f"{readable.label}: cannot read: {engine_reason(read_error)}")
        if found is not None:
            row, missing = found
            return BillingSourceError(currency_message(readable.label, row, readable.kind, missing))
    return None


def checked_currencies(
    rows: Sequence[SpendRow], locate: Callable[[], HygieneError | None], label: str
) -> list[SpendRow]:
    """Currencies as ISO 4217 codes: trimmed and upper-cased (``usd`` and ``USD`` are one
    currency, their rows merged). A row without a currency, or with one that is not three
    letters, is an error (``locate`` names its file and row) unless it costs nothing — zero
    BilledCost and EffectiveCost — and is then ignored."""
    codes = [normalise_currency(row.currency) for row in rows]
    if not all(is_currency(code) for code in codes) and (problem := locate()) is not None:
        raise problem
    merged: dict[tuple[Any, ...], SpendRow] = {}
    ignored = 0
    for row, code in zip(rows, codes, strict=True):
        if not is_currency(code):
            if row.billed_cost or row.effective_cost:  # locate found no row: cannot happen
                raise BillingSourceError(f"{label}: a charge without an ISO 4217 currency")
            ignored += row.line_items
            continue
        key = (
            row.billing_month,
            row.day,
            code,
            row.provider,
            row.sub_account,
            row.service,
            row.category,
            *row.tags.items(),
        )
        before = merged.get(key)
        merged[key] = replace(row, currency=code) if before is None else _plus(before, row)
    if ignored:
        log.info("%s: %d line item(s) of zero cost without a currency ignored", label, ignored)
    return list(merged.values())


def _plus(one: SpendRow, other: SpendRow) -> SpendRow:
    return replace(
        one,
        billed_cost=one.billed_cost + other.billed_cost,
        effective_cost=one.effective_cost + other.effective_cost,
        line_items=one.line_items + other.line_items,
    )


def to_spend_row(row: Sequence[Any], tag_keys: Sequence[str]) -> SpendRow:
    """One output row of the aggregation query (columns as ``output_columns``) as a record."""
    base = len(BASE_OUTPUT)
    month, day, currency, provider, sub_account, sub_account_name, service, category = row[:base]
    billed, effective, line_items = row[base + len(tag_keys) :]
    return SpendRow(
        billing_month=month,
        day=day,
        currency=currency or "",
        provider=provider or "",
        sub_account=sub_account,
        sub_account_name=sub_account_name,
        service=service,
        category=category,
        tags=dict(zip(tag_keys, row[base : base + len(tag_keys)], strict=True)),
        billed_cost=_dec(billed),
        effective_cost=_dec(effective),
        line_items=int(line_items),
    )


def _dec(value: object) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def read_focus_records(
    records: Sequence[Mapping[str, Any]], query: SpendQuery, policy: TagsPolicy
) -> list[SpendRow]:
    """Aggregate FOCUS-shaped dicts (e.g. ``sources/gcp/billing_export.query_export``) with the
    same query as the files, so tags and months are treated identically."""
    con = connect()
    try:
        relation = _register_records(con, records)
        sql = spend_sql(DIALECT, f"({relation}) AS focus", query, policy)
        readables = [Readable("FOCUS records", "focus_records", "focus")]
        return _aggregate(con, sql, readables, query, "FOCUS records")
    finally:
        con.close()


def read_focus_record_resources(
    records: Sequence[Mapping[str, Any]], query: ResourceQuery, policy: TagsPolicy
) -> ResourceSpend:
    """Per-resource cost of FOCUS-shaped dicts (the GCP export's rows per resource and month),
    by the same query as the files."""
    con = connect()
    try:
        relation = _register_records(con, records)
        sql = resource_sql(DIALECT, f"({relation}) AS focus", query, policy)
        return resource_spend(con.execute(sql).fetchall(), query)
    finally:
        con.close()


def _register_records(con: duckdb.DuckDBPyConnection, records: Sequence[Mapping[str, Any]]) -> str:
    """The dicts as the DuckDB view ``focus_records``; returns the FOCUS SELECT over it."""
    import pandas as pd

    frame = pd.DataFrame.from_records(
        [{name: record.get(name) for name in FOCUS_COLUMNS} for record in records],
        columns=list(FOCUS_COLUMNS),
    )
    for name, kind in FOCUS_COLUMNS.items():
        if kind != "timestamp":
            frame[name] = frame[name].astype(object).map(lambda v: None if v is None else str(v))
    con.register("focus_records", frame)
    relation = "(SELECT * FROM focus_records)"
    types = {name: "VARCHAR" for name, kind in FOCUS_COLUMNS.items() if kind != "timestamp"}
    types.update(
        {name: "TIMESTAMPTZ" for name, kind in FOCUS_COLUMNS.items() if kind == "timestamp"}
    )
    return focus_select("focus", relation, types, "FOCUS records")
