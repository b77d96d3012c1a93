"""Live change feed: typed messages from the log, fanned out to streams (SSE, WebSocket)."""
