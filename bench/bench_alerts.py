#!/usr/bin/env python3
"""What a dead alert receiver costs `detect`: the same stream timed without `--alert-url` and with it pointing at
a receiver that is down, in one run, interleaved.

    python bench/bench_alerts.py                       # the embedded example, PCA, 20 renamed copies of its log
    python bench/bench_alerts.py --model MODEL_DIR --log LOG --copies 1 --rounds 7

Receivers (all on loopback): `none` (no --alert-url), `dead` (a port nothing listens on: every post is refused),
`hanging` (a socket that accepts connections and never answers: every post waits for its timeout), `live` (an
HTTP server in its own process that accepts every post: a webhook, one post per alarm) and `live-am` (the same
server at Alertmanager's path: alarms that queue up go in one post). Each round streams the log once per receiver,
in the same order, through
the same code as the `detect` command (`deploy.outlets`: the metrics monitor off, alarms to the alerter only),
alarms not printed. Printed: each receiver's median wall time over the rounds, the median over rounds of its
time / `none`'s time in the same round (with their range), and what the alerter counted (sent + dropped =
alarms, by reason). The log is repeated `--copies` times with block ids renamed
per copy, so every copy's sessions are new ones and alarms are many.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anomalygen.deploy.detector import DetectRequest, load_detector
from anomalygen.deploy.outlets import OutletSettings, outlets


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def receivers() -> tuple[dict[str, str | None], list]:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()  # now nothing listens there
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(1024)
    # the live receiver in its own process, so that its work is not timed as detect's
    live = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    live_port = int(live.stdout.readline())
    urls = {
        "none": None,
        "dead": f"http://127.0.0.1:{dead_port}/hook",
        "hanging": f"http://127.0.0.1:{hang.getsockname()[1]}/hook",
        "live": f"http://127.0.0.1:{live_port}/hook",
        "live-am": f"http://127.0.0.1:{live_port}/api/v2/alerts",
    }
    return urls, [hang, live]


def serve() -> None:
    live = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    print(live.server_address[1], flush=True)
    live.serve_forever()


def copies(log: Path, n: int, out: Path) -> Path:
    text = log.read_text(encoding="utf-8", errors="replace")
    with open(out, "w", encoding="utf-8") as fh:
        for c in range(n):
            fh.write(text if c == 0 else re.sub(r"blk_(-?\d+)", lambda m, c=c: f"blk_{m.group(1)}{c}", text))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="model folder (default: PCA trained on the embedded example)")
    ap.add_argument("--log", type=Path, help="log (default: the embedded example's)")
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the live receiver's process
    args = ap.parse_args()
    if args.serve:
        return serve()
    tmp = Path(tempfile.mkdtemp(prefix="bench_alerts_"))
    if args.model is None:
        from anomalygen.deploy.trainer import TrainRequest, train

        args.model = tmp / "pca"
        train(TrainRequest(model="PCA", out=args.model))
    if args.log is None:
        from anomalygen.core.example import example_logs

        args.log = example_logs() / "minisvc.log"
    log = copies(args.log, args.copies, tmp / "bench.log")
    det = load_detector(args.model)
    urls, keep = receivers()
    print(
        f"{det.name} on {log} ({args.copies} copies of {args.log.name}, {log.stat().st_size / 1e6:.1f} MB), "
        f"{args.rounds} rounds; load average {os.getloadavg()[0]:.2f}"
    )
    times: dict[str, list[float]] = {k: [] for k in urls}
    counts: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, url in urls.items():
            said: list[str] = []
            t0 = time.perf_counter()
            with outlets(OutletSettings(alert_url=url), det.name, None, say=said.append) as (_, on_alarm):
                res = det.stream(DetectRequest(model=args.model, logs=[log], jobs=1), on_alarm)
            times[name].append(time.perf_counter() - t0)  # the alerter's close (its drain) included
            counts[name] = f"{res.alarms} alarms" + (f"; {said[-1].split(': ', 1)[1]}" if said else "")
    # each round runs every receiver back to back, so a round's own ratio to `none` cancels most of a neighbour's
    # changing load; the median of those ratios is the figure
    for name in urls:
        ratios = [t / b for t, b in zip(times[name], times["none"], strict=True)]
        print(
            f"{name:<8} median {statistics.median(times[name]):6.3f} s  ratio {statistics.median(ratios):5.3f} "
            f"(rounds {min(ratios):.3f}-{max(ratios):.3f})  {counts[name]}"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    for k in keep:
        (k.close if isinstance(k, socket.socket) else k.terminate)()


if __name__ == "__main__":
    main()
