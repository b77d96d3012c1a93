"""Learner and tenant reports: gathered from the existing services, rendered as JSON, HTML,
PDF and CSV (see docs/reports.md)."""
