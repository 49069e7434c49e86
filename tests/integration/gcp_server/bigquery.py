"""A local BigQuery REST endpoint (``jobs.query``) backed by DuckDB, for tests.

The real ``google-cloud-bigquery`` client posts its SQL to ``/bigquery/v2/projects/P/queries``.
This server accepts exactly the billing-export query in the BigQuery dialect, runs the *same*
query in the DuckDB dialect over a table with the export's schema, and answers in BigQuery's
JSON wire format (``schema`` + ``rows[].f[].v``, TIMESTAMPs as int64 microseconds). Any other
SQL is a 400, so a drift between the two dialects' texts fails the test.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb

from hygiene.sources.gcp.billing_export import BIGQUERY, DUCKDB, export_sql

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "fixtures" / "gcp" / "billing_export_schema.sql"
_PATH = re.compile(r"^/bigquery/v2/projects/([^/]+)/queries$")


def create_export_table(
    connection: Any, table: str, rows: list[dict[str, Any]], detailed: bool
) -> None:
    """Create ``table`` (``project.dataset.table`` becomes a quoted DuckDB name) and load rows."""
    quoted = DUCKDB.table(table)
    resource = ", resource STRUCT(name VARCHAR, global_name VARCHAR)" if detailed else ""
    if "." in table:
        catalog_schema = table.rsplit(".", 1)[0].split(".")
        if len(catalog_schema) == 2:
            connection.execute(f"ATTACH IF NOT EXISTS ':memory:' AS \"{catalog_schema[0]}\"")
            connection.execute(
                f'CREATE SCHEMA IF NOT EXISTS "{catalog_schema[0]}"."{catalog_schema[1]}"'
            )
    connection.execute(SCHEMA_SQL.read_text().format(table=quoted, resource=resource))
    if not rows:
        return
    import pyarrow as pa

    schema = connection.execute(f"SELECT * FROM {quoted} LIMIT 0").arrow().schema
    batch = pa.Table.from_pylist(
        [{n: row.get(n) for n in schema.names} for row in rows], schema=schema
    )
    connection.register("export_rows", batch)
    try:
        connection.execute(f"INSERT INTO {quoted} SELECT * FROM export_rows")
    finally:
        connection.unregister("export_rows")


class BigQueryServer:
    """``jobs.query`` on 127.0.0.1 over DuckDB tables; ``queries`` records the SQL received."""

    def __init__(self) -> None:
        self.connection = duckdb.connect()
        self.tables: dict[str, bool] = {}  # table → detailed
        self.queries: list[dict[str, Any]] = []
        self.denied_projects: set[str] = set()
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The value for ``HYGIENE_GCP_BIGQUERY_ENDPOINT``."""
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> BigQueryServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._http.shutdown()
        self._http.server_close()

    def reset(self) -> None:
        """Drop the tables and the log."""
        with self._lock:
            self.connection.close()
            self.connection = duckdb.connect()
            self.tables.clear()
            self.queries.clear()
            self.denied_projects.clear()

    def load(self, table: str, rows: list[dict[str, Any]], detailed: bool = False) -> None:
        """Create an export table with these rows."""
        with self._lock:
            create_export_table(self.connection, table, rows, detailed)
            self.tables[table] = detailed

    def answer(self, project: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The ``jobs.query`` response for ``body``: (HTTP status, JSON)."""
        with self._lock:
            self.queries.append({"project": project, **body})
            if project in self.denied_projects:
                return 403, _error(
                    403,
                    "PERMISSION_DENIED",
                    "accessDenied",
                    f"User does not have bigquery.jobs.create permission in project {project}.",
                )
            for table, detailed in self.tables.items():
                kind = "detailed" if detailed else "standard"
                for by_resource in (False, True):
                    if body.get("query") != export_sql(BIGQUERY, table, kind, by_resource):
                        continue
                    params = {
                        p["name"]: datetime.fromisoformat(
                            p["parameterValue"]["value"].replace(" ", "T")
                        )
                        for p in body.get("queryParameters", [])
                    }
                    sql = export_sql(DUCKDB, table, kind, by_resource)
                    cursor = self.connection.execute(sql, params)
                    return 200, _response(project, cursor.description, cursor.fetchall())
        return 400, _error(
            400, "INVALID_ARGUMENT", "invalidQuery", "query not understood by the test server"
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = _PATH.match(self.path.split("?", 1)[0])
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if match is None:
                    status, payload = 404, _error(404, "NOT_FOUND", "notFound", self.path)
                else:
                    status, payload = server.answer(match.group(1), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        return Handler


def _bq_type(value: Any, duck_type: Any) -> str:
    text = str(duck_type).upper()
    if "TIMESTAMP" in text or "DATE" in text:
        return "TIMESTAMP"
    if "DECIMAL" in text:
        return "NUMERIC"
    return "STRING"


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return str(int(value.timestamp() * 1_000_000))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _response(project: str, description: Any, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    fields = [{"name": d[0], "type": _bq_type(None, d[1]), "mode": "NULLABLE"} for d in description]
    return {
        "kind": "bigquery#queryResponse",
        "schema": {"fields": fields},
        "jobReference": {"projectId": project, "jobId": "job_local", "location": "US"},
        "totalRows": str(len(rows)),
        "rows": [{"f": [{"v": _cell(v)} for v in row]} for row in rows],
        "jobComplete": True,
        "cacheHit": False,
    }


def _error(code: int, status: str, reason: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": status,
        }
    }
