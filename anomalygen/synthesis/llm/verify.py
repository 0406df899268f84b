"""LLM verification of path feasibility: what the model sees of a path (PathView), the prompt, and the
validated JSON verdict (Verdict)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from anomalygen.synthesis.llm.client import LLMClient, LLMError

EXITS = ("normal", "exception", "cut")
MAX_REASONS = 8
MAX_REASON_CHARS = 400


@dataclass
class PathView:
    """What the LLM sees of one inter-procedural path. `steps` in path order, each either
    {"kind": "cond", "method": ..., "text": "x != null", "polarity": True, "line": 12} or
    {"kind": "log", "id": statement id, "level": "INFO", "template": "Received block <*> of size <*>"}."""

    path_id: str
    entry: str
    exit: str  # "normal" | "exception" | "cut"
    steps: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, doc: dict[str, Any], statements: dict[str, dict[str, Any]]) -> PathView:
        """From a record of `anomalygen.source.pathio.read_paths` (conditions expanded) and statements by id.
        A path record keeps conditions and log events as two ordered lists without their interleaving, so the
        steps are the conditions in path order, then the log statements in path order."""
        steps: list[dict] = []
        for c in doc.get("conditions", []):
            steps.append(
                {
                    "kind": "cond",
                    "method": c.get("method"),
                    "text": c.get("text", c.get("ref")),
                    "polarity": bool(c.get("polarity")),
                    "line": c.get("line"),
                    **({"frame": c["frame"]} if "frame" in c else {}),
                }
            )
        for sid in doc.get("events", []):
            st = statements.get(sid, {})
            steps.append({"kind": "log", "id": sid, "level": st.get("level"), "template": st.get("template")})
        return cls(path_id=str(doc.get("id")), entry=doc.get("entry", ""), exit=doc.get("exit", "normal"), steps=steps)


@dataclass
class Verdict:
    path_id: str
    feasible: bool | None
    reasons: list[str]
    source: str  # "llm" | "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


VERIFY_SYSTEM = (
    "You are a precise Java program analyst. You are given one execution path through a Java program: the "
    "branch conditions it takes (each with the polarity the path requires: true means the condition holds, "
    "false means it does not) and the log statements it prints, in order, and how the path ends (normal return, "
    "an exception, or cut short by an analysis bound). Decide whether some real execution can follow this path: "
    "it is infeasible when its conditions contradict each other given the program's semantics (for example "
    "requiring `x == null` and then `x != null` with no assignment of x in between in the same method frame), "
    "or when the logged messages could not occur in this combination. When unsure, answer feasible.\n"
    "Answer with ONLY a JSON object of this shape, no other text:\n"
    '{"feasible": true or false, "reasons": ["short reason", ...]}'
)


def render_path(view: PathView) -> str:
    lines = [f"Path {view.path_id} from entry point {view.entry}; it ends: {view.exit}."]
    for i, s in enumerate(view.steps, 1):
        if s.get("kind") == "cond":
            where = f"{s.get('method')}" + (f" line {s['line']}" if s.get("line") is not None else "")
            frame = f" [frame {s['frame']}]" if s.get("frame") is not None else ""
            lines.append(
                f"{i}. branch in {where}{frame}: ({s.get('text')}) is {'TRUE' if s.get('polarity') else 'FALSE'}"
            )
        elif s.get("kind") == "log":
            lines.append(f'{i}. log {s.get("level")} [{s.get("id")}]: "{s.get("template")}"')
        else:
            lines.append(f"{i}. {json.dumps(s, ensure_ascii=False, sort_keys=True)}")
    lines.append('Is this path feasible? Reply with {"feasible": ..., "reasons": [...]} only.')
    return "\n".join(lines)


def verify_messages(view: PathView) -> list[dict]:
    return [{"role": "system", "content": VERIFY_SYSTEM}, {"role": "user", "content": render_path(view)}]


_TRUE = {"true", "yes", "feasible", "y"}
_FALSE = {"false", "no", "infeasible", "n"}


def parse_verdict(obj: dict) -> tuple[bool, list[str]]:
    """(feasible, reasons) from a model's JSON object; ValueError when the shape is wrong. `feasible` must be a
    boolean or one of yes/no/true/false (any case); `reasons` a list of strings or one string (optional)."""
    if not isinstance(obj, dict):
        raise ValueError("verdict is not a JSON object")
    if "feasible" not in obj:
        raise ValueError("verdict has no 'feasible' field")
    f = obj["feasible"]
    if isinstance(f, bool):
        feasible = f
    elif isinstance(f, str) and f.strip().lower() in _TRUE | _FALSE:
        feasible = f.strip().lower() in _TRUE
    else:
        raise ValueError(f"'feasible' must be true/false, got {f!r}")
    r = obj.get("reasons", [])
    if isinstance(r, str):
        r = [r]
    if not isinstance(r, list) or not all(isinstance(x, str) for x in r):
        raise ValueError("'reasons' must be a list of strings")
    reasons = [x.strip()[:MAX_REASON_CHARS] for x in r if x.strip()][:MAX_REASONS]
    return feasible, reasons


def verify_paths(client: LLMClient | None, views: list[PathView]) -> list[Verdict]:
    """One verdict per view, in order, requested concurrently. A response of the wrong shape is retried like
    invalid JSON (and counted in usage.invalid_outputs); a path whose request fails for good gets
    Verdict(feasible=None, source="error") with the error as its reason."""
    if client is None:
        return [Verdict(v.path_id, None, ["no LLM backend configured (backend 'none')"], "error") for v in views]
    results = client.map_json([verify_messages(v) for v in views], validate=parse_verdict)
    out: list[Verdict] = []
    for v, r in zip(views, results, strict=True):
        if isinstance(r, LLMError):
            out.append(Verdict(v.path_id, None, [str(r)], "error"))
        else:
            feasible, reasons = parse_verdict(r)
            out.append(Verdict(v.path_id, feasible, reasons, "llm"))
    return out
