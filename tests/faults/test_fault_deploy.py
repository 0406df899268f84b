"""`train` and `detect` cannot lose data: an output never lands on an input, an interrupted `train` leaves the
previous model loadable, a dead worker fails the command instead of hanging it, `--follow` loses nothing across a
copytruncate, a log that yields nothing is an error, and one run folder serves one run at a time."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults_helpers import error_line, invoke

from anomalygen.core.example import example_logs, example_tree

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deploy") / "pca"
    res = invoke("train", "--model", "PCA", "--out", out)
    assert res.code == 0, res.output
    return out


@pytest.fixture()
def part_log(tmp_path) -> Path:
    log = tmp_path / "v.log"
    log.write_text("".join((example_logs() / "minisvc.log").read_text().splitlines(keepends=True)[:3000]))
    return log


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# item 1 ------------------------------------------------------------------------------------------------------------


def test_detect_json_never_lands_on_an_input(model, part_log, tmp_path):
    labels = tmp_path / "labels.csv"
    shutil.copy(example_logs() / "anomaly_label.csv", labels)
    before_model = _snapshot(model)
    for target in (part_log, labels, model / "manifest.json", model / "new.jsonl", model):
        before = {p: p.read_bytes() for p in (part_log, labels)}
        res = invoke("detect", model, part_log, "--labels", labels, "--json", target, "-q")
        assert res.code == 2, (target, res.output)
        assert str(target) in error_line(res) and "input" in error_line(res), res.output
        assert {p: p.read_bytes() for p in (part_log, labels)} == before
    assert _snapshot(model) == before_model
    link = tmp_path / "alias.log"
    link.symlink_to(part_log)  # another name of the same file
    res = invoke("detect", model, part_log, "--json", link, "-q")
    assert res.code == 2 and part_log.stat().st_size > 0, res.output


def test_detect_json_is_written_whole_and_left_no_temporary(model, part_log, tmp_path):
    out = tmp_path / "alarms.jsonl"
    out.write_text("previous\n")
    res = invoke("detect", model, part_log, "--json", out, "-q")
    assert res.code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows and all(r["anomalous"] for r in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alarms.jsonl", "v.log"]


def test_detect_json_of_an_interrupted_stream_holds_complete_lines(model, part_log, tmp_path, monkeypatch):
    from anomalygen.deploy import detector

    out = tmp_path / "alarms.jsonl"
    judge, calls = detector.Detector.judge, []

    def judge_then_stop(self, sessions):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return judge(self, sessions)

    monkeypatch.setattr(detector.Detector, "judge", judge_then_stop)
    res = invoke("detect", model, part_log, "--json", out, "--idle-lines", "50", "-q")
    assert res.code == 130 and len(calls) == 2
    text = out.read_text()
    assert text and text.endswith("\n") and all(json.loads(x)["anomalous"] for x in text.splitlines())


# item 2 ------------------------------------------------------------------------------------------------------------


def test_interrupted_train_into_an_existing_model_keeps_the_previous_one(model, tmp_path, monkeypatch):
    import numpy as np

    from anomalygen.deploy.detector import load_detector

    target = tmp_path / "m"
    shutil.copytree(model, target)
    before = _snapshot(target)
    savez, calls = np.savez, []

    def savez_then_die(*a, **k):  # the second array file: some of the new model is already written
        calls.append(1)
        savez(*a, **k)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", savez_then_die)
    res = invoke("train", "--model", "PCA", "--seed", "1", "--out", target)
    assert res.code == 130, res.output
    assert _snapshot(target) == before
    assert load_detector(target).name == "PCA"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no half-written folder beside it


def test_train_replaces_a_model_whole(model, tmp_path):
    target = tmp_path / "m"
    shutil.copytree(model, target)
    (target / "weights.safetensors").write_bytes(b"left from an older model")  # not in the new manifest
    res = invoke("train", "--model", "PCA", "--seed", "1", "--out", target)
    assert res.code == 0, res.output
    assert not (target / "weights.safetensors").exists()
    assert json.loads((target / "manifest.json").read_text())["training"]["seed"] == 1


def test_train_refuses_a_folder_that_is_not_a_model(tmp_path):
    other = tmp_path / "gen"
    other.mkdir()
    (other / "manifest.json").write_text('{"command": "generate"}\n')
    (other / "inventory.jsonl").write_text("precious\n")
    res = invoke("train", "--model", "PCA", "--out", other)
    assert res.code == 2 and "not an anomalygen model" in error_line(res) and "--force" in error_line(res)
    assert (other / "manifest.json").read_text() == '{"command": "generate"}\n'
    assert (other / "inventory.jsonl").read_text() == "precious\n"
    res = invoke("train", "--model", "PCA", "--out", other, "--force")
    assert res.code == 0, res.output
    assert json.loads((other / "manifest.json").read_text())["detector"] == "PCA"


def test_train_out_may_not_hold_an_input(tmp_path):
    logs = tmp_path / "data"
    logs.mkdir()
    log = logs / "minisvc.log"
    shutil.copy(example_logs() / "minisvc.log", log)
    res = invoke(
        "train", "--model", "PCA", "--source", example_tree(), "--logs", log, "--format", "zookeeper", "--out", logs
    )
    assert res.code == 2 and "input" in error_line(res), res.output
    assert log.read_bytes() == (example_logs() / "minisvc.log").read_bytes()


# item 3 ------------------------------------------------------------------------------------------------------------

KILLER = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
from anomalygen.parallel import WorkerDied, imap_ordered, map_ordered

def task(ctx, x):
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return x

fn = {fn}
t0 = time.monotonic()
try:
    list(fn(task, range(8), 2, {executor!r}))
except WorkerDied as e:
    with open({report!r}, "w") as fh:  # not stdout, where Ray's log lines may cut into it
        print("died:", e, file=fh)
"""


