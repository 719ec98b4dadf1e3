"""`make run` processes photos on every core (issue 15): one default-queue worker per core,
the first with the crons, each claiming one photo at a time."""
from __future__ import annotations

import os

import pytest

from server.launcher import default_workers, worker_processes
from workers.settings import ExtraWorkerSettings, WorkerSettings


def test_one_default_queue_worker_per_core_unless_workers_says(monkeypatch):
    monkeypatch.delenv("WORKERS", raising=False)
    assert default_workers() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("WORKERS", "3")
    assert default_workers() == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_workers_value_stops_the_launcher_with_its_name(monkeypatch, value):
    monkeypatch.setenv("WORKERS", value)
    with pytest.raises(SystemExit, match="WORKERS"):
        default_workers()


def test_the_first_worker_has_the_crons_and_the_others_only_the_jobs():
    assert worker_processes(1) == [("worker", "workers.settings.WorkerSettings"),
                                   ("heavy worker", "workers.settings.HeavyWorkerSettings")]
    assert [name for name, _ in worker_processes(3)] == ["worker", "worker 2", "worker 3", "heavy worker"]
    # and the crons' functions too (tests/ops/test_crons_on_any_worker.py)
    assert ExtraWorkerSettings.functions[:len(WorkerSettings.functions)] == WorkerSettings.functions
    assert ExtraWorkerSettings.queue_name == WorkerSettings.queue_name
    assert "cron_jobs" not in vars(ExtraWorkerSettings)
