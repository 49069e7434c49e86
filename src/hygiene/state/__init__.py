"""State backends behind :class:`hygiene.store.Store`: SQLite (a file) and PostgreSQL (a URL)."""