@pytest.mark.parametrize("fn", ["map_ordered", "imap_ordered"])
@pytest.mark.parametrize("executor", ["process", pytest.param("ray", marks=pytest.mark.slow)])  # Ray: a local cluster
def test_a_killed_pool_worker_fails_the_call_instead_of_hanging_it(fn, executor, tmp_path):
    if executor == "ray":
        pytest.importorskip("ray")
    report = tmp_path / "died.txt"
    p = subprocess.run(
        [sys.executable, "-c", KILLER.format(root=str(ROOT), fn=fn, executor=executor, report=str(report))],
        capture_output=True,
        text=True,
        timeout=300,
    )  # a hang guard: the old pool waited forever
    assert p.returncode == 0, p.stderr
    died = [ln for ln in (report.read_text() if report.exists() else "").splitlines() if ln.startswith("died:")]
    assert died, p.stdout + p.stderr[-2000:]
    assert ("SIGKILL" if executor == "process" else "Ray: WorkerCrashedError") in died[0], died


def test_detect_jobs_2_fails_with_exit_1_when_a_worker_is_killed(model, part_log, tmp_path, monkeypatch):
    from anomalygen.deploy import spans

    parse = spans.parse_span

    def parse_or_die(worker, part):
        if part.start > 0:  # the second span: in a worker process, never in this one
            os.kill(os.getpid(), signal.SIGKILL)
        return parse(worker, part)

    monkeypatch.setattr(spans, "parse_span", parse_or_die)
    monkeypatch.setattr(spans, "SPAN_BYTES", 64 << 10)
    monkeypatch.setattr(spans, "MIN_SPANS", 2)
    out = tmp_path / "a.jsonl"
    res = invoke("detect", model, part_log, "--jobs", "2", "--json", out, "-q")
    assert res.code == 1 and "worker process" in error_line(res), res.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["v.log"]


# item 4 ------------------------------------------------------------------------------------------------------------


