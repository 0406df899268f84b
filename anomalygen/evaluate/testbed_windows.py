"""What the testbed evaluation reads: a windowed run's windows in either session form (`all-server`: a 10 s window
over every server's lines together; `per-server`: one stream per server, cut into the same 10 s windows), its fault
and planned-operation intervals, the inventory's statement ids, and the generator's synthetic sessions, whose code
paths `respliced` takes out of the host sessions they were generated in and splices into windows of another form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from anomalygen.core.sessions import DataFormatError, Session
from anomalygen.jsonl import read_jsonl
from anomalygen.testbed.labels import Interval, intervals, read_faults

ALL_SERVER, PER_SERVER = "all-server", "per-server"
FORMS = (ALL_SERVER, PER_SERVER)
# the windows files of each form in a windowed run's folder (`testbed/output.py` writes both)
FORM_FILES = {
    ALL_SERVER: ("sessions.jsonl", "sessions_startup.jsonl"),
    PER_SERVER: ("sessions_by_server.jsonl", "sessions_startup_by_server.jsonl"),
}


@dataclass
class TestbedWindows:
    """One run's windows (`sessions.jsonl` rows), start-up windows, fault and planned-operation intervals; its
    name in the evaluation (train, val, test1, ...)."""

    __test__ = False

    windows: list[Session]
    startup: list[Session]
    faults: list[Interval]
    operations: list[Interval]
    name: str = "test"


def read_windows(path: Path) -> list[Session]:
    rows = []
    for n, obj in read_jsonl(path, DataFormatError):
        for key in ("events", "label", "start", "end"):
            if key not in obj:
                raise DataFormatError(f"{path}:{n}: a window needs {key!r}")
        rows.append(Session.from_dict(obj, f"{path}:{n}", order=n, labelled=True))
    return rows


def opens(w: Session) -> float:
    """The epoch second a window opens (a window's `start`, which `read_windows` found there)."""
    return float(cast(float, w.start))


def span(w: Session) -> tuple[float, float]:
    return opens(w), float(w.extra["end"])


def load_run(
    windows_dir: Path, run_dir: Path, margin: float, form: str = ALL_SERVER, name: str = "test"
) -> TestbedWindows:
    """Windows built into `windows_dir` (see `runner.relabel`) in the given form, and the records of the testbed
    run `run_dir`."""
    if form not in FORM_FILES:
        raise ValueError(f"session form {form!r}: expected one of {', '.join(FORMS)}")
    main, start = FORM_FILES[form]
    ops = run_dir / "operations.jsonl"
    startup = windows_dir / start
    return TestbedWindows(
        read_windows(windows_dir / main),
        read_windows(startup) if startup.is_file() else [],
        intervals(read_faults(run_dir / "faults.jsonl"), margin),
        intervals(read_faults(ops), margin, planned=True) if ops.is_file() else [],
        name,
    )


def normal_events(run: TestbedWindows) -> list[list[str]]:
    return [list(w.events) for w in run.windows if w.label == 0]


def split_in_time(run: TestbedWindows, cut: float) -> tuple[TestbedWindows, TestbedWindows]:
    """Windows starting before `cut` train, the rest test (with the faults and operations still under way)."""
    return (
        TestbedWindows([w for w in run.windows if opens(w) < cut], run.startup, [], [], "train"),
        TestbedWindows(
            [w for w in run.windows if opens(w) >= cut],
            [],
            [f for f in run.faults if f.stop >= cut],
            [o for o in run.operations if o.stop >= cut],
            "test",
        ),
    )


# -- synthetic sessions in both forms ---------------------------------------------------------------------------


def read_synthetic(path: Path) -> list[Session]:
    """The generator's normal sessions (label 0), whose provenance says, when a path was spliced into a host
    session, the host's index and where the path begins (`host`, `inserted_at`)."""
    out = []
    for n, obj in read_jsonl(Path(path), DataFormatError):
        if not isinstance(obj.get("events"), list):
            raise DataFormatError(f"{path}:{n}: needs an 'events' list")
        if str(obj.get("label")).lower() not in ("0", "normal"):
            continue
        out.append(Session.from_dict(obj, f"{path}:{n}", "synthetic", n))
    return out


def path_of(rec: Session, hosts: Sequence[Sequence[str]]) -> list[str] | None:
    """The code path inside a spliced session: its events less the host session it was spliced into, found from
    the host's index and the insertion point. None when the session does not read back as host[:at] + path +
    host[at:] (a line the generator could not fill was dropped, or the host list differs)."""
    h, at, ev = rec.provenance.get("host"), rec.provenance.get("inserted_at"), rec.events
    if h is None and at is None:  # generated without hosts: the session is the path
        return list(ev)
    if not isinstance(h, int) or not isinstance(at, int) or not 0 <= h < len(hosts):
        return None
    host = list(hosts[h])
    k = len(ev) - len(host)
    if k < 0 or at > len(host) or ev[:at] != host[:at] or ev[at + k :] != host[at:]:
        return None
    return ev[at : at + k]


def respliced(
    recs: list[Session], hosts: Sequence[Sequence[str]], targets: Sequence[Sequence[str]], seed: int
) -> tuple[list[list[str]], int]:
    """The same synthetic sessions in another form: each one's code path taken out of the host it was generated
    in and spliced into a window of `targets` (drawn, with the place, by a generator seeded with `seed`), so that
    both forms learn the same paths and generation runs once per seed. Sessions whose path cannot be read back
    are left out; returns the sessions and how many were left out."""
    rng = np.random.default_rng(seed + 15485863)
    out, lost = [], 0
    for rec in recs:
        p = path_of(rec, hosts)
        if p is None or not targets:
            lost += 1
            continue
        base = list(targets[int(rng.integers(len(targets)))])
        at = int(rng.integers(len(base) + 1))
        out.append(base[:at] + p + base[at:])
    return out, lost


def host_list(path: Path | None, fraction: float, known: set[str]) -> list[list[str]]:
    """The host sessions exactly as the generator saw them (`synthesis.api._host_events`): the first fraction of
    the file's normal sessions, statements of the inventory only, empty ones dropped."""
    from anomalygen.synthesis.hosts import load_hosts

    if path is None or not path.is_file():
        return []
    hosts = load_hosts(path, fraction)
    return [h for h in ([e for e in hs if e in known] for hs in hosts) if h] if known else hosts


def inventory_ids(path: Path) -> list[str]:
    return [str(obj["id"]) for _n, obj in read_jsonl(Path(path), DataFormatError) if "id" in obj]
