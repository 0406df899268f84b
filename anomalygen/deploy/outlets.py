"""Where `detect`'s alarms and figures go besides the terminal: Prometheus metrics (`--metrics-port`) and posted
alerts (`--alert-url`), set up before the stream and settled after it, whatever ends it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anomalygen.core.errors import InputError
from anomalygen.options import setting

if TYPE_CHECKING:  # imported where metrics are served: it loads prometheus_client
    from anomalygen.deploy.metrics import Monitor


@dataclass
class OutletSettings:
    """`detect`'s settings of where alarms go besides the terminal, each declared once (`anomalygen/options.py`
    makes their options)."""

    metrics_port: int | None = field(
        default=None, metadata=setting("serve Prometheus metrics on this port (0: any free one, printed)")
    )
    metrics_addr: str = field(default="127.0.0.1", metadata=setting("address the metrics listen on"))
    alert_url: str | None = field(
        default=None,
        metadata=setting("post each alarm here: Alertmanager's http://HOST:9093/api/v2/alerts, or any webhook"),
    )
    alert_format: str = field(
        default="auto",
        metadata=setting("auto (alertmanager when the URL ends in /api/v2/alerts) | alertmanager | webhook"),
    )
    alert_queue: int = field(
        default=1000,
        metadata=setting("alarms waiting to be posted; beyond, new ones are dropped and counted (reading never waits)"),
    )
    alert_retries: int = field(default=3, metadata=setting("retries per alarm, with back-off"))


@contextmanager
def outlets(
    settings: OutletSettings,
    detector: str,
    on_alarm: Callable | None,
    say: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> Iterator[tuple[Monitor | None, Callable]]:
    """(the metrics monitor or None, the alarm callback to stream with: `on_alarm` plus counting and posting)."""
    monitor: Monitor | None = None
    alerter = None
    if settings.metrics_port is not None:
        from anomalygen.deploy.metrics import Monitor

        if not 0 <= settings.metrics_port <= 65535:
            raise InputError(f"--metrics-port {settings.metrics_port}: not a TCP port")
        monitor = Monitor()
        try:
            port = monitor.serve(settings.metrics_port, settings.metrics_addr)
        except OSError as e:
            raise InputError(
                f"--metrics-port {settings.metrics_port}: cannot listen on {settings.metrics_addr}: {e.strerror or e}"
            ) from None
        say(f"metrics: http://{settings.metrics_addr}:{port}/metrics")
    if settings.alert_url:
        from anomalygen.deploy.alerts import Alerter

        if settings.alert_queue < 1 or settings.alert_retries < 0:
            raise InputError("--alert-queue must be >= 1 and --alert-retries >= 0")
        alerter = Alerter(
            settings.alert_url,
            detector,
            settings.alert_format,
            settings.alert_queue,
            settings.alert_retries,
            monitor=monitor,
        )

    def each(verdict) -> None:
        if on_alarm is not None:
            on_alarm(verdict)
        if monitor is not None:
            monitor.alarm(verdict)
        if alerter is not None:
            alerter.alarm(verdict)

    try:
        yield monitor, each
    finally:
        if alerter is not None:
            s = alerter.close()
            d = s["dropped"]
            say(
                f"alerts to {alerter.url} ({alerter.kind}): {s['sent']} of {s['alarms']} sent; dropped: "
                f"{d['queue_full']} queue full, {d['gave_up']} after {alerter.retries} retries, {d['exit']} at exit; "
                f"{s['failed_attempts']} failed posts"
            )
        if monitor is not None:
            monitor.close()
