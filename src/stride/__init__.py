"""Stride: learning progress tracking and analytics."""

__version__ = "0.1.0"
