"""Kill `anomalygen run` at seeded random moments of its stages and check that re-running it gives the outputs of
an uninterrupted run, byte for byte (timing columns aside).

    python scripts/kill_run.py --kills 20 [--seed 0] [--work DIR]

One uninterrupted reference run first. Then the kills, in cycles of up to 7 over one run folder each: a cycle picks
stages (seeded), and for each starts `run` on its folder (which resumes it; with --force where the stage is already
complete there), waits until run.json marks that stage started, sleeps a seeded random share of the stage's reference time and sends a seeded choice of SIGKILL / SIGTERM /
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
_TIMING_IN_HTML = re.compile(r'(?:&quot;|")(?:seconds|created|started|\w+_s)(?:&quot;|"): [^,\n<]*|'
                             r'(?:&quot;|")command(?:&quot;|"): \[.*?\]', re.S)
SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]


def start(out: Path, args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # a shell's background job ignores SIGINT, and so would Python started from it: restore the default
    # what the `anomalygen` console script runs (with -m, CPython may report a handled Ctrl-C as death by SIGINT)
    # `--out` relative to the folder's parent: every run writes the same paths into its outputs (a digest of a
    # file that names its folder would differ between two folders and hide nothing)
    out.parent.mkdir(parents=True, exist_ok=True)
    log = (out.parent / "output.txt").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", "from anomalygen.cli import main; main()", "run", "--out",
                             out.name, *args],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            cwd=out.parent,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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
        if (not f.is_file() or any(is_temp(Path(part)) for part in f.relative_to(run_dir).parts)
                or rel in ("run.json", ".run.lock") or rel.startswith("stage-logs/")):
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
            rows.append({"kill": i, "stage": stage, "delay_s": round(delay, 3), "signal": sig.name,
                         "landed": hit, "exit": code, "bad_files": len(bad)})
            log(f"kill {i:2d}: {stage:<9} +{delay:5.2f} s {sig.name:<7} exit {code:4d} "
                f"{'(the run finished first) ' if not hit else ''}outputs so far equal the reference: {not bad}")
        code, text = finish(start(run_dir, args))
        if code != 0:
            problems.append(f"re-run of killed-{c} failed ({code}): {text[-2000:]}")
        bad = differences(ref, outputs(run_dir), partial=False)
        problems += [f"killed-{c} after its re-run: {b}" for b in bad]
        log(f"killed-{c} re-run: exit {code}; every output equals the reference: {not bad}")
    return {"kills": rows, "problems": problems, "reference_seconds": round(ref_seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=None, help="folder for the runs (default: a temporary one)")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    work = a.work or Path(tempfile.mkdtemp(prefix="kill_run_"))
    res = campaign(a.kills, a.seed, work)
    landed = sum(r["landed"] for r in res["kills"])
    print(f"{landed} of {a.kills} kills landed during the run; problems: {len(res['problems'])}")
    for p in res["problems"]:
        print("  " + p)
    sys.exit(1 if res["problems"] else 0)


if __name__ == "__main__":
    main()
