"""`stride verify`: compare every read model with a rebuild from the log, in a scratch copy."""
