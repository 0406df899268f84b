"""The `anomalygen` command line: one sub-command per pipeline stage."""

from __future__ import annotations

import os
import sys

import typer

from anomalygen.errors import SafeGroup

app = typer.Typer(
    cls=SafeGroup,
    help="anomalygen: synthesize labelled log sessions from source code and evaluate log anomaly detectors.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _options(
    debug: bool = typer.Option(
        False, "--debug", help="show the Python traceback of an error (also ANOMALYGEN_DEBUG=1)"
    ),
) -> None:
    """anomalygen: synthesize labelled log sessions from source code and evaluate log anomaly detectors."""


from anomalygen.source import cli as _source_cli  # noqa: E402 - the stages register their commands on `app`, made above

_source_cli.register(app)

# stage: evaluate (detectors and the evaluation harness register here)
from anomalygen.evaluate import cli as _evaluate_cli  # noqa: E402 - the stages register their commands on `app`, made above

_evaluate_cli.register(app)


# stage: logs (raw-log parsing against the source, sessions, the coverage study)
from anomalygen.logs import cli as _logs_cli  # noqa: E402 - the stages register their commands on `app`, made above

_logs_cli.register(app)

# stage: testbed (a real ZooKeeper ensemble with injected faults: logs labelled by ground truth)
from anomalygen.testbed import cli as _testbed_cli  # noqa: E402 - the stages register their commands on `app`, made above

_testbed_cli.register(app)


# stage: synthesis (feasible paths -> labelled synthetic sessions)
from anomalygen.synthesis import cli as _synthesis_cli  # noqa: E402 - the stages register their commands on `app`, made above

_synthesis_cli.register(app)


# from evaluation to use: a saved detector scoring new logs, streaming
from anomalygen.deploy import cli as _deploy_cli  # noqa: E402 - the stages register their commands on `app`, made above

_deploy_cli.register(app)


# the whole pipeline in one command, with its report
from anomalygen.run import cli as _run_cli  # noqa: E402 - the stages register their commands on `app`, made above

_run_cli.register(app)


def main() -> None:
    try:
        app()
    except SystemExit as done:
        if SafeGroup.worker_died:
            # a process pool whose worker died may leave its manager thread blocked on a queue no live worker
            # reads, and the interpreter joins that thread on exit: leave at once (outputs were discarded already)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(done.code if isinstance(done.code, int) else 1)
        raise


if __name__ == "__main__":
    main()