def test_follow_reads_a_truncated_file_that_regrew_between_checks(tmp_path):
    from anomalygen.deploy.stream import follow
    from anomalygen.logs.reader import ReadStats

    path = tmp_path / "live.log"
    seg = [[f"s{k} line {i:04d} " + "x" * (i % 17) for i in range(1000)] for k in range(3)]
    path.write_text("".join(f"{x}\n" for x in seg[0]))
    gen = follow(path, ReadStats(), lambda: False, poll=0.01)
    got: list[str] = []
    for _, _, lines in gen:
        got.extend(lines)
        if not lines:  # a quiet check: all of seg 0 read
            break
    assert got == seg[0]
    with open(path, "r+") as fh:  # copytruncate, then the writer regrows it past the old offset
        fh.truncate(0)
    with open(path, "a") as fh:
        fh.write("".join(f"{x}\n" for x in seg[1] + seg[2]))
    assert path.stat().st_size > len("".join(f"{x}\n" for x in seg[0]))
    for _, _, lines in gen:
        got.extend(lines)
        if not lines:
            break
    assert got == seg[0] + seg[1] + seg[2]


# item 5 ------------------------------------------------------------------------------------------------------------


def test_detect_that_reads_nothing_is_an_error(model, tmp_path):
    fake = tmp_path / "fake.log.gz"
    fake.write_text("not gzip at all\n")
    empty = tmp_path / "empty.log"
    empty.write_text("")
    junk = tmp_path / "junk.log"
    junk.write_text("no header here\nnor here\n")
    for bad in (fake, empty, junk):
        res = invoke("detect", model, bad, "-q")
        assert res.code == 2 and str(bad) in error_line(res) and "nothing parsed" in error_line(res), res.output


def test_detect_says_a_gz_was_truncated(model, tmp_path):
    import gzip

    data = gzip.compress((example_logs() / "minisvc.log").read_bytes())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    res = invoke("detect", model, cut, "-q")
    assert res.code == 0, res.output
    assert "truncated_archive" in res.output and "cut.log.gz" in res.output


# item 6 ------------------------------------------------------------------------------------------------------------

