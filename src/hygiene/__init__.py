"""hygiene: audit cloud accounts and git repositories against the operational blueprint."""

__version__ = "0.1.0"
