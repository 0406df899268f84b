"""Command-line options that several commands share, declared once; each command names only its default."""

from __future__ import annotations

from typing import Any

import typer

from anomalygen.core import formats


def format_option(default: str | None, default_note: str | None = None) -> Any:
    """`--format/-f`: the header format of the logs, its help made from the format registry (`core/formats.py`);
    `default_note` says what a None default stands for."""
    note = f" (default: {default_note})" if default_note else ""
    return typer.Option(default, "--format", "-f", help=formats.help_text() + note)
