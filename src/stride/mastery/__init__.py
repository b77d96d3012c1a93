"""Mastery services: fitting a tenant's BKT parameters from its log."""
