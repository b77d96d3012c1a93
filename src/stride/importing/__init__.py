"""Bulk import of files (Stride JSON/JSONL, xAPI statements, CSV) through the ingest pipeline."""
