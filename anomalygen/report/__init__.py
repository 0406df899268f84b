"""The run report: one self-contained HTML page (inline CSS, plots as data URIs, no script) describing an
`anomalygen run` directory: overview, coverage, paths, synthetic sessions, detectors, manifests.

    from anomalygen.report import build_report
    build_report(run_dir)            # -> run_dir/report.html
"""

from anomalygen.report.build import build_report, render_report

__all__ = ["build_report", "render_report"]
