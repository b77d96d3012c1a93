"""xAPI's own errors; the xAPI routes answer every invalid input with 400, as the spec says."""

from __future__ import annotations

from stride.errors import InvalidInput


class InvalidStatement(InvalidInput):
    """A statement, a batch or a query the xAPI specification does not allow (400)."""

    code = "invalid_statement"
