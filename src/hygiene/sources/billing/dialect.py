"""The only engine-specific SQL: everything the aggregation query needs that engines spell
differently. DuckDB runs today; Athena (Trino) and BigQuery are written out so the same query in
``sql.py`` can be pushed down to where large organisations keep their billing data.

Known differences, all isolated here:

* tags: DuckDB and Athena parse the FOCUS ``Tags`` JSON object into a map; BigQuery walks the
  object's keys with ``JSON_KEYS``. (The GCP billing export itself is mapped to FOCUS rows by
  ``sources/gcp/billing_export.py``; this query then runs over those rows.)
* which alias wins when one row carries two spellings of a key (``env`` and ``Environment``): DuckDB
  keeps the JSON order (the first one wins, like ``hygiene.tagging``); Trino maps and BigQuery's
  ``JSON_KEYS`` do not keep it, so Athena and BigQuery take the alphabetically first raw key —
  documented, and rare.
* literals: BigQuery timestamps carry an explicit ``+00`` and identifiers use backticks;
  BigQuery has no ``IS NOT DISTINCT FROM``.
* decimals: DECIMAL(38,12) on DuckDB/Athena, BIGNUMERIC on BigQuery.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar


class Dialect:
    """SQL spelling for one engine. Subclasses override what differs."""

    name: ClassVar[str] = "ansi"
    decimal_type: ClassVar[str] = "DECIMAL(38,12)"

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
        return (
            f"list_filter(map_entries({tag_map}), lambda e: {predicate} "
            "AND e.value IS NOT NULL)[1].value"
        )


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


class BigQueryDialect(Dialect):
    """Google BigQuery, e.g. over FOCUS rows of the GCP billing export (sources/gcp)."""

    name = "bigquery"
    decimal_type = "BIGNUMERIC"

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
