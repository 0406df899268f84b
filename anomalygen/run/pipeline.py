"""`anomalygen run`: the stages in order, each skipped when its inputs and parameters did not change.

A stage is a call of a stage function (`run/stages.py`) writing into its own folder of the run directory. Its
fingerprint is the sha256 of its parameters, the bytes of its input files and the fingerprints of the stages it
reads from. `run.json` marks a stage "started" before it writes and "done" after,
with the size and sha256 of every output file, so a re-run redoes only what changed (and what follows from it),
a stage a kill interrupted, and a stage whose outputs are missing or not the recorded ones; it says why.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from anomalygen import atomic
from anomalygen.atomic import is_temp, remove_stale
from anomalygen.core import layout
from anomalygen.errors import describe
from anomalygen.manifest import paths_digest


@dataclass
class Stage:
    name: str
    params: dict  # the settings that decide the result besides the inputs' bytes (JSON-able)
    inputs: list[Path]  # files and folders whose bytes decide the result
    outputs: list[Path]  # files and folders it writes: all must exist, each file's size and digest is recorded
    call: Callable[[], None]  # the stage's work; what it prints goes to its stage log
    after: list[str] = field(default_factory=list)
    always: bool = False  # runs even after a failed stage (the report says what is missing)


def file_digests(paths: list[Path]) -> dict[str, dict]:
    """Size and sha256 of every file the stage wrote (a folder stands for the files under it)."""
    out: dict[str, dict] = {}
    for p in paths:
        files = sorted(x for x in p.rglob("*") if x.is_file() and not is_temp(x)) if p.is_dir() else [p]
        for f in files:
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            out[str(f)] = {"size": f.stat().st_size, "sha256": h.hexdigest()}
    return out


def outputs_changed(st: Stage, recorded: dict[str, dict] | None) -> str | None:
    """Why the outputs on disk are not the ones the stage's record names; None when they are."""
    if not recorded:
        return "no record of its outputs"
    for p in st.outputs:
        if not p.exists():
            return f"output {p} is missing"
    for name, rec in recorded.items():
        f = Path(name)
        if not f.is_file():
            return f"output {f} is missing"
        size = f.stat().st_size
        if size != rec.get("size"):
            return f"output {f} has {size} bytes, its record {rec.get('size')}"
    now = file_digests([Path(n) for n in recorded])
    for name, rec in recorded.items():
        if now[name]["sha256"] != rec.get("sha256"):
            return f"output {name} differs from the one recorded"
    return None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a stage: recorded in run.json, then the run ends (exit 130) without a report."""


class Pipeline:
    def __init__(
        self,
        run_dir: Path,
        stages: list[Stage],
        params: dict,
        inputs: dict,
        force: bool = False,
        on_event: Callable[[str, str, dict], None] | None = None,
    ):
        self.dir = run_dir
        self.stages = stages
        self.params = params
        self.inputs = inputs
        self.force = force
        self.on_event = on_event or (lambda stage, what, info: None)
        self.state_path = run_dir / layout.STATE
        self.state = self._load()

    def _load(self) -> dict:
        try:
            doc = json.loads(self.state_path.read_text(encoding="utf-8"))
            return doc if isinstance(doc, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        self.state["params"] = self.params
        self.state["inputs"] = self.inputs
        atomic.write_text(self.state_path, json.dumps(self.state, indent=1, default=str))

    def fingerprint(self, st: Stage, done: dict[str, str]) -> str:
        h = hashlib.sha256()
        h.update(json.dumps(st.params, sort_keys=True, default=str).encode())
        h.update(paths_digest(st.inputs).encode())
        for up in st.after:
            h.update(done.get(up, "").encode())
        return h.hexdigest()

    def why_redo(self, st: Stage, key: str, prev: dict) -> str | None:
        """None when the stage can be skipped, else the reason it runs."""
        if self.force:
            return "--force"
        status = prev.get("status")
        if status is None:
            return "not run before"
        if status == "started":
            return "the last run stopped during this stage"
        if status not in ("done", "skipped"):
            return f"last time: {status}"
        if prev.get("key") != key:
            return "inputs or parameters changed"
        return outputs_changed(st, prev.get("files"))

    def run(self) -> dict:
        """Run or skip each stage; a failed stage stops the run (later stages need its outputs)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        stages_state = self.state.setdefault("stages", {})
        done: dict[str, str] = {}
        failed = False
        for st in self.stages:
            if failed and not st.always:
                stages_state[st.name] = {"status": "not run (an earlier stage failed)"}
                self.on_event(st.name, "end", stages_state[st.name])
                continue
            key = self.fingerprint(st, done)
            prev = stages_state.get(st.name, {})
            why = "an earlier stage failed" if failed else self.why_redo(st, key, prev)
            if why is None:
                prev["status"] = "skipped"
                prev["note"] = "inputs, parameters and outputs unchanged"
                prev.pop("why", None)
                done[st.name] = key
                self.on_event(st.name, "skipped", prev)
                self._save()
                continue
            # marked before anything is written: a kill from here on leaves "started", which a re-run redoes
            stages_state[st.name] = {"key": key, "status": "started", "why": why, "params": st.params}
            self._save()
            for folder in {p if p.is_dir() else p.parent for p in st.outputs}:
                remove_stale(folder)
            self.on_event(st.name, "start", {"why": why})
            log = self.dir / layout.STAGE_LOGS / f"{st.name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            buf = io.StringIO()
            t0 = time.perf_counter()
            status = "done"
            interrupted = False
            try:
                with contextlib.redirect_stdout(buf):
                    st.call()
            except KeyboardInterrupt:
                status, interrupted = "interrupted", True
            except Exception as e:  # any stage error is reported, the run stops cleanly
                known = describe(e)
                status = f"failed: {known[0] if known else f'{type(e).__name__}: {e}'}"
            atomic.write_text(log, buf.getvalue())
            info = {
                "key": key,
                "status": status,
                "why": why,
                "seconds": round(time.perf_counter() - t0, 2),
                "params": st.params,
                "outputs": [str(p) for p in st.outputs],
                "log": str(log),
            }
            if status == "done":
                missing = [str(p) for p in st.outputs if not p.exists()]
                if missing:
                    info["status"] = status = f"failed: did not write {', '.join(missing)}"
                else:
                    info["files"] = file_digests(st.outputs)
            stages_state[st.name] = info
            self._save()
            self.on_event(st.name, "end", info)
            if interrupted:
                raise Interrupted()
            if status != "done":
                failed = True
                continue
            done[st.name] = key
        return self.state
