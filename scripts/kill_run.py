"""Kill `anomalygen run` at seeded random moments of its stages and check that re-running it gives the outputs of
an uninterrupted run, byte for byte (timing columns aside); kill `anomalygen train` writing into an existing model
and check the previous (or the complete new) model always loads; kill a worker of `anomalygen detect --jobs 2` and
check the command fails within 30 s, exit 1, without a --json file.

    python scripts/kill_run.py --kills 20 [--seed 0] [--work DIR] [--target run|train|detect|all]

One uninterrupted reference run first. Then the kills, in cycles of up to 7 over one run folder each: a cycle picks
stages (seeded), and for each starts `run` on its folder (which resumes it; with --force where the stage is already
complete there), waits until run.json marks that stage started, sleeps a seeded random share of the stage's
reference time and sends a seeded choice of SIGKILL / SIGTERM /
SIGINT. After every kill each output file present must equal the reference (an atomic write leaves the old file or
none, never a partial one). A cycle ends with one uninterrupted re-run that must reproduce every reference output.
`tests/faults/test_kill_run.py` runs 4 kills.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--models", "PCA", "--n", "120", "--seeds", "1", "--epochs", "1"]
STAGES = ["inventory", "parse", "sessions", "coverage", "generate", "evaluate", "report"]
TIMING_KEYS = {"seconds", "created", "started", "command"}  # wall-clock facts: differ between any two runs
# the same keys (and *_s durations) inside JSON that an HTML page shows, quotes escaped or not
_TIMING_IN_HTML = re.compile(
    r'(?:&quot;|")(?:seconds|created|started|\w+_s)(?:&quot;|"): [^,\n<]*|'
    r'(?:&quot;|")command(?:&quot;|"): \[.*?\]',
    re.S,
)
SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]


def start(out: Path, args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # a shell's background job ignores SIGINT, and so would Python started from it: restore the default
    # what the `anomalygen` console script runs (with -m, CPython may report a handled Ctrl-C as death by SIGINT)
    # `--out` relative to the folder's parent: every run writes the same paths into its outputs (a digest of a
    # file that names its folder would differ between two folders and hide nothing)
    out.parent.mkdir(parents=True, exist_ok=True)
    log = (out.parent / "output.txt").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from anomalygen.cli import main; main()", "run", "--out", out.name, *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=out.parent,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.log = log
    return proc


def finish(proc: subprocess.Popen, timeout: float = 900) -> tuple[int, str]:
    # output goes to a file, not a pipe: a worker process that outlives a killed run would hold a pipe open
    code = proc.wait(timeout=timeout)
    proc.log.close()
    return code, Path(proc.log.name).read_text(encoding="utf-8", errors="replace")


def _drop_timing(doc):
    if isinstance(doc, dict):
        return {k: _drop_timing(v) for k, v in doc.items() if k not in TIMING_KEYS and not k.endswith("_s")}
    if isinstance(doc, list):
        return [_drop_timing(v) for v in doc]
    return doc


def normalize(rel: str, data: bytes) -> bytes:
    """The bytes of an output with its timing columns taken out."""
    text = data.decode("utf-8", "replace") if not rel.endswith(".png") else None
    if text is None:
        return data
    if rel.endswith(".json"):
        return json.dumps(_drop_timing(json.loads(text)), sort_keys=True).encode()
    if rel.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text)))
        keep = [i for i, c in enumerate(rows[0]) if not c.endswith("_s")] if rows else []
        return "\n".join(",".join(r[i] for i in keep if i < len(r)) for r in rows).encode()
    if rel.endswith(".html"):
        text = _TIMING_IN_HTML.sub("T", text)
    if rel.endswith("summary.md") or rel == "evaluate/report.html":
        # the last column of the summary table is the fit time
        text = re.sub(r"\| [0-9.]+ \|\n", "| T |\n", text)
        text = re.sub(r"<td>[0-9.]+</td></tr>", "<td>T</td></tr>", text)
    if rel == "report.html":
        # run history, not results: the stage table (times, done/skipped) and the embedded manifests
        text = re.sub(r"<h3>Stages</h3>.*?</table>", "", text, flags=re.S)
        text = re.sub(r'<section id="manifest">.*?</section>', "", text, flags=re.S)
        text = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
    return text.encode()


def outputs(run_dir: Path) -> dict[str, bytes]:
    """Every result file of a run folder (not run.json and stage logs: the run's own history), normalized."""
    from anomalygen.atomic import is_temp

    got = {}
    for f in sorted(run_dir.rglob("*")):
        rel = f.relative_to(run_dir).as_posix()
        if (
            not f.is_file()
            or any(is_temp(Path(part)) for part in f.relative_to(run_dir).parts)
            or rel in ("run.json", ".run.lock")
            or rel.startswith("stage-logs/")
        ):
            continue
        got[rel] = normalize(rel, f.read_bytes())
    return got


def stage_status(run_dir: Path, stage: str) -> str | None:
    try:
        return json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["stages"][stage].get("status")
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def differences(ref: dict[str, bytes], got: dict[str, bytes], partial: bool) -> list[str]:
    """Files that differ from the reference; with `partial` a missing file is fine (not written yet)."""
    bad = [f"{rel}: differs" for rel, data in got.items() if rel in ref and ref[rel] != data]
    bad += [f"{rel}: not in the reference run" for rel in got if rel not in ref]
    if not partial:
        bad += [f"{rel}: missing" for rel in ref if rel not in got]
    return bad


def plan_kills(kills: int, rng: random.Random) -> list[list[str]]:
    """Kills in cycles over one run folder each: a cycle kills up to one moment per stage, in stage order."""
    cycles = []
    while kills > 0:
        k = min(kills, len(STAGES))
        cycles.append(sorted(rng.sample(STAGES, k), key=STAGES.index))
        kills -= k
    return cycles


def campaign(kills: int, seed: int, work: Path, args: list[str] = SMALL, log=print) -> dict:
    rng = random.Random(seed)
    ref_dir = work / "reference" / "run"
    t0 = time.perf_counter()
    code, text = finish(start(ref_dir, args))
    if code != 0:
        raise RuntimeError(f"reference run failed ({code}):\n{text}")
    ref_seconds = time.perf_counter() - t0
    ref = outputs(ref_dir)
    stage_secs = {k: v.get("seconds", 1.0) for k, v in json.loads((ref_dir / "run.json").read_text())["stages"].items()}
    log(f"reference run: {ref_seconds:.1f} s, {len(ref)} output files")
    problems: list[str] = []
    rows = []
    for c, stages in enumerate(plan_kills(kills, rng)):
        run_dir = work / f"killed-{c}" / "run"
        for stage in stages:
            i = len(rows)
            delay = rng.uniform(0, max(0.05, stage_secs.get(stage, 1.0)))
            sig = rng.choice(SIGNALS)
            # a stage the folder already holds complete would be skipped: --force makes the run reach it again
            force = ["--force"] if stage_status(run_dir, stage) in ("done", "skipped") else []
            proc = start(run_dir, [*args, *force])
            while proc.poll() is None and stage_status(run_dir, stage) != "started":
                time.sleep(0.01)
            time.sleep(delay)
            hit = proc.poll() is None
            if hit:
                proc.send_signal(sig)
            code, text = finish(proc)
            finished = all(stage_status(run_dir, s) in ("done", "skipped") for s in STAGES)
            if sig == signal.SIGINT and hit and code != 130 and not (code == 0 and finished):
                # (0 is right only when the signal came after the last stage, as the process was ending)
                problems.append(f"kill {i}: SIGINT gave exit code {code}, not 130")
            bad = differences(ref, outputs(run_dir), partial=True)
            problems += [f"kill {i} ({stage}, {sig.name}): {b}" for b in bad]
            rows.append(
                {
                    "kill": i,
                    "stage": stage,
                    "delay_s": round(delay, 3),
                    "signal": sig.name,
                    "landed": hit,
                    "exit": code,
                    "bad_files": len(bad),
                }
            )
            log(
                f"kill {i:2d}: {stage:<9} +{delay:5.2f} s {sig.name:<7} exit {code:4d} "
                f"{'(the run finished first) ' if not hit else ''}outputs so far equal the reference: {not bad}"
            )
        code, text = finish(start(run_dir, args))
        if code != 0:
            problems.append(f"re-run of killed-{c} failed ({code}): {text[-2000:]}")
        bad = differences(ref, outputs(run_dir), partial=False)
        problems += [f"killed-{c} after its re-run: {b}" for b in bad]
        log(f"killed-{c} re-run: exit {code}; every output equals the reference: {not bad}")
    return {"kills": rows, "problems": problems, "reference_seconds": round(ref_seconds, 1)}


def _command(args: list[str], cwd: Path, log_name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = (cwd / log_name).open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from anomalygen.cli import main; main()", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.log = log
    return proc


def _training_seed(model: Path) -> int | None:
    """The seed the model folder was trained with, if it loads (digests and all); None if it does not."""
    from anomalygen.deploy.detector import load_detector
    from anomalygen.deploy.folder import ModelError

    try:
        return load_detector(model).manifest["training"]["seed"]
    except ModelError:
        return None


def train_campaign(kills: int, seed: int, work: Path, log=print) -> dict:
    """`train --out MODEL` over an existing model, killed at seeded moments with a new seed each time: after every
    kill MODEL must load, trained with the previous seed or (the kill came after the swap) the new one."""
    rng = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    args = ["train", "--model", "PCA", "--out", "model"]
    t0 = time.perf_counter()
    code, text = finish(_command([*args, "--seed", "0"], work, "train.txt"))
    if code != 0:
        raise RuntimeError(f"reference train failed ({code}):\n{text}")
    ref_seconds = time.perf_counter() - t0
    model, current = work / "model", 0
    problems, rows = [], []
    for i in range(kills):
        new = i + 1
        # every other kill aims at the save: a seeded moment after the new folder appears beside the model
        at_save = i % 2 == 1
        delay, sig = rng.uniform(0, 0.2 if at_save else ref_seconds), rng.choice(SIGNALS)
        proc = _command([*args, "--seed", str(new)], work, "train.txt")
        while at_save and proc.poll() is None and not any(p.name.startswith(".model.part-") for p in work.iterdir()):
            time.sleep(0.002)
        time.sleep(delay)
        hit = proc.poll() is None
        if hit:
            proc.send_signal(sig)
        code, text = finish(proc, timeout=120)
        got = _training_seed(model)
        if got not in (current, new):
            problems.append(
                f"kill {i} (+{delay:.2f} s, {sig.name}): the model folder holds seed {got}, expected "
                f"{current} (before) or {new} (after)"
            )
        current = got if got is not None else current
        rows.append(
            {
                "kill": i,
                "at_save": at_save,
                "delay_s": round(delay, 3),
                "signal": sig.name,
                "landed": hit,
                "exit": code,
                "model_seed": got,
            }
        )
        log(
            f"train kill {i:2d}: {'save +' if at_save else 'start +'}{delay:5.2f} s {sig.name:<7} exit {code:4d} "
            f"model loads with seed {got}"
        )
    code, text = finish(_command([*args, "--seed", "99"], work, "train.txt"))
    left = sorted(p.name for p in work.iterdir() if p.name.startswith(".model."))
    if code != 0 or _training_seed(model) != 99:
        problems.append(f"the final uninterrupted train failed ({code}): {text[-2000:]}")
    if left:
        problems.append(f"left beside the model after a complete train: {', '.join(left)}")
    return {"kills": rows, "problems": problems, "reference_seconds": round(ref_seconds, 1)}


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def detect_campaign(kills: int, seed: int, work: Path, log=print, hang_after: float = 30.0) -> dict:
    """`detect --jobs 2` on a log big enough to be parsed by workers; a seeded moment after the workers start,
    one of them is SIGKILLed: the command must end within `hang_after` seconds with exit 1 and no --json file
    (or, when it finished first, with the reference's alarms)."""
    rng = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    code, text = finish(_command(["train", "--model", "PCA", "--out", "model"], work, "train.txt"))
    if code != 0:
        raise RuntimeError(f"train failed ({code}):\n{text}")
    big = work / "big.log"
    one = (ROOT / "anomalygen/examples/minisvc/logs/minisvc.log").read_bytes()
    with open(big, "wb") as fh:  # over 8 MiB: detect splits it among its workers
        for _ in range(-(-9 * 2**20 // len(one))):
            fh.write(one)
    args = ["detect", "model", "big.log", "--jobs", "2", "-q"]
    t0 = time.perf_counter()
    proc = _command([*args, "--json", "ref.jsonl"], work, "detect.txt")
    seen = gone = None  # when the workers were first and last seen: the window the kills aim at
    while proc.poll() is None:
        if _children(proc.pid):
            seen = seen or time.perf_counter()
        elif seen and gone is None:
            gone = time.perf_counter()
        time.sleep(0.005)
    code, text = finish(proc)
    if code != 0 or seen is None:
        raise RuntimeError(f"reference detect failed ({code}) or used no workers:\n{text}")
    ref_seconds, ref = time.perf_counter() - t0, (work / "ref.jsonl").read_bytes()
    parse_seconds = (gone or time.perf_counter()) - seen
    problems, rows = [], []
    for i in range(kills):
        out = work / f"alarms-{i}.jsonl"
        proc = _command([*args, "--json", out.name], work, "detect.txt")
        workers: list[int] = []
        while proc.poll() is None and not workers:
            workers = _children(proc.pid)
            time.sleep(0.01)
        delay = rng.uniform(0, parse_seconds)
        time.sleep(delay)
        hit = proc.poll() is None and bool(workers)
        if hit:
            try:
                os.kill(rng.choice(workers), signal.SIGKILL)
            except ProcessLookupError:  # that worker was already gone: the pool was shutting down
                hit = False
        t_kill = time.perf_counter()
        try:
            code, text = finish(proc, timeout=hang_after)
        except subprocess.TimeoutExpired:
            proc.kill()
            code, text = finish(proc)
            problems.append(f"detect kill {i}: still running {hang_after:.0f} s after a worker was killed")
        waited = time.perf_counter() - t_kill
        if code == 0:
            if out.read_bytes() != ref:
                problems.append(f"detect kill {i}: exit 0 but its alarms differ from the reference")
        elif code != 1 or "worker process died" not in text:
            problems.append(f"detect kill {i}: exit {code}, not 1 with 'worker process died': {text[-500:]}")
        elif out.exists() or [p.name for p in work.iterdir() if p.name.startswith(f".alarms-{i}.")]:
            problems.append(f"detect kill {i}: a --json file (or its temporary) was left")
        rows.append({"kill": i, "delay_s": round(delay, 3), "landed": hit, "exit": code, "ended_s": round(waited, 2)})
        log(f"detect kill {i:2d}: +{delay:5.2f} s exit {code:4d}, ended {waited:5.2f} s after the kill")
    return {
        "kills": rows,
        "problems": problems,
        "reference_seconds": round(ref_seconds, 1),
        "parse_seconds": round(parse_seconds, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=None, help="folder for the runs (default: a temporary one)")
    ap.add_argument("--target", choices=["run", "train", "detect", "all"], default="run")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    work = a.work or Path(tempfile.mkdtemp(prefix="kill_run_"))
    targets = ["run", "train", "detect"] if a.target == "all" else [a.target]
    fns = {"run": campaign, "train": train_campaign, "detect": detect_campaign}
    bad = 0
    for t in targets:
        res = fns[t](a.kills, a.seed, work / t if len(targets) > 1 or t != "run" else work)
        landed = sum(r["landed"] for r in res["kills"])
        print(f"{t}: {landed} of {a.kills} kills landed; problems: {len(res['problems'])}")
        for p in res["problems"]:
            print("  " + p)
        bad += len(res["problems"])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
