"""Privacy by design: pseudonymous learner keys (consent, PII and erasure build on this)."""
