"""Webhooks: tenants' subscriptions to log events, delivered signed and retried, after ingest."""
