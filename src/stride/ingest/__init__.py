"""The write path: validate -> pseudonymize -> append -> project, in one transaction."""
