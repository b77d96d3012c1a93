"""The HTTP API: app factory, routers per resource, auth and problem+json errors."""
