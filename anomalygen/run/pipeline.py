"""`anomalygen run`: the stage commands in order, each skipped when its inputs and parameters did not change.

A stage is one of the ordinary sub-commands, invoked in-process with an argument list, writing into its own folder
of the run directory. Its fingerprint is the sha256 of its arguments, the bytes of its input files and the
fingerprints of the stages it reads from; `run.json` keeps each stage's fingerprint, status and time, so a re-run
redoes only what changed (and what follows from it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from anomalygen.core import layout
from anomalygen.manifest import paths_digest


@dataclass
class Stage:
    name: str
    args: list[str]  # the sub-command and its arguments
    inputs: list[Path]  # files and folders whose bytes decide the result
    outputs: list[Path]  # what must exist for the stage to count as done
    after: list[str] = field(default_factory=list)
    call: Callable[[], None] | None = None  # a Python step instead of a sub-command
    always: bool = False  # runs even after a failed stage (the report says what is missing)


class Pipeline:
    def __init__(self, run_dir: Path, stages: list[Stage], params: dict, inputs: dict, force: bool = False,
                 on_event: Callable[[str, str, dict], None] | None = None):
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
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.state_path)

    def fingerprint(self, st: Stage, done: dict[str, str]) -> str:
        h = hashlib.sha256()
        h.update(json.dumps(st.args).encode())
        h.update(paths_digest(st.inputs).encode())
        for up in st.after:
            h.update(done.get(up, "").encode())
        return h.hexdigest()

    def run(self, invoke: Callable[[list[str]], None]) -> dict:
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
            if (not self.force and not failed and prev.get("key") == key and prev.get("status") in ("done", "skipped")
                    and all(p.exists() for p in st.outputs)):
                prev["status"] = "skipped"
                prev["note"] = "inputs and parameters unchanged"
                done[st.name] = key
                self.on_event(st.name, "skipped", prev)
                self._save()
                continue
            self.on_event(st.name, "start", {})
            log = self.dir / layout.STAGE_LOGS / f"{st.name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            buf = io.StringIO()
            t0 = time.perf_counter()
            status = "done"
            try:
                with contextlib.redirect_stdout(buf):
                    if st.call is not None:
                        st.call()
                    else:
                        invoke(st.args)
            except SystemExit as e:  # typer/click exit codes
                if e.code not in (0, None):
                    status = f"failed (exit {e.code})"
            except Exception as e:  # noqa: BLE001 - any stage error is reported, the run stops cleanly
                status = f"failed: {type(e).__name__}: {e}"
            log.write_text(buf.getvalue(), encoding="utf-8")
            info = {"key": key, "status": status, "seconds": round(time.perf_counter() - t0, 2),
                    "args": st.args, "outputs": [str(p) for p in st.outputs], "log": str(log)}
            stages_state[st.name] = info
            self._save()
            self.on_event(st.name, "end", info)
            if status != "done":
                failed = True
                continue
            done[st.name] = key
        return self.state
