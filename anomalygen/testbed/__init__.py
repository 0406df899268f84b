"""Fault-injection testbeds: a real ZooKeeper ensemble under a workload, faults on a seeded schedule, logs
labelled by ground truth.

    from anomalygen.testbed import TestbedRequest, run_testbed
    res = run_testbed(TestbedRequest(out=Path("zk_run"), duration=60, faults="leader_kill"))
"""

_API = {"run_testbed", "plan_schedule", "relabel", "TestbedRequest", "TestbedResult", "Schedule", "RunError"}

__all__ = sorted(_API)


def __getattr__(name: str):
    # `anomalygen.testbed.cli` is imported by every command line start: the runner only when first used
    if name in _API:
        from anomalygen.testbed import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'anomalygen.testbed' has no attribute {name!r}")
