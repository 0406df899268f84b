"""Evaluation harness: the same test sessions scored by detectors trained with and without synthetic sessions."""
