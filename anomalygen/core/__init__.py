"""Vocabulary every stage shares (log levels, session keys, template text); imports nothing of the project."""
