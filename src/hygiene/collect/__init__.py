"""Per-check collectors: each calls ``sources/`` and returns a ``Collection`` of plain records.
This is the only layer that knows which sources feed which check."""
