"""The only engine-specific SQL: everything the aggregation query needs that engines spell
differently. DuckDB runs today; Athena (Trino) and BigQuery are written out so the same query in
``sql.py`` can be pushed down to where large organisations keep their billing data.

Known differences, all isolated here:

* tags: DuckDB and Athena parse the FOCUS ``Tags`` JSON object into a map; BigQuery walks the
  object's keys with ``JSON_KEYS``. (The GCP billing export itself is mapped to FOCUS rows by
  ``sources/gcp/billing_export.py``; this query then runs over those rows.)
* which spelling wins when one row carries two of a key but not the exact one (``env`` and
  ``Environment``): every engine takes the alphabetically first raw key, as ``hygiene.tagging``
  does — DuckDB sorts the map's entries, Athena takes ``array_min`` of the keys, BigQuery orders
  ``JSON_KEYS`` (Trino maps and BigQuery's JSON keep no order of their own).
* literals: BigQuery timestamps carry an explicit ``+00`` and identifiers use backticks;
  BigQuery has no ``IS NOT DISTINCT FROM``.
* decimals: DECIMAL(38,12) on DuckDB/Athena, BIGNUMERIC on BigQuery.
* the GCP billing export → FOCUS query (``sources/gcp/billing_export.py``, BigQuery and DuckDB):
  ``ExportDialect`` at the end of this module.
* AWS CUR tables (``cur.py``, for the file reader on DuckDB and ``athena://…?schema=cur2``): the
  engine's column type names, text timestamps (DuckDB casts any ISO form; Athena parses ISO 8601
  with ``from_iso8601_timestamp``), renaming map keys (DuckDB rebuilds the map from its entries,
  Trino has ``transform_keys``) and a map as JSON text (``to_json`` / ``json_format``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Literal

#: What the CUR mapping needs to know of a column's engine type (see ``Dialect.column_kind``):
#: text, a naive (UTC) timestamp, a map, a struct or JSON value, or anything else (numbers,
#: dates, zoned timestamps), which is cast.
ColumnKind = Literal["text", "timestamp", "map", "json", "other"]


class Dialect:
    """SQL spelling for one engine. Subclasses override what differs."""

    name: ClassVar[str] = "ansi"
    decimal_type: ClassVar[str] = "DECIMAL(38,12)"
    text_type: ClassVar[str] = "VARCHAR"

    def ident(self, name: str) -> str:
        """A quoted identifier."""
        return '"' + name.replace('"', '""') + '"'

    def string(self, value: str) -> str:
        """A string literal."""
        return "'" + value.replace("'", "''") + "'"

    def strings(self, values: Sequence[str]) -> str:
        """A parenthesised list of string literals for IN."""
        return "(" + ", ".join(self.string(v) for v in values) + ")"

    def timestamp(self, moment: datetime) -> str:
        """A UTC timestamp literal (naive timestamps in the model are UTC)."""
        return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S')}'"

    def date(self, day: date) -> str:
        """A date literal."""
        return f"DATE '{day.isoformat()}'"

    def month_start(self, expr: str) -> str:
        """The first day (DATE) of the month of a timestamp expression."""
        return f"CAST(date_trunc('month', {expr}) AS DATE)"

    def day(self, expr: str) -> str:
        """The DATE of a timestamp expression."""
        return f"CAST({expr} AS DATE)"

    def trim(self, expr: str) -> str:
        """Whitespace trimmed on both sides."""
        return f"trim({expr})"

    def null_safe_equal(self, left: str, right: str) -> str:
        """Equality where two NULLs are equal."""
        return f"{left} IS NOT DISTINCT FROM {right}"

    def tag_map(self, tags: str) -> str:
        """The tags JSON text as a map from key to value."""
        raise NotImplementedError

    def first_tag_value(self, tag_map: str, *, exact: str | None, lowered: Sequence[str]) -> str:
        """The value of the first non-null entry whose key equals ``exact`` (when given), else
        whose trimmed lower-cased key is one of ``lowered``."""
        raise NotImplementedError

    def column_kind(self, type_name: str) -> ColumnKind:
        """What a column of the engine's type ``type_name`` is to the CUR mapping."""
        raise NotImplementedError

    def utc_timestamp(self, expr: str, kind: ColumnKind) -> str:
        """A non-timestamp expression (``kind`` text: ISO 8601, already cleaned) as a naive UTC
        timestamp."""
        raise NotImplementedError

    def strip_key_prefix(self, tag_map: str, prefix: str) -> str:
        """The map with ``prefix`` (plain letters, digits and ``_``) removed from its keys."""
        raise NotImplementedError

    def map_json(self, tag_map: str) -> str:
        """A map (or struct) as JSON object text; NULL stays NULL."""
        raise NotImplementedError


