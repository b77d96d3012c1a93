"""Offline evaluation of mastery models on recorded answers (reading the answer files)."""