HOLDER = """
import sys, time
sys.path.insert(0, {root!r})
from anomalygen.runlock import RunLock
with RunLock({out!r}):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_run_on_a_busy_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(root=str(ROOT), out=str(out))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        res = invoke("run", "--out", out, "--models", "PCA", "--n", "10", "--seeds", "1", "--epochs", "1")
        assert res.code == 2 and f"pid {holder.pid}" in error_line(res) and str(out) in error_line(res)
        assert sorted(p.name for p in out.iterdir()) == [".run.lock"]  # nothing else was touched
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_of_a_dead_run_is_taken_over_and_said_so(tmp_path, capsys):
    from anomalygen.runlock import RunLock

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "run"
    out.mkdir()
    (out / ".run.lock").write_text(f"{dead.pid}\n")
    notes: list[str] = []
    with RunLock(out, say=notes.append):
        assert (out / ".run.lock").read_text().split()[0] == str(os.getpid())
    assert len(notes) == 1 and f"pid {dead.pid}" in notes[0] and "no longer running" in notes[0]
    with RunLock(out, say=notes.append):  # released cleanly: nothing to take over
        pass
    assert len(notes) == 1


def _dies_in_a_worker(real, when):
    parent = os.getpid()

    def task(ctx, item):
        if os.getpid() != parent and when(item):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(ctx, item)

    return task


def test_parse_jobs_2_fails_with_exit_1_when_a_worker_is_killed(src, log, tmp_path, monkeypatch):
    from anomalygen.logs import chunked

    monkeypatch.setattr(chunked, "parse_part", _dies_in_a_worker(chunked.parse_part, lambda t: t[0] == 1))
    out = tmp_path / "p"
    res = invoke("parse", log, "--source", src, "--format", "zookeeper", "--jobs", "2", "--out", out)
    assert res.code == 1 and "worker process died (killed by SIGKILL)" in error_line(res), res.output
    assert not (out / "structured.csv").exists() and not [p for p in out.rglob("*") if p.is_file()]


def test_generate_jobs_2_fails_with_exit_1_when_a_worker_is_killed(src, tmp_path, monkeypatch):
    from anomalygen.synthesis import generate

    monkeypatch.setattr(generate, "explore_entry", _dies_in_a_worker(generate.explore_entry, lambda key: True))
    out = tmp_path / "g"
    res = invoke("generate", src, "--n", "10", "--session-key", "none", "--jobs", "2", "--out", out)
    assert res.code == 1 and "worker process died (killed by SIGKILL)" in error_line(res), res.output
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.slow  # kills a pool worker of a real evaluation
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the pool's workers through /proc")
def test_evaluate_jobs_2_fails_with_exit_1_when_a_worker_is_killed(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(
            f'{{"session_id": "s{i}", "label": {int(i % 7 == 0)}, "events": '
            f"{json.dumps(['a', 'b', 'c'][: 1 + i % 3] * (1 + i % 5))}}}\n"
            for i in range(600)
        )
    )
    out = tmp_path / "ev"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from anomalygen.cli import main; main()",
            "evaluate",
            "--dataset",
            str(data),
            "--models",
            "DeepLog,PCA,IsolationForest",
            "--seeds",
            "6",
            "--epochs",
            "3",
            "--jobs",
            "2",
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and proc.poll() is None and time.monotonic() < deadline:
            # the forkserver is the evaluating process's child; the pool's workers are its children
            workers = [w for c in _children(proc.pid) for w in _children(c)]
            victim = workers[0] if workers else None
            time.sleep(0.05)
        assert victim is not None, "the evaluation ended before a worker could be killed"
        os.kill(victim, signal.SIGKILL)
        output, _ = proc.communicate(timeout=120)  # a hang guard
    finally:
        proc.kill()
    assert proc.returncode == 1, output
    assert "error: a worker process died" in output and "Traceback" not in output, output
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]


def test_parse_and_sessions_outputs_never_land_on_an_input(tmp_path, src):
    log = tmp_path / "structured.csv"  # a log that happens to bear the name parse gives its output
    log.write_bytes((example_logs() / "minisvc.log").read_bytes()[:200_000])
    before = log.read_bytes()
    res = invoke("parse", log, "--source", src, "--format", "zookeeper", "--out", tmp_path)
    assert res.code == 2 and "is the input" in error_line(res), res.output
    res = invoke("sessions", log, "--source", src, "--format", "zookeeper", "--out", log)
    assert res.code == 2 and "is the input" in error_line(res), res.output
    assert log.read_bytes() == before


@pytest.mark.slow  # `detect --follow` subprocesses stopped by signals
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_followed_stream_stopped_by_a_signal_keeps_its_alarms_in_whole_lines(model, part_log, tmp_path, sig):
    out = tmp_path / "alarms.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from anomalygen.cli import main; main()",
            "detect",
            str(model),
            str(part_log),
            "--follow",
            "--idle-lines",
            "50",
            "--json",
            str(out),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".alarms.part-") and p.stat().st_size for p in tmp_path.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.05)
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, output
    text = out.read_text()
    assert text.endswith("\n") and all(json.loads(x)["anomalous"] for x in text.splitlines())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".alarms.part-")]


def test_train_through_a_link_to_a_model_replaces_the_model_it_names(model, tmp_path):
    real = tmp_path / "models" / "current"
    real.parent.mkdir()
    shutil.copytree(model, real)
    link = tmp_path / "model"
    link.symlink_to(real)
    res = invoke("train", "--model", "PCA", "--seed", "3", "--out", link)
    assert res.code == 0, res.output
    assert link.is_symlink() and json.loads((real / "manifest.json").read_text())["training"]["seed"] == 3
    assert sorted(p.name for p in real.parent.iterdir()) == ["current"]