class DuckDBDialect(Dialect):
    """DuckDB (embedded; files larger than memory spill to disk)."""

    name = "duckdb"

    def trim(self, expr: str) -> str:
        return f"trim({expr}, ' ' || chr(9) || chr(10) || chr(13))"  # also tabs and newlines

    def tag_map(self, tags: str) -> str:
        return f"CAST(json({tags}) AS MAP(VARCHAR, VARCHAR))"

    def first_tag_value(self, tag_map: str, *, exact: str | None, lowered: Sequence[str]) -> str:
        if exact is not None:
            predicate = f"e.key = {self.string(exact)}"
        else:
            predicate = f"lower({self.trim('e.key')}) IN {self.strings(lowered)}"
        return (  # sorted by key: the alphabetically first spelling, as on Athena and BigQuery
            f"list_filter(list_sort(map_entries({tag_map})), lambda e: {predicate} "
            "AND e.value IS NOT NULL)[1].value"
        )

    def column_kind(self, type_name: str) -> ColumnKind:
        name = type_name.strip().upper()
        if name == "VARCHAR":
            return "text"
        if name == "TIMESTAMP":
            return "timestamp"
        if name.startswith("MAP("):
            return "map"
        if name.startswith("STRUCT(") or name == "JSON":
            return "json"
        return "other"

    def utc_timestamp(self, expr: str, kind: ColumnKind) -> str:
        return f"CAST(CAST({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"

    def strip_key_prefix(self, tag_map: str, prefix: str) -> str:
        return (
            f"map_from_entries(list_transform(map_entries({tag_map}), lambda e: "
            f"{{'key': regexp_replace(e.key, {self.string('^' + prefix)}, ''), 'value': e.value}}))"
        )

    def map_json(self, tag_map: str) -> str:
        return f"CAST(to_json({tag_map}) AS VARCHAR)"


class AthenaDialect(Dialect):
    """Amazon Athena (Trino SQL), where CUR and FOCUS exports are usually queried."""

    name = "athena"

    def tag_map(self, tags: str) -> str:
        return f"CAST(json_parse({tags}) AS MAP(VARCHAR, VARCHAR))"

    def first_tag_value(self, tag_map: str, *, exact: str | None, lowered: Sequence[str]) -> str:
        if exact is not None:
            predicate = f"k = {self.string(exact)}"
        else:
            predicate = f"lower(trim(k)) IN {self.strings(lowered)}"
        filtered = f"map_filter({tag_map}, (k, v) -> {predicate} AND v IS NOT NULL)"
        return f"element_at({filtered}, array_min(map_keys({filtered})))"

    def column_kind(self, type_name: str) -> ColumnKind:
        # Glue / Hive names as the Data Catalog stores them ("string", "map<string,string>"),
        # or Trino's ("varchar(20)", "map(varchar, varchar)")
        name = type_name.strip().lower()
        if name == "string" or name.startswith(("varchar", "char")):
            return "text"
        if name == "timestamp" or (name.startswith("timestamp(") and "zone" not in name):
            return "timestamp"
        if name.startswith("map"):
            return "map"
        if name.startswith(("struct", "row")) or name == "json":
            return "json"
        return "other"

    def utc_timestamp(self, expr: str, kind: ColumnKind) -> str:
        if kind == "text":  # CUR writes ISO 8601 with a zone: 2024-09-01T00:00:00Z
            return f"CAST(from_iso8601_timestamp({expr}) AT TIME ZONE 'UTC' AS TIMESTAMP)"
        return f"CAST({expr} AS TIMESTAMP)"

    def strip_key_prefix(self, tag_map: str, prefix: str) -> str:
        return (
            f"transform_keys({tag_map}, (k, v) -> "
            f"regexp_replace(k, {self.string('^' + prefix)}, ''))"
        )

    def map_json(self, tag_map: str) -> str:
        return f"json_format(CAST({tag_map} AS JSON))"


