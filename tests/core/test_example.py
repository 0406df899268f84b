"""The embedded example is found as package data: its source tree and its recorded, labelled logs."""

from __future__ import annotations

from anomalygen.core.example import example_logs, example_tree


def test_the_example_tree_holds_the_service_java_source():
    assert (example_tree() / "com" / "example" / "minisvc" / "Server.java").is_file()


def test_the_example_logs_hold_the_log_its_labels_and_the_ground_truth():
    names = {p.name for p in example_logs().iterdir()}
    assert {"minisvc.log", "anomaly_label.csv", "faults.csv", "manifest.json"} <= names
