"""arq worker settings: `arq workers.settings.WorkerSettings` (default queue:
JPEG/PNG/WebP photos, rectification and hand-off notices, PDF documents and the cron sweeps) and
`arq workers.settings.HeavyWorkerSettings` (HEIC photos, which decode 7-9x
slower and would otherwise hold up everything behind them). `ExtraWorkerSettings`
is the default queue's worker without the crons, for the other cores.

Each worker process owns one executor thread for Pillow: one core per
worker; run more worker processes to use more cores. arq reads settings
classes through `__dict__`, so the two classes are spelled out in full
rather than one inheriting from the other.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function, Worker, create_worker, func
from piccolo.engine.postgres import PostgresEngine

from server import clock, db, jobs
from server.clock import CHINA
from server.logs import configure_logging
from server.inquiries.sla import sla_job as inquiry_sla_job
from server.inquiries.summary import monthly_summary_job
from server.inspections.overdue import overdue_job
from server.repairs.sla import sla_job
from server.repairs.visits import visits_job
from server.reports.weekly_digest import weekly_digest_job
from server.settings import SettingsError, get_settings
from server.photos.storage import close_storage
from workers.notices import channel_flush, notice_dispatch, refresh_statistics, sweep_channels, sweep_deliveries
from workers.documents import render_document
from workers.photos import process_photo, sweep_photos
from workers.tracing import traced

# keep_result=0: arq refuses a job id while its result is stored, and the
# sweep must be able to queue "photo:<id>" again after a failed attempt.
PROCESS_PHOTO = traced(func(process_photo, name="process_photo", keep_result=0, timeout=300, max_tries=1))


def worker_redis_settings() -> RedisSettings:
    if not get_settings().redis_url:
        raise SettingsError("REDIS_URL must be set to run workers")
    settings = jobs.redis_settings()
    # Unlike the web app (which must answer now), a worker may wait for Redis at start.
    settings.conn_retries = 10
    return settings


async def follow_clock() -> None:
    """Count time by the database's clock when this machine's is off (server/clock.py)."""
    drift = await clock.follow_database_clock()
    if drift:
        logging.getLogger("workers").warning("This machine's clock is %.1f s off the database's; "
                                             "deadlines are judged by the database's", -drift.total_seconds())


async def startup(ctx: dict[str, Any]) -> None:
    configure_logging(get_settings().log_format, take_over=("arq",))
    ctx["executor"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pillow")
    ctx["photo_turn"] = asyncio.Semaphore(1)  # one photo claimed at a time (workers/photos.py)
    await db.check_connection()
    await follow_clock()
    # A worker run inside another process (the tests) shares that process's
    # PostgreSQL pool; only a pool we started is ours to close.
    engine = db.engine()
    ctx["owns_db_pool"] = isinstance(engine, PostgresEngine) and engine.pool is None
    if ctx["owns_db_pool"]:
        await db.start_pool()


async def shutdown(ctx: dict[str, Any]) -> None:
    ctx["executor"].shutdown(wait=True)
    await close_storage()
    if ctx.get("owns_db_pool"):
        await db.close_pool()


POLL_DELAY = 0.05
"""Seconds between a worker's looks at its queue (arq's default is 0.5)."""


class WorkerSettings:
    queue_name = jobs.DEFAULT_QUEUE
    functions = [PROCESS_PHOTO, traced(func(notice_dispatch, name="notice_dispatch", keep_result=0, timeout=120)),
                 traced(func(channel_flush, name="channel_flush", keep_result=0, timeout=120, max_tries=1)),
                 # The PDF documents (server/reports/): one try; a failure is shown, the person asks again.
                 traced(func(render_document, name="render_document", keep_result=0, timeout=300, max_tries=1))]
    cron_jobs = [
        cron(sweep_photos, name="sweep_photos", second=set(range(0, 60, get_settings().photo_sweep_seconds)),
             run_at_startup=True, unique=True, timeout=120),
        cron(sweep_deliveries, name="sweep_deliveries", unique=True, timeout=300),
        cron(sweep_channels, name="sweep_channels", unique=True, timeout=300),
        cron(refresh_statistics, name="refresh_statistics", minute={17}, unique=True, timeout=300),
        cron(overdue_job, name="overdue", minute=set(range(0, 60, 5)), unique=True, timeout=300),
        # 00:10 on the 1st in China (the worker's timezone below): the month before, per project.
        cron(monthly_summary_job, name="monthly_summary", day={1}, hour={0}, minute={10}, second={0}, unique=True,
             timeout=900),
        cron(sla_job, name="repair_sla", minute=set(range(2, 60, 5)), unique=True, timeout=300),
        cron(inquiry_sla_job, name="inquiry_sla", minute=set(range(4, 60, 5)), unique=True, timeout=300),
        cron(visits_job, name="repair_visits", minute={7}, unique=True, timeout=300),
        # 08:00 on Monday in China: last week's figures to the managers, open work to each contractor.
        cron(weekly_digest_job, name="weekly_digest", weekday="mon", hour={8}, minute={0}, second={0}, unique=True,
             timeout=900),
    ]
    timezone = CHINA
    """arq reads cron fields in the worker's timezone (the server's local zone unless set): China time, so
    "the 1st" is the 1st in China whatever zone the server is in. The other crons count minutes and seconds,
    which an offset of whole hours does not move."""
    redis_settings = worker_redis_settings()
    on_startup = startup
    on_shutdown = shutdown
    max_jobs = 4  # more than one thread's worth, so DB/Redis waits overlap the CPU work
    # arq starts at most max_jobs jobs per look at the queue and looks every poll_delay: at its
    # default 0.5 s that capped a worker at 8 photos a second (each takes 15-35 ms) while the
    # core idled. A look is one Redis call; 20 a second cost nothing.
    poll_delay = POLL_DELAY


def cron_functions(cron_jobs: list[CronJob]) -> list[Function]:
    """The crons as plain functions, for the workers that share the crons' queue without scheduling them.
    arq's scheduler puts each cron's run on its worker's queue like any job, and whichever worker
    on that queue polls first takes it: one that did not know the function failed it ("function
    'sweep_photos' not found") and that run was lost. With 2 cores, about half of the sweeps,
    so photos taken while Redis was gone waited minutes after it came back (bench/redis_outage.py)."""
    return [func(job.coroutine, name=job.name, timeout=job.timeout_s, keep_result=job.keep_result_s,
                 keep_result_forever=job.keep_result_forever, max_tries=job.max_tries) for job in cron_jobs]


class ExtraWorkerSettings:
    """One more worker on the default queue, without the cron schedule: `make run` starts one of these
    for every core beyond the first (server/launcher.py), so photos are processed on every core while
    each worker still claims one photo at a time. The schedule stays with `WorkerSettings` (one
    process is where to look for it), but the crons' runs are queued on the default queue, so this
    worker can run them too (`cron_functions`)."""
    queue_name = jobs.DEFAULT_QUEUE
    functions = WorkerSettings.functions + cron_functions(WorkerSettings.cron_jobs)
    redis_settings = worker_redis_settings()
    on_startup = startup
    on_shutdown = shutdown
    max_jobs = WorkerSettings.max_jobs
    poll_delay = POLL_DELAY


class HeavyWorkerSettings:
    queue_name = jobs.HEAVY_QUEUE
    functions = [PROCESS_PHOTO]
    redis_settings = worker_redis_settings()
    on_startup = startup
    on_shutdown = shutdown
    max_jobs = 2
    poll_delay = POLL_DELAY


def worker_for(settings_cls: type, burst: bool = True, **overrides: Any) -> Worker:
    """An arq Worker for in-process use (tests): `await worker.main()` runs it
    until its queue is empty (burst), then `await worker.close()`."""
    # CronJob objects remember their next run: fresh copies, so every worker
    # made here runs its `run_at_startup` crons, as a new process would.
    fresh_crons = [dataclasses.replace(job, next_run=None) for job in getattr(settings_cls, "cron_jobs", [])]
    return create_worker(settings_cls, burst=burst, handle_signals=False, cron_jobs=fresh_crons, **overrides)