class BigQueryDialect(Dialect):
    """Google BigQuery, e.g. over FOCUS rows of the GCP billing export (sources/gcp)."""

    name = "bigquery"
    decimal_type = "BIGNUMERIC"
    text_type = "STRING"

    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "\\`") + "`"

    def string(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def timestamp(self, moment: datetime) -> str:
        return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S')}+00'"

    def month_start(self, expr: str) -> str:
        return f"DATE_TRUNC(DATE({expr}), MONTH)"

    def day(self, expr: str) -> str:
        return f"DATE({expr})"

    def null_safe_equal(self, left: str, right: str) -> str:
        return f"({left} = {right} OR ({left} IS NULL AND {right} IS NULL))"

    def tag_map(self, tags: str) -> str:
        return f"PARSE_JSON({tags})"

    def column_kind(self, type_name: str) -> ColumnKind:
        # a table schema's field types: STRING, TIMESTAMP, JSON, RECORD, NUMERIC…
        name = type_name.strip().upper()
        if name == "STRING":
            return "text"
        if name == "TIMESTAMP":
            return "timestamp"
        if name in ("JSON", "RECORD", "STRUCT"):
            return "json"
        return "other"

    def utc_timestamp(self, expr: str, kind: ColumnKind) -> str:
        return f"CAST({expr} AS TIMESTAMP)"

    def map_json(self, tag_map: str) -> str:
        return f"TO_JSON_STRING({tag_map})"

    def first_tag_value(self, tag_map: str, *, exact: str | None, lowered: Sequence[str]) -> str:
        if exact is not None:
            predicate = f"k = {self.string(exact)}"
        else:
            predicate = f"LOWER(TRIM(k)) IN {self.strings(lowered)}"
        value = f"LAX_STRING({tag_map}[k])"
        return (
            f"(SELECT {value} FROM UNNEST(JSON_KEYS({tag_map}, 1)) AS k "
            f"WHERE {predicate} AND {value} IS NOT NULL ORDER BY k LIMIT 1)"
        )


DIALECTS: dict[str, Dialect] = {
    "duckdb": DuckDBDialect(),
    "athena": AthenaDialect(),
    "bigquery": BigQueryDialect(),
}


@dataclass(frozen=True)
class ExportDialect:
    """Everything that differs between BigQuery and DuckDB for the GCP billing export → FOCUS
    query (``sources/gcp/billing_export.py``)."""

    name: str
    numeric: str  # exact decimal type
    day: str  # truncate usage_start_time to its day
    to_json: str  # an ARRAY<STRUCT<key, value>> as a JSON string
    unnest_credits: str  # join each row to its credits, aliased ``c``
    param: str  # a named query parameter
    null_string: str  # a typed NULL string
    invoice_month: str  # invoice.month ("202611") as the first instant of that month

    def table(self, name: str) -> str:
        """The quoted table name."""
        if self.name == "bigquery":
            return f"`{name}`"
        return ".".join(f'"{part}"' for part in name.split("."))


BIGQUERY_EXPORT = ExportDialect(
    name="bigquery",
    numeric="NUMERIC",
    day="TIMESTAMP_TRUNC(usage_start_time, DAY)",
    to_json="TO_JSON_STRING({})",
    unnest_credits="CROSS JOIN UNNEST(credits) AS c",
    param="@{}",
    null_string="CAST(NULL AS STRING)",
    invoice_month="TIMESTAMP(PARSE_DATE('%Y%m', invoice.month))",
)
DUCKDB_EXPORT = ExportDialect(
    name="duckdb",
    numeric="DECIMAL(38, 9)",
    day="date_trunc('day', usage_start_time)",
    to_json="CAST(to_json({}) AS VARCHAR)",
    unnest_credits="CROSS JOIN UNNEST(credits) AS credit_rows(c)",
    param="${}",
    null_string="CAST(NULL AS VARCHAR)",
    invoice_month="CAST(strptime(invoice.month, '%Y%m') AS TIMESTAMPTZ)",
)
