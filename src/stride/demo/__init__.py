"""The `stride demo` tenant and its deterministic synthetic learning activity."""
