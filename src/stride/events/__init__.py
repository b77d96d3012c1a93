"""The learning event: its schema, its known types and its validation."""
