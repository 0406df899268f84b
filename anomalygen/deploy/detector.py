"""A saved detector at work: `load_detector(path).score(lines_or_sessions)`, and the streaming `detect` loop
(read -> parse against the model's inventory -> online sessions -> score each closed session -> alarms with
explanations, as they happen)."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from anomalygen.atomic import AtomicFile
from anomalygen.checks import apart_from_inputs
from anomalygen.core.errors import InputError
from anomalygen.core.formats import LogFormat
from anomalygen.core.session_spec import SessionSpec
from anomalygen.deploy.explain import Explainer
from anomalygen.deploy.folder import ModelError, ModelFolder, inventory_differences, inventory_digest, load_model
from anomalygen.deploy.keyed import KeyedLines, KeyRule
from anomalygen.deploy.online import OpenSession, Sessionizer
from anomalygen.deploy.requests import DetectRequest
from anomalygen.deploy.scoring import SessionScorer
from anomalygen.deploy.spans import keyed_spans, worth_splitting
from anomalygen.deploy.stream import line_source
from anomalygen.jsonl import Skipped
from anomalygen.logs.api import nothing_read
from anomalygen.logs.parse import LogParser
from anomalygen.logs.sessions import load_labels, unmatched_labels
from anomalygen.parallel import resolve_jobs
from anomalygen.settings import check, check_fields
from anomalygen.source.api import SourceTree

if TYPE_CHECKING:  # prometheus_client is imported only when metrics are served
    pass


@dataclass
class Verdict:
    session: str
    score: float
    threshold: float
    anomalous: bool
    lines: int
    start: str | None = None  # file:line of the session's first line
    closed_by: str = ""
    explanation: dict | None = None  # for anomalous sessions

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DetectResult:
    alarms: int
    scored: int
    read: dict
    sessions: dict
    seconds: float
    inventory_differences: list[str] = field(default_factory=list)
    labelled: dict = field(default_factory=dict)  # with labels: "all" and "held_out" (sessions training left out)
    scoring: dict = field(default_factory=dict)  # distinct sequences the model read, sessions the cache answered
    warnings: list[str] = field(default_factory=list)


class Detector:
    def __init__(self, folder: ModelFolder, statements=None, differences: list[str] | None = None):
        self.folder = folder
        self.det = folder.detector
        self.manifest = folder.manifest
        self.statements = statements if statements is not None else folder.statements
        self.differences = differences or []
        records = {k: dict(v) for k, v in folder.vocabulary.items()}
        for s in self.statements:  # where the code is now, when another inventory was allowed
            records[s.id] = {
                "file": s.file,
                "line": s.line,
                "method": s.method,
                "level": s.level,
                "template": s.template,
            }
        self.explainer = Explainer(self.det, records, set(folder.vocabulary) | _extra_known(folder), folder.profile)
        self.scorer = SessionScorer(self.det)

    @property
    def name(self) -> str:
        return self.det.name

    @property
    def threshold(self) -> float:
        return float(self.det.threshold_)

    def judge(self, sessions: Sequence[OpenSession]) -> list[Verdict]:
        events = [s.events for s in sessions]
        out = []
        threshold = self.threshold
        for s, ev, sc in zip(sessions, events, self.scorer.score(events), strict=True):
            v = Verdict(s.key, sc.score, threshold, sc.score > threshold, len(ev), s.start, s.closed_by)
            if v.anomalous:
                v.explanation = self.explainer.explain(ev, s.where, s.text, sc)
            out.append(v)
        return out

    def score(self, items: Sequence) -> list[Verdict]:
        """Raw log lines (strings, parsed with the model's format and grouped by its session rule), or sessions
        (lists of statement ids); a verdict per session, in order of first line."""
        items = list(items)
        if items and all(isinstance(x, str) for x in items):
            fmt = LogFormat.parse(self.manifest["detect"]["format"])
            parser = LogParser(self.statements, fmt, fallback=False)
            grouper = Sessionizer(
                SessionSpec.parse(self.manifest["detect"]["sessions_by"]), fmt, idle_lines=1 << 62, max_open=1 << 62
            )
            grouper.feed(parser.parse_chunks([("<lines>", 1, [x.rstrip("\r\n") for x in items])]))
            return self.judge(sorted(grouper.close_all(), key=lambda s: s.first))
        sessions = []
        for i, x in enumerate(items):
            if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
                raise TypeError(f"item {i}: expected raw log lines (all strings) or sessions (lists of event ids)")
            sessions.append(OpenSession.of(str(i), [str(e) for e in x], i))
        return self.judge(sessions)

    def stream(self, req: DetectRequest, on_alarm: Callable[[Verdict], None] | None = None) -> DetectResult:
        t0 = time.perf_counter()
        check_fields(req, ("idle_lines", "max_open", "exit_idle", "jobs"))
        if req.follow and req.idle_seconds is not None:
            check("idle_seconds", req.idle_seconds)
        if req.json_out is not None:
            apart_from_inputs([req.json_out], [*req.logs, req.labels, req.model, req.source])
        d = self.manifest["detect"]
        fmt = LogFormat.parse(req.format or d["format"])
        spec = SessionSpec.parse(req.sessions_by or d["sessions_by"])
        parser = LogParser(self.statements, fmt, fallback=False)
        grouper = Sessionizer(
            spec,
            fmt,
            idle_lines=req.idle_lines or d["idle_lines"],
            idle_seconds=req.idle_seconds if req.follow else None,
            max_open=req.max_open,
        )
        stats = parser.summary.read
        last_data = [time.monotonic()]

        def stop() -> bool:
            return req.exit_idle is not None and time.monotonic() - last_data[0] >= req.exit_idle

        tally = _Tally(req, self.manifest.get("training", {}).get("held_out_sessions", []), on_alarm)
        judge: Callable[[Sequence[OpenSession]], list[Verdict]] = self.judge
        if req.monitor is not None:
            req.monitor.watch(self, stats, grouper, req.model)
            judge = req.monitor.timed(judge)
        hits, misses = self.scorer.hits, self.scorer.misses
        pending: list[OpenSession] = []
        with _long_lived(req.threads), tally:
            for blocks, quiet in self._batches(req, parser, grouper.rule, stop):
                now = time.monotonic()
                for block in blocks:
                    pending.extend(grouper.feed_block(block, now))
                if req.follow:  # wall-clock idleness; on a file, line counts alone close sessions
                    pending.extend(grouper.expire(now))
                # a quiet poll scores what closed so far: alarms must not wait for a full batch
                if len(pending) >= req.batch or (pending and quiet):
                    tally.take(judge(pending))
                    pending.clear()
                if not quiet:  # idle time counts from the end of the work on the last data
                    last_data[0] = time.monotonic()
            tally.take(judge(pending + grouper.close_all()))
            # no line parsed is no result, whatever the reason (an empty log, not gzip, the wrong format): the
            # same one line and exit 2 as `parse`, and the --json file is not written
            nothing_read(stats.to_dict(), list(req.logs))
        scoring = {"sessions_read": self.scorer.misses - misses, "cache_hits": self.scorer.hits - hits}
        warning = unmatched_labels(tally.labels, tally.seen, req.labels) if tally.labels else None
        return DetectResult(
            tally.alarms,
            tally.scored,
            stats.to_dict(),
            grouper.counts.to_dict(),
            round(time.perf_counter() - t0, 3),
            self.differences,
            tally.labelled(),
            scoring,
            [warning] if warning else [],
        )

    def _batches(
        self, req: DetectRequest, parser: LogParser, rule: KeyRule, stop: Callable[[], bool]
    ) -> Iterator[tuple[Sequence[KeyedLines], bool]]:
        """(blocks of keyed lines, whether a poll found nothing) in log order: big plain files parsed by
        `req.jobs` processes, anything else (stdin, a followed file, small files) here, a read block at a time."""
        paths = [str(p) for p in req.logs]
        jobs = resolve_jobs(req.jobs)
        if not req.follow and worth_splitting(paths, jobs):
            for block in keyed_spans(parser, self.statements, rule, paths, jobs):
                yield (block,), False
            return
        for chunk in line_source(paths, parser.summary.read, req.follow, stop, req.poll):
            yield [rule.block(cols) for cols in parser.event_columns([chunk])], not chunk[2]


class _Tally:
    """Where verdicts go as they come: counted, alarms written as JSON lines and handed to `on_alarm`, and with
    labels, each labelled session's outcome kept for the summary.

    The JSON lines go to a temporary beside `json_out`, flushed a whole line at a time (a reader following it
    never sees half a record), and take its name when the stream ends: at the end of the input, or on Ctrl-C,
    which is how a followed stream ends. An error discards them: the previous file, if any, stays."""

    def __init__(self, req: DetectRequest, held_out: list[str], on_alarm: Callable[[Verdict], None] | None):
        skipped = Skipped()
        self.labels = load_labels(req.labels, skipped, req.labels_conflict) if req.labels else {}
        self.seen: set[str] = set()  # labelled sessions scored
        for line in skipped.lines(f"labels {req.labels}"):
            print(line, file=sys.stderr)
        self.held_out = set(held_out)
        self.on_alarm = on_alarm
        self.outcomes: list[tuple[int, bool, bool]] = []  # (label, flagged, held out) of labelled sessions
        self.alarms = self.scored = 0
        self._file = AtomicFile(req.json_out) if req.json_out else None
        self.out = self._file.fh if self._file is not None else None

    def __enter__(self) -> _Tally:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if self._file is None:
            return
        if kind is None or issubclass(kind, KeyboardInterrupt):
            self._file.commit()
        else:
            self._file.discard()

    def take(self, verdicts: list[Verdict]) -> None:
        for v in verdicts:
            self.scored += 1
            if v.session in self.labels:
                self.seen.add(v.session)
                self.outcomes.append((self.labels[v.session], v.anomalous, v.session in self.held_out))
            if v.anomalous:
                self.alarms += 1
                if self.out is not None:
                    self.out.write(json.dumps(v.to_dict(), ensure_ascii=False) + "\n")
                    self.out.flush()
                if self.on_alarm is not None:
                    self.on_alarm(v)

    def labelled(self) -> dict:
        if not self.labels:
            return {}
        out = {"all": _score([(lab, bad) for lab, bad, _ in self.outcomes])}
        if self.held_out:
            out["held_out"] = _score([(lab, bad) for lab, bad, h in self.outcomes if h])
        return out


@contextmanager
def _long_lived(threads: int) -> Iterator[None]:
    """While streaming: torch on `threads` threads, the objects that live through the stream (the model, the
    inventory's matcher) frozen out of the garbage collector's full passes, which otherwise re-scan them again
    and again as sessions come and go, and its young passes made rarer: each block of lines makes thousands of
    objects that live until its sessions take them, and the stream makes no reference cycles for it to find
    (409 passes took 6-8% of detect's time on a 200,000-line HDFS log)."""
    import torch

    before, thresholds = torch.get_num_threads(), gc.get_threshold()
    torch.set_num_threads(threads)
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        torch.set_num_threads(before)


def _score(pairs: list[tuple[int, bool]]) -> dict:
    tp = sum(1 for lab, bad in pairs if lab and bad)
    fp = sum(1 for lab, bad in pairs if not lab and bad)
    fn = sum(1 for lab, bad in pairs if lab and not bad)
    return {
        "sessions": len(pairs),
        "anomalies": tp + fn,
        "alarms": tp + fp,
        "true_alarms": tp,
        "false_alarms": fp,
        "missed": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
    }


def _extra_known(folder: ModelFolder) -> set[str]:
    return {"UNMATCHED"} if folder.manifest.get("training", {}).get("unmatched_event") else set()


def load_detector(
    path: str | Path, source: str | Path | SourceTree | None = None, allow_other_source: bool = False
) -> Detector:
    """Load a model folder (checked against its manifest). With `source` (a path, or a tree already read),
    that tree's inventory is compared with the model's: a different one is refused, naming the statements that
    differ, unless `allow_other_source` (then lines are parsed against the new inventory)."""
    folder = load_model(Path(path))
    if source is None:
        return Detector(folder)
    if not isinstance(source, SourceTree):
        try:
            source = SourceTree.read(Path(source))
        except InputError as e:  # the model's errors are what `load_detector`'s callers catch
            raise ModelError(str(e)) from None
    statements = source.statements
    if inventory_digest(statements) == folder.manifest["inventory_digest"]:
        return Detector(folder)
    diffs = inventory_differences(folder.statements, statements, limit=1 << 30)
    if not allow_other_source:
        more = f" and {len(diffs) - 3} more" if len(diffs) > 3 else ""
        raise ModelError(
            f"{path}: trained on another inventory than {source.root}: {'; '.join(diffs[:3])}{more}; "
            "pass --allow-other-source to use it anyway"
        )
    return Detector(folder, statements, diffs)


def detect(req: DetectRequest, on_alarm: Callable[[Verdict], None] | None = None) -> DetectResult:
    """The `detect` stage as one call: load `req.model` (checked against `req.source` when given) and stream."""
    return load_detector(req.model, req.source, req.allow_other_source).stream(req, on_alarm)
