"""Alarms handed on as they happen (`detect --alert-url`): to Alertmanager's API (`POST /api/v2/alerts`) or to a
plain webhook (one JSON object per alarm), from a background thread.

Reading logs must never wait for a receiver: `alarm` only puts the alarm into a bounded queue and, when the
queue is full (the receiver is down or slow), drops it and counts it. The thread posts each alarm with retries
and exponential back-off. At the end, `close` gives the queue a bounded time to drain and stops at the first
failure, so a dead receiver costs `detect` no waiting; whatever was not delivered is counted by why, so that
`sent + dropped == alarms` always holds. Alertmanager's API takes a list, so alarms that queued up while a post
was under way go in the next post together (at most `BATCH`); a webhook gets one post per alarm."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime

from anomalygen.core.errors import InputError
from anomalygen.deploy.explain import format_alarm
from anomalygen.deploy.metrics import alarm_statement

KINDS = ("auto", "alertmanager", "webhook")
ALERTNAME = "AnomalousLogSession"
# at exit, a post taking longer than this counts as a receiver that does not answer (loopback Alertmanager
# answers in milliseconds)
STALL_SECONDS = 0.25
BATCH = 100  # alerts in one post to Alertmanager at most


def check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--alert-url {url}: not an http(s) URL")
    return url


def resolve_kind(url: str, kind: str) -> str:
    """`auto`: Alertmanager when the URL is its alerts API, else a plain webhook."""
    if kind not in KINDS:
        raise InputError(f"--alert-format {kind}: expected one of {', '.join(KINDS)}")
    if kind != "auto":
        return kind
    return "alertmanager" if urllib.parse.urlsplit(url).path.rstrip("/").endswith("/api/v2/alerts") else "webhook"


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def alertmanager_alert(alarm: dict, detector: str, when: datetime) -> dict:
    text = format_alarm(alarm)
    return {
        "labels": {
            "alertname": ALERTNAME,
            "detector": detector,
            "session": str(alarm["session"]),
            "statement": alarm_statement(alarm),
            "severity": "warning",
        },
        "annotations": {
            "summary": text.splitlines()[0],
            "description": text,
            "score": f"{alarm['score']:.6g}",
            "threshold": f"{alarm['threshold']:.6g}",
        },
        "startsAt": _stamp(when),
    }


def payload(alarm: dict, detector: str, kind: str, now: datetime | None = None) -> bytes:
    """The body posted for one alarm: Alertmanager's list of alerts, or {"alarm", "text", ...} for a webhook.
    Both carry the source-linked explanation: as text (the terminal's) and, for the webhook, as data."""
    now = now or datetime.now(UTC)
    if kind == "alertmanager":
        body: object = [alertmanager_alert(alarm, detector, now)]
    else:
        body = {
            "detector": detector,
            "statement": alarm_statement(alarm),
            "time": _stamp(now),
            "text": format_alarm(alarm),
            "alarm": alarm,
        }
    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")


class Alerter:
    """Posts alarms from a daemon thread. `counts`: queued, sent, failed_attempts, and dropped by reason
    (queue_full, gave_up, exit); `monitor` (a `deploy.metrics.Monitor`), when given, counts the same."""

    def __init__(
        self,
        url: str,
        detector: str,
        kind: str = "auto",
        queue_size: int = 1000,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 2.0,
        drain_seconds: float = 2.0,
        monitor=None,
    ):
        self.url, self.detector = check_url(url), detector
        self.kind = resolve_kind(url, kind)
        self.retries, self.backoff, self.timeout, self.drain_seconds = retries, backoff, timeout, drain_seconds
        self.monitor = monitor
        self.counts: Counter = Counter()
        self._q: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._failing = False  # the last post failed
        self._posting_since: float | None = None  # when the post in flight started
        self._final = False  # set by close: a post that finishes after it no longer counts (it was counted)
        self._thread = threading.Thread(target=self._run, name="anomalygen-alerts", daemon=True)
        self._thread.start()

    # the reading side ------------------------------------------------------------------------------------

    def alarm(self, alarm) -> None:
        """Queue one alarm (a `Verdict`, or its dict); never blocks. A verdict becomes a dict in the posting
        thread, and only if it is posted: the copy costs more than the rest of queueing it."""
        self._count("alarms")
        try:
            self._q.put_nowait((alarm, datetime.now(UTC)))
        except queue.Full:
            self._drop("queue_full")
            return
        self._gauge()

    def close(self) -> dict:
        """Let the queue drain for at most `drain_seconds` (stopping at the first failure), then count what is
        left as dropped at exit. Returns the counts."""
        self._closing.set()
        deadline = time.monotonic() + self.drain_seconds
        # a receiver whose last post failed, or that sits on one post for long, gets no more time: waiting on it
        # would only slow detect's end
        while self._thread.is_alive() and not self._failing and time.monotonic() < deadline:
            since = self._posting_since
            if since is not None and time.monotonic() - since > STALL_SECONDS:
                break
            self._thread.join(0.05)
        with self._lock:
            self._final = True
            left = (
                self.counts["alarms"]
                - self.counts["sent"]
                - sum(self.counts[f"dropped_{r}"] for r in ("queue_full", "gave_up", "exit"))
            )
            self.counts["dropped_exit"] += left  # still queued, or in a post that did not finish in time
        if self.monitor is not None and left:
            self.monitor.alerts_dropped.labels("exit").inc(left)
        self._gauge(0)
        return self.summary()

    def summary(self) -> dict:
        with self._lock:
            c = dict(self.counts)
        return {
            "alarms": c.get("alarms", 0),
            "sent": c.get("sent", 0),
            "failed_attempts": c.get("failed_attempts", 0),
            "dropped": {r: c.get(f"dropped_{r}", 0) for r in ("queue_full", "gave_up", "exit")},
        }

    # the posting thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                batch = [self._q.get(timeout=0.05)]
            except queue.Empty:
                if self._closing.is_set():
                    return
                continue
            if self.kind == "alertmanager":  # its API takes a list: what queued up meanwhile goes in one post
                while len(batch) < BATCH:
                    try:
                        batch.append(self._q.get_nowait())
                    except queue.Empty:
                        break
            batch = [(a.to_dict() if hasattr(a, "to_dict") else a, w) for a, w in batch]
            if self.kind == "alertmanager":
                body = json.dumps(
                    [alertmanager_alert(a, self.detector, w) for a, w in batch], ensure_ascii=False, default=str
                ).encode("utf-8")
            else:
                body = payload(batch[0][0], self.detector, self.kind, batch[0][1])
            self._gauge()
            if self._deliver(body):
                for _ in batch:
                    if self._count("sent") and self.monitor is not None:
                        self.monitor.alerts_sent.inc()
            elif self._closing.is_set():
                return  # the receiver fails while detect is ending: the rest is counted at exit, not waited for
            else:
                for _ in batch:
                    self._drop("gave_up")

    def _deliver(self, body: bytes) -> bool:
        for attempt in range(self.retries + 1):
            if attempt and self._closing.is_set():
                return False
            try:
                req = urllib.request.Request(
                    self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
                )
                self._posting_since = time.monotonic()
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    if 200 <= resp.status < 300:
                        self._failing = False
                        return True
            except (urllib.error.URLError, OSError, ValueError):
                pass
            finally:
                self._posting_since = None
            self._failing = True
            self._count("failed_attempts")
            if self.monitor is not None:
                self.monitor.alerts_failed.inc()
            if attempt < self.retries and self._closing.wait(self.backoff * 2**attempt):
                return False
        return False

    def _count(self, what: str) -> bool:
        """Count one; False (and nothing counted) once `close` has settled the accounts."""
        with self._lock:
            if self._final:
                return False
            self.counts[what] += 1
            return True

    def _drop(self, reason: str) -> None:
        if self._count(f"dropped_{reason}") and self.monitor is not None:
            self.monitor.alerts_dropped.labels(reason).inc()

    def _gauge(self, value: int | None = None) -> None:
        if self.monitor is not None:
            self.monitor.alerts_queued.set(self._q.qsize() if value is None else value)
