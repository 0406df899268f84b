"""The base of every error in the user's input, so that `anomalygen/errors.py` can turn them all into one line
and exit code 2 while knowing no stage: a stage's own input error (a bad format string, a malformed sessions file,
a config key out of range) subclasses `InputError` where the stage defines it."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input, already phrased as one line that names the file (and line)."""
