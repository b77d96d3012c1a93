"""Certificates: Open Badges 3.0 credentials for completed programs, signed as VC-JWTs."""
