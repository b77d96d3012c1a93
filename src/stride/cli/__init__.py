"""The `stride` command line."""
