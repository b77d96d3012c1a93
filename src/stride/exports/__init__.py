"""Exports of the event log and the read models: JSON Lines, CSV, Parquet and xAPI, streamed."""
