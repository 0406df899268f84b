"""Prometheus metrics of a running `detect` (`--metrics-port`), with the standard `prometheus_client`.

The counters the stream already keeps (lines read and rejected, sessions opened and closed) are read when
Prometheus scrapes, by a collector holding references to them, so the reading loop does no extra work per line.
Alarms, scoring times and alert deliveries are counted as they happen. Everything lives in the monitor's own
registry, so that two monitors in one process (tests) never share a series."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

PREFIX = "anomalygen_detect"
# scoring a batch of closed sessions: from a fraction of a millisecond (cache hits) to seconds (a deep model on
# a long batch)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def alarm_statement(alarm: dict) -> str:
    """The statement an alarm points at first (file:line when the inventory knows it, else the event id): the
    first unexpected step, else the first statement never seen in training, else the largest count deviation.
    Bounded by the inventory's size, so it can be a label."""
    ex = alarm.get("explanation") or {}
    for part in ("unexpected", "unseen", "deviations"):
        for item in ex.get(part) or []:
            return str(item.get("location") or item.get("event") or "unknown")
    return "unknown"


class _Live:
    """Reads the stream's own counters at scrape time."""

    def __init__(self) -> None:
        self.stats: Any = None  # logs.reader.ReadStats
        self.grouper: Any = None  # deploy.online.Sessionizer

    def collect(self):
        read = CounterMetricFamily(f"{PREFIX}_lines_read", "log lines read")
        parsed = CounterMetricFamily(f"{PREFIX}_lines_parsed", "log lines parsed (header and message found)")
        rejected = CounterMetricFamily(f"{PREFIX}_lines_rejected", "log lines rejected, by kind", labels=["kind"])
        opened = CounterMetricFamily(f"{PREFIX}_sessions_opened", "sessions opened")
        closed = CounterMetricFamily(f"{PREFIX}_sessions_closed", "sessions closed, by how", labels=["how"])
        open_now = GaugeMetricFamily(f"{PREFIX}_sessions_open", "sessions open now")
        s, g = self.stats, self.grouper
        if s is not None:
            read.add_metric([], s.lines_read)
            parsed.add_metric([], s.parsed)
            for kind, n in sorted(dict(s.rejected).items()):  # a copy: the reader may add a kind meanwhile
                rejected.add_metric([kind], n)
        if g is not None:
            c = g.counts
            opened.add_metric([], c.opened)
            for how, n in (("idle", c.closed_idle), ("end", c.closed_end), ("evicted", c.evicted)):
                closed.add_metric([how], n)
            open_now.add_metric([], len(g.open))
        return [read, parsed, rejected, opened, closed, open_now]


class Monitor:
    """The metrics of one `detect` run. `watch` hands it the stream's counters, `timed` wraps the scoring call,
    `alarm` counts an alarm; `serve` exposes them over HTTP for Prometheus."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._live = _Live()
        self.registry.register(self._live)
        r = self.registry
        self.alarms = Counter(
            f"{PREFIX}_alarms",
            "alarms raised, by detector and the statement the alarm points at first",
            ["detector", "statement"],
            registry=r,
        )
        self.scored = Counter(f"{PREFIX}_sessions_scored", "sessions scored", ["detector"], registry=r)
        self.latency = Histogram(
            f"{PREFIX}_scoring_seconds",
            "time to score one batch of closed sessions (explanations of its alarms included)",
            ["detector"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.model = Info(f"{PREFIX}_model", "the model folder in use", registry=r)
        self.alerts_sent = Counter(f"{PREFIX}_alerts_sent", "alerts the receiver accepted", registry=r)
        self.alerts_failed = Counter(
            f"{PREFIX}_alert_attempts_failed", "alert posts that failed (each retry counts)", registry=r
        )
        self.alerts_dropped = Counter(
            f"{PREFIX}_alerts_dropped",
            "alerts never delivered, by why: queue_full "
            "(the receiver lags), gave_up (every retry failed), exit (still queued when "
            "detect stopped)",
            ["reason"],
            registry=r,
        )
        self.alerts_queued = Gauge(f"{PREFIX}_alerts_queued", "alerts waiting to be posted", registry=r)
        self.detector = ""
        self._server: WSGIServer | None = None

    def watch(self, detector, stats, grouper, model_path="") -> None:
        """Start reading a stream's counters (`detector`: the loaded `Detector`, from the folder `model_path`)."""
        self.detector = detector.name
        self._live.stats, self._live.grouper = stats, grouper
        m = detector.manifest
        self.model.info(
            {
                "detector": detector.name,
                "threshold": f"{detector.threshold:.6g}",
                "manifest_digest": str(m.get("digest", "")),
                "inventory_digest": str(m.get("inventory_digest", "")),
                "path": str(model_path),
            }
        )
        self.scored.labels(detector.name)
        self.latency.labels(detector.name)
        for reason in ("queue_full", "gave_up", "exit"):
            self.alerts_dropped.labels(reason)

    def timed(self, judge: Callable[[Sequence], list]) -> Callable[[Sequence], list]:
        def run(sessions: Sequence) -> list:
            if not sessions:
                return judge(sessions)
            t0 = time.perf_counter()
            out = judge(sessions)
            self.latency.labels(self.detector).observe(time.perf_counter() - t0)
            self.scored.labels(self.detector).inc(len(sessions))
            return out

        return run

    def alarm(self, verdict) -> None:
        """Count one alarm (a `Verdict`, or its dict)."""
        explanation = verdict.get("explanation") if isinstance(verdict, dict) else verdict.explanation
        self.alarms.labels(self.detector, alarm_statement({"explanation": explanation})).inc()

    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Serve /metrics on `addr:port` from a daemon thread; port 0 picks a free one. Returns the port."""
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        self._server = server
        return server.server_address[1]

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
