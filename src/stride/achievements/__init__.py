"""Achievements and points: criteria, definitions, awarding and the weekly points ledger."""
