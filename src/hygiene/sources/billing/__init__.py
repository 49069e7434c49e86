"""Billing data as one internal model (FOCUS columns) and the SQL that aggregates it.

``model`` holds the plain records checks consume, ``dialect`` the only engine-specific SQL
(DuckDB now; Athena and BigQuery written so a later issue can push the query down), ``sql`` the
aggregation query itself, ``tags`` the SQL twin of ``hygiene.tagging``.
"""
