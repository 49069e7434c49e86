"""Publish stage: output formats, reports, alerts, metrics."""
