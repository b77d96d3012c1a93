"""Metrics and logging for operators."""
