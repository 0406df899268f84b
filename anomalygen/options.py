"""Command-line options declared once. A stage's settings are the fields of its request dataclass that `setting`
marks (help, short flags); `parameters` makes a command's options from them, with the field's own type and
default, and `request_values` hands what the command line gave back to the request. Options several commands
share (`format_option`) are here too."""

from __future__ import annotations

import inspect
import sys
from dataclasses import MISSING, Field, fields
from typing import Any

from anomalygen.core import formats

# `--labels-conflict` of sessions, train and detect, whose defaults are all error
LABELS_CONFLICT_HELP = (
    "a session id labelled twice, differently: error (naming both lines) | first | last (that row's label wins)"
)


def setting(
    help: str,
    *short: str,
    flag: str | None = None,
    argument: bool = False,
    required: bool = False,
    negate: bool = False,
    type: Any = None,
    **option: Any,
) -> dict[str, Any]:
    """A request field's metadata that makes it a command-line setting, its default being the field's: `help`, the
    `short` flags; `flag` where the long flag is not the field's name; `argument` for a positional one; `required`
    where the command line needs a value the API may leave out; `negate` for a switch that turns the field off
    (`--no-feasibility`); `type` where the flag takes another type than the field holds; `option`: typer's own
    checks (`min=1`)."""
    return {
        "help": help,
        "short": short,
        "flag": flag,
        "argument": argument,
        "required": required,
        "negate": negate,
        "type": type,
        "option": option,
    }


def format_setting(default_note: str | None = None) -> dict[str, Any]:
    """`--format/-f` as a request field: the help made from the format registry (`core/formats.py`);
    `default_note` says what a None default stands for."""
    note = f" (default: {default_note})" if default_note else ""
    return setting(formats.help_text() + note, "-f")


def format_option(default: str | None, default_note: str | None = None) -> Any:
    """`--format/-f` for a command whose request does not declare it: the same flag and help as `format_setting`."""
    import typer  # here, not above: request modules import this one for `setting` without loading the CLI

    meta = format_setting(default_note)
    return typer.Option(default, "--format", *meta["short"], help=meta["help"])


def settings(request: type) -> tuple[Field, ...]:
    """The fields of `request` that are command-line settings, in its order."""
    return tuple(f for f in fields(request) if "help" in f.metadata)


def parameters(*requests: type, controls: dict[str, tuple] | None = None) -> list[inspect.Parameter]:
    """One parameter per setting of each request in turn, then `controls`: what the command line alone takes,
    name -> (type, typer option[, the parameter it follows])."""
    import typer

    params = []
    for request in requests:
        for f in settings(request):
            meta = f.metadata
            default = _default(f)
            if meta["negate"]:
                default = not default
            elif meta["required"]:
                default = ...
            names = [] if meta["argument"] else [meta["flag"] or "--" + f.name.replace("_", "-"), *meta["short"]]
            make = typer.Argument if meta["argument"] else typer.Option
            option = make(default, *names, help=meta["help"], **meta["option"])
            typ = meta["type"] or _annotation(request, f)
            params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=typ))
    for name, (typ, option, *after) in (controls or {}).items():
        param = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=typ)
        at = [p.name for p in params].index(after[0]) + 1 if after else len(params)
        params.insert(at, param)
    return params


def command(fn: Any, *requests: type, controls: dict[str, tuple] | None = None) -> Any:
    """`fn`, a function of `**given`, with the options of `requests`' settings and `controls` as its signature
    (typer reads a command's options from it)."""
    signature = inspect.Signature(parameters(*requests, controls=controls))
    fn.__signature__ = signature
    fn.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return fn


def request_values(request: type, given: dict[str, Any]) -> dict[str, Any]:
    """The values of `request`'s settings among what the command line `given`, as the request holds them
    (a repeatable option's values a list, a negating switch turned back)."""
    out = {}
    for f in settings(request):
        v = given[f.name]
        out[f.name] = (not v) if f.metadata["negate"] else list(v) if isinstance(v, (list, tuple)) else v
    return out


def _default(f: Field) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return ...


def _annotation(request: type, f: Field) -> Any:
    """The field's type as an object (under `from __future__ import annotations` it is text); only a setting's is
    read, so a request may name types it imports for type checking alone."""
    if not isinstance(f.type, str):
        return f.type
    return eval(f.type, vars(sys.modules[request.__module__]))  # the annotation text is code of that module
